"""The signed-in resident, as every resident screen finds her: her session cookie, her world
(a partner's) and her persona (accounts, VPAs); and the redirect to sign in when there is none."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse

from console import render
from console.common import sessions, state_of
from console.session import ResidentSession
from sandbox.partners import service as partners
from sandbox.world import service as world_service
from sandbox.world.context import WorldContext
from sandbox.world.models import PersonaView

HOME = "/console/resident"
SIGN_IN = "/console/resident/sign-in"


@dataclass(frozen=True, slots=True)
class Resident:
    """The signed-in resident: her session, her world, and her persona (accounts, VPAs)."""

    session: ResidentSession
    world: WorldContext
    persona: PersonaView

    @property
    def vpas(self) -> set[str]:
        return {v for account in self.persona.accounts for v in account.vpas}


async def world_by_id(request: Request, world_id: str) -> WorldContext | None:
    state = state_of(request)
    partner = await partners.partner_of_world(state.db, world_id)
    if partner is None:
        return None
    return WorldContext.of(partner, state.settings.secret_key, state.clock)


async def signed_in(request: Request) -> Resident | None:
    found = sessions(request).resident(request)
    if found is None or not found.signed_in:
        return None
    world = await world_by_id(request, found.world_id)
    if world is None:
        return None
    people = await world_service.personas(state_of(request).db, world.partner)
    persona = next((p for p in people if p.uid == found.uid), None)
    if persona is None:  # the world was reset to another population, or the cookie is stale
        return None
    return Resident(found, world, persona)


def to_sign_in(request: Request) -> RedirectResponse:
    """To the sign-in steps, coming back here (path and query) once she is in."""
    here = request.url.path.removeprefix(request.scope.get("root_path", "").rstrip("/"))
    if request.url.query:
        here += "?" + request.url.query
    return render.see_other(request, f"{SIGN_IN}?next={quote(here, safe='')}")
