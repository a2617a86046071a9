"""What both halves of the console share: the app state, the world of a signed-in partner or
resident, and the CSRF refusal as a page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse

from console.render import refused
from console.session import Sessions
from sandbox.partners import service as partners
from sandbox.partners.models import Caller
from sandbox.state import AppState
from sandbox.world.context import WorldContext


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
