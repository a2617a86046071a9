"""Routes of the caller's world: personas, reset, virtual clock."""

from __future__ import annotations

from fastapi import APIRouter

from sandbox.deps import CurrentCaller, CurrentWorld, State
from sandbox.kit.clock import iso
from sandbox.kit.responses import AUTHED, problems
from sandbox.population.countries import get_country
from sandbox.world import service
from sandbox.world.models import ClockView
from sandbox.world.schemas import (
    AccountOut,
    ClockAdvance,
    ClockOut,
    PersonaList,
    PersonaOut,
    ResetDone,
)

router = APIRouter(prefix="/v1/sandbox", tags=["sandbox"])


@router.get("/personas", response_model=PersonaList, responses=problems(*AUTHED))
async def list_personas(caller: CurrentCaller, state: State) -> PersonaList:
    """The documented test people of your world, with their ID numbers, VPAs, PINs and accounts."""
    views = await service.personas(state.db, caller.partner)
    return PersonaList(
        country=caller.partner.country,
        currency=get_country(caller.partner.country).currency,
        personas=[
            PersonaOut(
                key=v.key,
                purpose=v.purpose,
                name=v.name,
                name_local=v.name_local,
                uid=v.uid,
                dob=v.dob,
                gender=v.gender,
                mobile=v.mobile,
                mobile_verified=v.mobile_verified,
                email=v.email,
                language=v.language,
                biometrics_locked=v.biometrics_locked,
                vpa=v.vpa,
                upi_pin=v.upi_pin,
                aa_handle=v.aa_handle,
                accounts=[
                    AccountOut(
                        number=a.number,
                        ifsc=a.ifsc,
                        bank_code=a.bank_code,
                        bank_name=a.bank_name,
                        bank_online=a.bank_online,
                        type=a.type,
                        currency=a.currency,
                        balance=a.balance,
                        status=a.status,
                        vpas=list(a.vpas),
                    )
                    for a in v.accounts
                ],
            )
            for v in views
        ],
    )


@router.post("/reset", response_model=ResetDone, responses=problems(*AUTHED))
async def reset_world(world: CurrentWorld, state: State) -> ResetDone:
    """Restore your world as it was at signup: balances, PINs, history, and the clock."""
    clock = await service.reset(state.db, state.settings, world, callers=state.callers)
    return ResetDone(residents=world.partner.world_residents, clock=_clock(clock))


@router.get("/clock", response_model=ClockOut, responses=problems(*AUTHED))
async def get_clock(world: CurrentWorld) -> ClockOut:
    """Your world's time: real time plus however far you advanced it."""
    return _clock(service.clock(world))


@router.post("/clock/advance", response_model=ClockOut, responses=problems(*AUTHED))
async def advance_clock(body: ClockAdvance, world: CurrentWorld, state: State) -> ClockOut:
    """Move your world's clock forward to see OTPs, collects, consents and mandates expire."""
    view = await service.advance_clock(state.db, world, body.seconds, callers=state.callers)
    return _clock(view)


def _clock(view: ClockView) -> ClockOut:
    return ClockOut(now=iso(view.now_us), offset_seconds=view.offset_us // 1_000_000)
