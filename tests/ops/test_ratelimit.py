"""Rate limits: the in-process bucket, the Redis bucket shared by several limiters (as several
workers or hosts hold them), its expiry, and what happens when Redis does not answer."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis as sync_redis

from loadtests.process import free_port
from sandbox.app import create_app
from sandbox.ops.ratelimit import RateLimiter, RedisRateLimiter, redis_client
from tests.support.http import client_for, sign_up
from tests.support.redis import own_redis_server

pytestmark = pytest.mark.anyio


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def make_limiter(
    redis_url: str, redis_prefix: str
) -> AsyncIterator[Callable[..., RedisRateLimiter]]:
    """``make_limiter(rate, burst)``: a limiter with a client of its own (as a worker has)."""
    clients = []

    def make(rate: float, burst: int, *, name: str = "api", **kw: Any) -> RedisRateLimiter:
        client = redis_client(redis_url, timeout=1.0)
        clients.append(client)
        return RedisRateLimiter(client, rate, burst, prefix=redis_prefix, name=name, **kw)

    yield make
    for client in clients:
        await client.aclose()


async def test_the_local_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.take("k", now=10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("k", now=10.0) == pytest.approx(0.5)
    assert limiter.take("other", now=10.0) == 0.0
    assert limiter.take("k", now=10.5) == 0.0  # one token back after 1 / rate


async def test_redis_allows_the_burst_then_tells_how_long_to_wait(
    make_limiter: Callable[..., RedisRateLimiter],
) -> None:
    limiter = make_limiter(rate=1.0, burst=3)
    assert [await limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await limiter.acquire("k")
    assert 0.9 < wait <= 1.0  # the next token comes 1 / rate after the burst was taken
    assert await limiter.acquire("other") == 0.0  # each key has a bucket of its own


async def test_two_limiters_on_one_redis_share_one_budget(
    make_limiter: Callable[..., RedisRateLimiter],
) -> None:
    worker_a, worker_b = make_limiter(rate=1.0, burst=4), make_limiter(rate=1.0, burst=4)
    waits = [await (worker_a if i % 2 else worker_b).acquire("key_1") for i in range(6)]
    assert waits[:4] == [0.0] * 4
    assert all(w > 0 for w in waits[4:])
    # the control: two in-process limiters would have allowed all six
    local_a, local_b = RateLimiter(1.0, 4), RateLimiter(1.0, 4)
    assert all((local_a if i % 2 else local_b).take("key_1") == 0.0 for i in range(6))


async def test_concurrent_takes_from_two_limiters_never_overdraw(
    make_limiter: Callable[..., RedisRateLimiter],
) -> None:
    """The decision is one script run inside Redis: 2 x 40 requests in flight at once from two
    clients, and exactly ``burst`` of them are allowed. The refill (one token per 100 s) is far
    slower than the test, so a loaded machine cannot refill a token mid-way."""
    worker_a, worker_b = make_limiter(rate=0.01, burst=25), make_limiter(rate=0.01, burst=25)
    waits = await asyncio.gather(
        *(w.acquire("hot") for _ in range(40) for w in (worker_a, worker_b))
    )
    assert sum(1 for w in waits if w == 0.0) == 25


async def test_limiters_of_other_names_and_prefixes_do_not_share(
    make_limiter: Callable[..., RedisRateLimiter], redis_url: str
) -> None:
    api, signup = make_limiter(rate=1.0, burst=1), make_limiter(rate=1.0, burst=1, name="signup")
    assert await api.acquire("x") == 0.0
    assert await signup.acquire("x") == 0.0
    client = redis_client(redis_url, timeout=1.0)
    try:
        other_sandbox = RedisRateLimiter(client, 1.0, 1, prefix=api.namespace + "x:", name="api")
        assert await other_sandbox.acquire("x") == 0.0
    finally:
        await client.aclose()
    assert await api.acquire("x") > 0


async def test_a_key_expires_when_its_bucket_is_full_again(
    make_limiter: Callable[..., RedisRateLimiter], redis_url: str
) -> None:
    # 200 ms per token: the three calls below must fall within one token's time even on a
    # loaded machine (at 20 ms a slow run refilled a token before the fourth call)
    limiter = make_limiter(rate=5.0, burst=3)
    for _ in range(3):
        assert await limiter.acquire("k") == 0.0
    assert await limiter.acquire("k") > 0
    client = sync_redis.Redis.from_url(redis_url)
    try:
        ttl_ms = client.pttl(limiter.namespace + "k")
        assert 0 < ttl_ms <= 602  # 3 tokens x 200 ms, rounded up, + 1 ms
        await asyncio.sleep(0.7)
        assert client.exists(limiter.namespace + "k") == 0  # Redis keeps only active callers
    finally:
        client.close()
    assert [await limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]  # a full burst


async def test_unreachable_redis_falls_back_to_the_local_bucket_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = redis_client(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)  # nobody listens
    limiter = RedisRateLimiter(client, 1.0, 2, prefix="unused:", name="api")
    try:
        with caplog.at_level(logging.WARNING, logger="sandbox.ratelimit"):
            waits = [await limiter.acquire("k") for _ in range(5)]
    finally:
        await client.aclose()
    assert waits[:2] == [0.0, 0.0]  # still limited: by this process's own bucket
    assert all(w > 0 for w in waits[2:])
    assert limiter.degraded
    warnings = [r for r in caplog.records if r.name == "sandbox.ratelimit"]
    assert len(warnings) == 1
    assert "workers x rate" in warnings[0].getMessage()


async def test_a_redis_that_hangs_costs_one_timeout_then_none() -> None:
    """A server that accepts the connection and never answers: the first request waits for the
    timeout, the next ones (within ``retry_seconds``) do not ask Redis at all."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        client = redis_client(f"redis://127.0.0.1:{port}/0", timeout=0.2)
        limiter = RedisRateLimiter(client, 100.0, 100, prefix="unused:", name="api")
        loop = asyncio.get_running_loop()
        try:
            started = loop.time()
            assert await limiter.acquire("k") == 0.0
            first = loop.time() - started
            started = loop.time()
            for _ in range(20):
                assert await limiter.acquire("k") == 0.0
            rest = loop.time() - started
        finally:
            await client.aclose()
    assert 0.15 < first < 1.5
    assert rest < 0.1


async def test_the_limiter_shares_again_once_redis_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    clock = FakeMonotonic()
    client = redis_client(f"redis://127.0.0.1:{port}/0", timeout=0.5)
    limiter = RedisRateLimiter(
        client, 1.0, 2, prefix="t:", name="api", retry_seconds=5.0, monotonic=clock
    )
    calls = 0
    script = limiter._script

    async def counted(**kw: Any) -> Any:
        nonlocal calls
        calls += 1
        return await script(**kw)

    limiter._script = counted  # type: ignore[assignment]
    try:
        with own_redis_server(port):
            assert await limiter.acquire("k") == 0.0
            assert not limiter.degraded
        with caplog.at_level(logging.INFO, logger="sandbox.ratelimit"):
            assert await limiter.acquire("k") == 0.0  # Redis is gone: the local bucket decides
            assert limiter.degraded
            asked = calls
            await limiter.acquire("k")
            assert calls == asked  # within retry_seconds Redis is not asked
            with own_redis_server(port):  # a fresh, empty Redis
                clock.now += 5.0
                assert await limiter.acquire("k") == 0.0
                assert calls == asked + 1
                assert not limiter.degraded
                assert await limiter.acquire("k") == 0.0
                assert await limiter.acquire("k") > 0  # Redis's bucket: burst 2 used up
    finally:
        await client.aclose()
    messages = [r.getMessage() for r in caplog.records if r.name == "sandbox.ratelimit"]
    assert len(messages) == 2
    assert "again" in messages[1]


# -- through the API: two app instances (two workers) on one database and one Redis ----------


async def test_two_workers_share_an_api_keys_budget_through_redis(
    make_settings: Any, redis_url: str, redis_prefix: str
) -> None:
    settings = make_settings(
        rate_limit_per_second=0.5,
        rate_limit_burst=3,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        sweep_seconds=0,
    )
    worker_a, worker_b = create_app(settings), create_app(settings)
    async with (
        worker_a.router.lifespan_context(worker_a),
        worker_b.router.lifespan_context(worker_b),
        client_for(worker_a) as a,
        client_for(worker_b) as b,
    ):
        partner = await sign_up(a)
        codes = [
            (await client.get("/v1/partners/me", headers=partner.headers)).status_code
            for client in (a, b, a, b)
        ]
        assert codes == [200, 200, 200, 429]
        refused = await a.get("/v1/partners/me", headers=partner.headers)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "SANDBOX_RATE_LIMIT_PER_SECOND" in refused.json()["hint"]


async def test_without_redis_each_worker_has_its_own_budget(make_settings: Any) -> None:
    """The default, and the reason for the Redis mode: N workers allow N x the burst."""
    settings = make_settings(rate_limit_per_second=0.5, rate_limit_burst=2, sweep_seconds=0)
    worker_a, worker_b = create_app(settings), create_app(settings)
    async with (
        worker_a.router.lifespan_context(worker_a),
        worker_b.router.lifespan_context(worker_b),
        client_for(worker_a) as a,
        client_for(worker_b) as b,
    ):
        partner = await sign_up(a)
        codes = [
            (await client.get("/v1/partners/me", headers=partner.headers)).status_code
            for client in (a, b, a, b, a)
        ]
        assert codes == [200, 200, 200, 200, 429]


async def test_two_workers_share_the_signup_budget_through_redis(
    make_settings: Any, redis_url: str, redis_prefix: str
) -> None:
    settings = make_settings(
        signup_rate_limit_per_minute=2, redis_url=redis_url, redis_prefix=redis_prefix
    )
    worker_a, worker_b = create_app(settings), create_app(settings)
    payload = {"name": "Team", "contactEmail": "t@example.com"}
    async with (
        worker_a.router.lifespan_context(worker_a),
        worker_b.router.lifespan_context(worker_b),
        client_for(worker_a) as a,
        client_for(worker_b) as b,
    ):
        codes = [(await c.post("/v1/partners", json=payload)).status_code for c in (a, b, b)]
    assert codes == [201, 201, 429]


async def test_a_worker_starts_and_serves_when_redis_is_down(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        rate_limit_per_second=0.5,
        rate_limit_burst=2,
        sweep_seconds=0,
    )
    app = create_app(settings)
    with caplog.at_level(logging.WARNING):
        async with app.router.lifespan_context(app), client_for(app) as client:
            partner = await sign_up(client)
            codes = [
                (await client.get("/v1/partners/me", headers=partner.headers)).status_code
                for _ in range(3)
            ]
    assert codes[:2] == [200, 200]  # fail open to the worker's own bucket, still limited
    assert codes[2] == 429
    assert any("Redis does not answer" in r.getMessage() for r in caplog.records)
