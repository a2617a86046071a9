"""FastAPI dependencies shared by every router: the app state, the signing keys, the
authenticated caller and the caller's world.

All are ``async def``: a sync dependency costs a thread-pool hop per request.
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sandbox.keys.ring import KeyRing
from sandbox.ops.ratelimit import retry_after
from sandbox.partners import service as partners
from sandbox.partners.errors import TooManyRequests
from sandbox.partners.models import Caller
from sandbox.state import AppState
from sandbox.world.context import WorldContext

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="The API key from POST /v1/partners, as `Authorization: Bearer sk_sandbox_...`.",
)


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.sandbox
    return state


async def _authenticated(request: Request) -> Caller:
    """The partner behind the request's API key, within its rate limit."""
    state: AppState = request.app.state.sandbox
    caller = await partners.authenticate(
        state.db, request.headers.get("authorization"), state.callers
    )
    await within_rate_limit(state, caller.key_id, "This API key")
    return caller


async def within_rate_limit(state: AppState, bucket: str, who: str) -> None:
    """Take one request from ``bucket``'s token bucket, or refuse with 429 and Retry-After.
    In-process by default (no I/O); one Redis round trip when ``SANDBOX_REDIS_URL`` is set."""
    wait = await state.limiter.acquire(bucket)
    if wait:
        raise TooManyRequests(
            f"{who} sent more than {state.settings.rate_limit_per_second:g} requests per second.",
            retry_after=retry_after(wait),
            hint="Wait for Retry-After seconds; for load tests raise "
            "SANDBOX_RATE_LIMIT_PER_SECOND.",
        )


async def get_caller(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Caller:
    return await _authenticated(request)


async def get_world(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> WorldContext:
    """The caller's world, with its time read once from the app's clock. It authenticates by
    itself rather than depending on ``get_caller``: one dependency less on every domain route
    (the payment path's), so a route takes either ``CurrentWorld`` or ``CurrentCaller``, never
    both (that would authenticate, and count against the rate limit, twice)."""
    return (await get_served(request)).world


class Served(NamedTuple):
    """The caller's world and the app state, as a hot route's handler gets them."""

    world: WorldContext
    state: AppState


async def get_served(request: Request) -> Served:
    """The caller's world and the app state in one call, for the hot routes' lean doubles
    (``sandbox.hot``, which call it once the body and header passed) and ``get_world``. It
    authenticates and takes one request from the key's rate limit."""
    state: AppState = request.app.state.sandbox
    caller = await _authenticated(request)
    return Served(WorldContext.of(caller.partner, state.settings.secret_key, state.clock), state)


async def get_keys(request: Request) -> KeyRing:
    state: AppState = request.app.state.sandbox
    return state.keys


State = Annotated[AppState, Depends(get_state)]
Keys = Annotated[KeyRing, Depends(get_keys)]
CurrentCaller = Annotated[Caller, Depends(get_caller)]
CurrentWorld = Annotated[WorldContext, Depends(get_world)]
