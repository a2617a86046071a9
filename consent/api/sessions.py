"""The partner's own FI sessions (/v1/fi/sessions) and the easy path: a session's FI data,
decrypted, for teams not yet doing the crypto of POST /aa/FI/fetch."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from consent.schemas.fi import FiSessionData, FiSessionList, FiSessionOut
from consent.service import fi_fetch, fi_sessions
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems
from sandbox.kit.wire import cursor_schema

router = APIRouter(prefix="/v1/fi/sessions", tags=["consents"])

SessionId = Annotated[
    str, Path(max_length=64, description="The sessionId that POST /aa/FI/request answered.")
]


@router.get("", response_model=FiSessionList, responses=problems(*AUTHED))
async def list_sessions(
    world: CurrentWorld,
    state: State,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(**cursor_schema(fi_sessions.CURSOR_ID))] = None,
    status: Annotated[Literal["ACTIVE", "COMPLETED", "EXPIRED", "FAILED"] | None, Query()] = None,
) -> FiSessionList:
    """Your world's FI sessions, newest first."""
    rows, nxt = await fi_sessions.list_sessions(
        state.db, world, limit=limit, cursor=cursor, status=status
    )
    return FiSessionList(sessions=[FiSessionOut(**r) for r in rows], next_cursor=nxt)


@router.get("/{session_id}", response_model=FiSessionOut, responses=problems(*AUTHED, 404))
async def get_session(session_id: SessionId, world: CurrentWorld, state: State) -> FiSessionOut:
    """One FI session: its status and each account's FIStatus (past its window: EXPIRED)."""
    return FiSessionOut(**await fi_sessions.get_session(state.db, world, session_id))


@router.get(
    "/{session_id}/data",
    response_model=FiSessionData,
    responses=problems(*AUTHED, 400, 403, 404, 410),
)
async def get_session_data(
    session_id: SessionId,
    world: CurrentWorld,
    state: State,
    format: Annotated[
        Literal["json", "xml"],
        Query(description="json: the ReBIT schema's JSON rendition; xml: the XML document."),
    ] = "json",
) -> FiSessionData:
    """The easy path: the session's FI data, decrypted (the same documents POST /aa/FI/fetch
    encrypts). Counts as a fetch: the accounts become DELIVERED and the consent log records it.
    Refused like FI/fetch: DataGone (410) after the session's 24 hours, ConsentPaused/Revoked/
    Expired (403) if the consent changed since. Use it to start; switch to /aa/FI/fetch."""
    return FiSessionData(**await fi_fetch.session_data(state.db, world, session_id, format))
