"""``create_app(settings)``: the only place where the sandbox is wired together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from redis.asyncio import Redis
from redis.exceptions import RedisError

from consent.domain import DOMAIN as CONSENT
from console.app import install as install_console
from identity.domain import DOMAIN as IDENTITY
from payments.domain import DOMAIN as PAYMENTS
from sandbox.domains import Domain, signers_of
from sandbox.hot import LeanRoute
from sandbox.inbox.api import router as inbox_router
from sandbox.keys.api import router as keys_router
from sandbox.keys.ring import KeyRing
from sandbox.kit.clock import SYSTEM_CLOCK, Clock
from sandbox.kit.secrets import redact_url
from sandbox.ops import gctune, logs, looplag, problems
from sandbox.ops.api import router as ops_router
from sandbox.ops.middleware import Metrics, RequestContext
from sandbox.ops.ratelimit import Limiter, RateLimiter, RedisRateLimiter, redis_client
from sandbox.partners.api import router as partners_router
from sandbox.partners.cache import CallerCache, PartnerListener
from sandbox.settings import Settings
from sandbox.state import AppState
from sandbox.storage.database import open_database
from sandbox.web import docs
from sandbox.webhooks.api import router as webhooks_router
from sandbox.webhooks.dispatcher import Dispatcher
from sandbox.world.api import router as world_router

log = logging.getLogger("sandbox.app")

INSTALLED: tuple[Domain, ...] = (PAYMENTS, IDENTITY, CONSENT)

DESCRIPTION = """
India-Stack-style open APIs over a synthetic population: identity, consent and payments.

**Start here**: `POST /v1/partners` gives you an API key and a world of your own. Send the key as
`Authorization: Bearer <apiKey>` (the Authorize button above), then `GET /v1/sandbox/personas`
lists the documented test people of your world.

Every error is RFC 9457 `application/problem+json` with a `hint` on how to fix the request.
"""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    domains: Sequence[Domain] = INSTALLED,
) -> FastAPI:
    """The app; ``clock`` is the real-time source of every world (tests pass a ManualClock);
    ``domains`` are wired in generically: routers, periodic jobs, webhook signers."""
    settings = settings or Settings()
    db = open_database(settings)
    metrics = Metrics(settings.prometheus_multiproc_dir)
    redis = None
    if settings.redis_url:
        redis = redis_client(settings.redis_url, timeout=settings.redis_timeout_seconds)

    def limiter(name: str, rate: float, burst: int) -> Limiter:
        if redis is None:
            return RateLimiter(rate, burst)
        return RedisRateLimiter(redis, rate, burst, prefix=settings.redis_prefix, name=name)

    state = AppState(
        settings=settings,
        db=db,
        metrics=metrics,
        limiter=limiter("api", settings.rate_limit_per_second, settings.rate_limit_burst),
        signup_limiter=limiter(
            "signup",
            settings.signup_rate_limit_per_minute / 60,
            settings.signup_rate_limit_per_minute,
        ),
        keys=KeyRing.for_settings(settings),
        clock=clock,
        domains=tuple(domains),
        callers=CallerCache(
            size=settings.api_key_cache_size,
            max_age=settings.api_key_cache_seconds,
            enabled=settings.api_key_cache_size > 0,
        ),
    )
    listener = None
    if not settings.is_sqlite and settings.api_key_cache_size > 0:
        listener = PartnerListener(settings.database_url, state.callers)

    jobs = [job for domain in domains for job in domain.jobs(db, settings, clock)]
    if settings.loop_lag_seconds > 0:
        jobs.append(looplag.monitor(metrics.registry, settings.loop_lag_seconds))
    signers = signers_of(domains, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.start()
        if settings.dispatch_webhooks:
            state.dispatcher = Dispatcher(db, settings, clock=clock, signers=signers)
            state.dispatcher.start()
        for job in jobs:
            job.start()
        if redis is not None:
            await _check_redis(redis, settings)
        if listener is not None:
            await listener.start()
        try:
            yield
        finally:
            if listener is not None:
                await listener.stop()
            for job in jobs:
                await job.stop()
            if state.dispatcher is not None:
                await state.dispatcher.stop()
                state.dispatcher = None
            if redis is not None:
                await redis.aclose()
            db.close()

    app = FastAPI(
        title="India Stack Sandbox",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by sandbox.web.docs, with no asset from another host
        redoc_url=None,
    )
    app.state.sandbox = state
    problems.install(app)
    for router in (
        partners_router,
        world_router,
        webhooks_router,
        keys_router,
        inbox_router,
        *(router for domain in domains for router in domain.routers),
        ops_router,
    ):
        app.include_router(router)
    _match_hot_routes_first(app, domains)
    problems.document_body_limit(app)
    docs.install(app)  # after the API: its pages and assets are never matched before a route
    install_console(app)  # the web console's pages under /console (not in the OpenAPI document)
    app.add_middleware(
        RequestContext,
        metrics=metrics,
        max_body=settings.max_body_bytes,
        access_log=settings.access_log,
    )
    return app


def _match_hot_routes_first(app: FastAPI, domains: Sequence[Domain]) -> None:
    """The router tries routes in order, and the payment's came after every platform router:
    each domain's lean doubles of its hot routes (``Domain.hot``, ``sandbox.hot``) go first,
    as plain Starlette routes, which FastAPI leaves out of the OpenAPI document (the documented
    routes alone make it, in their order). A double must have the method and static path of a
    documented route: it then matches exactly the requests that route does, so no other route
    is shadowed, and a wrong method still answers the original's 405."""
    doubles: list[LeanRoute] = []
    for domain in domains:
        documented = {
            (method, route.path)
            for router in domain.routers
            for route in router.routes
            if isinstance(route, APIRoute)
            for method in route.methods or ()
        }
        for hot_router in domain.hot:
            for hot in hot_router.routes:
                if "{" in hot.path:
                    raise ValueError(f"{domain.name}: hot route {hot.path} must be static")
                if (hot.method, hot.path) not in documented:
                    raise ValueError(
                        f"{domain.name}: hot route {hot.method} {hot.path} doubles no route"
                    )
                doubles.append(LeanRoute(hot))
    app.router.routes[0:0] = doubles


async def _check_redis(redis: Redis, settings: Settings) -> None:
    """Say at start whether the rate limits are shared: an unreachable Redis does not stop the
    worker (the limiters fall back to their own buckets until it answers), but it is logged."""
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        log.warning(
            "Redis does not answer; rate limits stay per worker until it does",
            extra={"redis": redact_url(settings.redis_url), "error": type(exc).__name__},
        )


def app_factory() -> FastAPI:
    """Entry point for uvicorn workers (``sandbox serve``): settings from the environment."""
    settings = Settings()
    logs.configure(settings.log_level)
    app = create_app(settings)
    # serving processes only, see sandbox/ops/gctune.py
    gctune.observe_pauses(app.state.sandbox.metrics.registry)
    gctune.tune(settings.gc_gen0_threshold)
    return app
