"""``create_app(settings)``: the only place where the sandbox is wired together."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from consent.domain import DOMAIN as CONSENT
from identity.domain import DOMAIN as IDENTITY
from payments.domain import DOMAIN as PAYMENTS
from sandbox.domains import Domain, signers_of
from sandbox.inbox.api import router as inbox_router
from sandbox.keys.api import router as keys_router
from sandbox.keys.ring import KeyRing
from sandbox.kit.clock import SYSTEM_CLOCK, Clock
from sandbox.ops import logs, problems
from sandbox.ops.api import router as ops_router
from sandbox.ops.middleware import Metrics, RequestContext
from sandbox.ops.ratelimit import RateLimiter
from sandbox.partners.api import router as partners_router
from sandbox.settings import Settings
from sandbox.state import AppState
from sandbox.storage.database import open_database
from sandbox.web import docs
from sandbox.webhooks.api import router as webhooks_router
from sandbox.webhooks.dispatcher import Dispatcher
from sandbox.world.api import router as world_router

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
    metrics = Metrics()
    state = AppState(
        settings=settings,
        db=db,
        metrics=metrics,
        limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        signup_limiter=RateLimiter(
            settings.signup_rate_limit_per_minute / 60, settings.signup_rate_limit_per_minute
        ),
        keys=KeyRing.for_settings(settings),
        clock=clock,
        domains=tuple(domains),
    )

    jobs = [job for domain in domains for job in domain.jobs(db, settings, clock)]
    signers = signers_of(domains, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.start()
        if settings.dispatch_webhooks:
            state.dispatcher = Dispatcher(db, settings, clock=clock, signers=signers)
            state.dispatcher.start()
        for job in jobs:
            job.start()
        try:
            yield
        finally:
            for job in jobs:
                await job.stop()
            if state.dispatcher is not None:
                await state.dispatcher.stop()
                state.dispatcher = None
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
    docs.install(app)  # after the API: its pages and assets are never matched before a route
    app.add_middleware(
        RequestContext,
        metrics=metrics,
        max_body=settings.max_body_bytes,
        access_log=settings.access_log,
    )
    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn workers (``sandbox serve``): settings from the environment."""
    settings = Settings()
    logs.configure(settings.log_level)
    return create_app(settings)
