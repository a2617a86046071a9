"""What both halves of the console share: the app state, the world of a signed-in partner or
resident, and the preamble of every form handler (``checked_form``: signed in, then the CSRF
check, or the page that refuses)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from console.render import refused
from console.session import CsrfRefused, Fields, Sessions, form
from sandbox.partners import service as partners
from sandbox.partners.models import Caller
from sandbox.state import AppState
from sandbox.world.context import WorldContext

T = TypeVar("T")


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.sandbox
    return state


def sessions(request: Request) -> Sessions:
    return Sessions(state_of(request).settings.secret_key)


async def partner_caller(request: Request) -> Caller | None:
    """The partner signed in to the dashboard in this browser (its key still active)."""
    session = sessions(request).partner(request)
    if session is None:
        return None
    return await partners.session_caller(state_of(request).db, session.partner_id, session.key_id)


def world_of(request: Request, caller: Caller) -> WorldContext:
    state = state_of(request)
    return WorldContext.of(caller.partner, state.settings.secret_key, state.clock)


def csrf_refused(request: Request) -> HTMLResponse:
    return refused(
        request,
        403,
        "Form refused",
        "This form did not carry the CSRF token of this browser (an old page, or a form "
        "posted from another site).",
        "Reload the page and send the form again.",
    )


@overload
async def checked_form(request: Request) -> Fields | Response: ...


@overload
async def checked_form(
    request: Request,
    who: Callable[[Request], Awaitable[T | None]],
    signed_out: Callable[[Request], Response],
) -> tuple[T, Fields] | Response: ...


async def checked_form(
    request: Request,
    who: Callable[[Request], Awaitable[T | None]] | None = None,
    signed_out: Callable[[Request], Response] | None = None,
) -> tuple[T, Fields] | Fields | Response:
    """The preamble of every form handler: whoever ``who`` finds signed in (else
    ``signed_out``'s answer), then the POSTed fields once the CSRF check passed (else the 403
    page). Without ``who`` (the sign-in forms) only the fields. A handler returns a
    ``Response`` as it is and unpacks the rest."""
    if who is None or signed_out is None:
        return await _fields(request)
    found = await who(request)
    if found is None:
        return signed_out(request)
    fields = await _fields(request)
    return fields if isinstance(fields, Response) else (found, fields)


async def _fields(request: Request) -> Fields | Response:
    try:
        return await form(request)
    except CsrfRefused:
        return csrf_refused(request)
