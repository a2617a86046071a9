"""The partner's own view of its consents (/v1/consents), the test-only resident actions
(/v1/sandbox/aa/consents/{handle}/...) and its AA settings (/v1/partners/me/aa)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from consent.schemas.consent import (
    ConsentApproveIn,
    ConsentList,
    ConsentLogOut,
    ConsentOut,
    LogEntryOut,
)
from consent.schemas.settings import AaSettingsIn, AaSettingsOut
from consent.service import lifecycle, log, reads, settings
from sandbox.deps import CurrentWorld, State
from sandbox.kit.clock import iso
from sandbox.kit.responses import AUTHED, problems
from sandbox.kit.wire import cursor_schema

router = APIRouter(prefix="/v1/consents", tags=["consents"])
sandbox_router = APIRouter(prefix="/v1/sandbox/aa/consents", tags=["sandbox"])
settings_router = APIRouter(prefix="/v1/partners/me", tags=["partners"])

Handle = Annotated[
    str,
    Path(max_length=64, description="The ConsentHandle that POST /aa/Consent answered."),
]
StatusFilter = Literal["PENDING", "ACTIVE", "REJECTED", "PAUSED", "REVOKED", "EXPIRED"]


@router.get("", response_model=ConsentList, responses=problems(*AUTHED))
async def list_consents(
    world: CurrentWorld,
    state: State,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(**cursor_schema(reads.CURSOR_ID))] = None,
    status: Annotated[StatusFilter | None, Query()] = None,
) -> ConsentList:
    """Your world's consents, newest first."""
    rows, nxt = await reads.list_consents(
        state.db, world, limit=limit, cursor=cursor, status=status
    )
    return ConsentList(consents=[ConsentOut(**r) for r in rows], next_cursor=nxt)


@router.get("/{handle}", response_model=ConsentOut, responses=problems(*AUTHED, 404))
async def get_consent(handle: Handle, world: CurrentWorld, state: State) -> ConsentOut:
    """One consent (past its consentExpiry it reads EXPIRED)."""
    return ConsentOut(**await reads.get_consent(state.db, world, handle))


LOG_PAGE = 100
"""The log's default page: the most a page holds, so a client written when the route answered
the whole log still gets all of a log of up to 100 entries without asking for more."""


@router.get("/{handle}/log", response_model=ConsentLogOut, responses=problems(*AUTHED, 404))
async def consent_log(
    handle: Handle,
    world: CurrentWorld,
    state: State,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = LOG_PAGE,
    cursor: Annotated[str | None, Query(**cursor_schema(reads.CURSOR_ID))] = None,
) -> ConsentLogOut:
    """The consent's log (ConsentUse.logUri), oldest first, a page at a time: every entry's
    hash covers the one before it; `verified` says whether the whole chain holds, recomputed
    on this read of every page. A cursor is only good for the log that answered it."""
    row, entries, check, nxt = await log.read_log_page(
        state.db, world, handle, limit=limit, cursor=cursor
    )
    return ConsentLogOut(
        consent_handle=row.handle,
        consent_id=row.consent_id,
        verified=check.ok,
        broken_at=check.broken_at,
        entries=[
            LogEntryOut(
                seq=e.seq,
                at=iso(e.at_us),
                kind=e.kind,
                data=e.data,
                prev_hash=e.prev_hash,
                hash=e.hash,
            )
            for e in entries
        ],
        next_cursor=nxt,
    )


_ACTION = problems(*AUTHED, 404, 409)


@sandbox_router.post("/{handle}/approve", response_model=ConsentOut, responses=_ACTION)
async def approve(
    handle: Handle, world: CurrentWorld, state: State, body: ConsentApproveIn | None = None
) -> ConsentOut:
    """Test-only: the customer approves in her AA app, sharing `accounts` (all eligible ones
    if left out): PENDING -> ACTIVE, the artefact signed, the FIU notified."""
    chosen = body.accounts if body is not None else None
    return ConsentOut(**await lifecycle.approve(state.db, world, state.keys, handle, chosen))


def _action(action: str, doc: str) -> None:
    async def route(handle: Handle, world: CurrentWorld, state: State) -> ConsentOut:
        return ConsentOut(**await lifecycle.change(state.db, world, handle, action))

    route.__doc__ = doc
    route.__name__ = f"{action}_consent"
    sandbox_router.post(f"/{{handle}}/{action}", response_model=ConsentOut, responses=_ACTION)(
        route
    )


_action("reject", "Test-only: the customer rejects: PENDING -> REJECTED (handle FAILED).")
_action("pause", "Test-only: the customer pauses: ACTIVE -> PAUSED (FI requests: ConsentPaused).")
_action("resume", "Test-only: the customer resumes: PAUSED -> ACTIVE.")
_action("revoke", "Test-only: the customer revokes: ACTIVE or PAUSED -> REVOKED, for good.")


def _settings_out(s: settings.AaSettings) -> AaSettingsOut:
    return AaSettingsOut(
        signing_key=s.signing_key,
        notification_url=s.notification_url,
        notifications_go_to=s.notifications_go_to,
    )


@settings_router.get("/aa", response_model=AaSettingsOut, responses=problems(*AUTHED))
async def get_aa_settings(world: CurrentWorld, state: State) -> AaSettingsOut:
    """Your AA settings: the key your /aa requests are signed with, where notifications go."""
    return _settings_out(await settings.get_settings(state.db, world))


@settings_router.put("/aa", response_model=AaSettingsOut, responses=problems(*AUTHED))
async def put_aa_settings(body: AaSettingsIn, world: CurrentWorld, state: State) -> AaSettingsOut:
    """Set both: `signingKey` (your public RSA JWK; from then on every /aa request must carry a
    valid `x-jws-signature`) and `notificationUrl` (your FIU base URL: notifications go to
    `<notificationUrl>/Consent/Notification`, else to your webhook URL). null clears one."""
    return _settings_out(await settings.put_settings(state.db, world, body))
