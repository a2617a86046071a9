"""Rate limits per key: token buckets in process memory, or shared by every worker through Redis.

A bucket holds ``burst`` tokens and refills at ``rate`` per second; a request takes one. Callers
``await limiter.acquire(key)`` and get 0.0 (allowed) or the seconds until a token is available.

``RateLimiter`` (the default) keeps the buckets in this process: O(1) per request with no I/O.
With several API worker processes each keeps its own buckets, so the effective limit is
``workers x rate``. ``RedisRateLimiter`` (``SANDBOX_REDIS_URL`` set) keeps one bucket per key in
Redis for every worker and host: one round trip per request (EVALSHA of a GCRA script that reads
the clock, decides and writes atomically, so two workers can never both take the last token).
When Redis does not answer it falls back to the in-process buckets for a few seconds (fail open,
logged once per outage): see docs/decisions/payments.md "Scale-out".
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger("sandbox.ratelimit")


class Limiter(Protocol):
    rate: float

    async def acquire(self, key: str) -> float:
        """Take a token for ``key``: 0.0 if allowed, else seconds until one is available."""
        ...


def retry_after(wait: float) -> int:
    """The Retry-After header value (whole seconds, at least 1)."""
    return max(1, math.ceil(wait))


class RateLimiter:
    """Token buckets in this process's memory."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """Take a token for ``key``: 0.0 if allowed, else seconds until one is available."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._buckets.clear()  # bounded memory; a reset only ever forgives
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    async def acquire(self, key: str) -> float:
        return self.take(key)


# GCRA, the token bucket kept as one timestamp: the key holds the bucket's "theoretical arrival
# time" (TAT) in microseconds of Redis's own clock (one clock for every worker and host). A
# bucket with TAT - now = d has burst - d / interval tokens left; a request is allowed while at
# least one is left, i.e. while TAT - now <= (burst - 1) * interval, and moves TAT one interval
# on. A refused request changes nothing. The key expires when the bucket would be full again, so
# an expired key and a full bucket are the same state and Redis holds only active callers.
# KEYS[1]: the bucket; ARGV[1]: microseconds per token; ARGV[2]: (burst - 1) * ARGV[1].
# Returns 0 (allowed) or the microseconds until a token is available.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return wait end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
return 0
"""


def redis_client(url: str, *, timeout: float) -> aioredis.Redis:
    """An asyncio client for the limiter: short timeouts and no retries, so that an outage
    costs a request at most ``timeout`` once before the limiter falls back (redis-py retries
    three times with backoff by default)."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


class RedisRateLimiter:
    """Token buckets in Redis, shared by every process that uses the same ``prefix``.

    ``name`` tells the limiters apart (``api``, ``signup``); a bucket's key is
    ``<prefix>ratelimit:<name>:<key>``. When Redis fails (refused, timed out, any Redis error)
    the request is decided by an in-process ``RateLimiter`` of the same rate, and Redis is not
    asked again for ``retry_seconds``: an outage costs each worker one slow request per
    ``retry_seconds``, never one per request.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        rate: float,
        burst: int,
        *,
        prefix: str,
        name: str,
        retry_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.client = client
        self.namespace = f"{prefix}ratelimit:{name}:"
        self.retry_seconds = retry_seconds
        self.fallback = RateLimiter(rate, burst)
        interval = max(1, round(1_000_000 / rate))
        self._args = (interval, (burst - 1) * interval)
        self._script = client.register_script(_GCRA)
        self._monotonic = monotonic
        self._down_until: float | None = None  # set while Redis is considered unreachable

    @property
    def degraded(self) -> bool:
        """True while requests are decided by the in-process fallback."""
        return self._down_until is not None

    async def acquire(self, key: str) -> float:
        if self._down_until is not None and self._monotonic() < self._down_until:
            return self.fallback.take(key)
        try:
            waited = await self._script(keys=[self.namespace + key], args=self._args)
        except (RedisError, OSError) as exc:
            self._went_down(exc)
            return self.fallback.take(key)
        if self._down_until is not None:
            self._down_until = None
            log.info("Redis answers the rate limiter again", extra={"limiter": self.namespace})
        return int(waited) / 1_000_000

    def _went_down(self, exc: BaseException) -> None:
        if self._down_until is None:  # once per outage, not once per request
            log.warning(
                "Redis did not answer the rate limiter; each worker limits by itself until it "
                "does (effective limit: workers x rate)",
                extra={"limiter": self.namespace, "error": f"{type(exc).__name__}: {exc}"},
            )
        self._down_until = self._monotonic() + self.retry_seconds
