"""The partner's audit trail of authentications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from identity.models import AuthRecord
from identity.schemas.records import AuthRecordList, AuthRecordOut
from identity.service import records
from sandbox.deps import CurrentWorld, State
from sandbox.kit.clock import iso
from sandbox.kit.responses import AUTHED, problems
from sandbox.kit.wire import cursor_schema

router = APIRouter(prefix="/v1/identity", tags=["identity"])

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@router.get("/auth-records", response_model=AuthRecordList, responses=problems(*AUTHED))
async def list_auth_records(
    world: CurrentWorld,
    state: State,
    uid_token: str | None = Query(
        None, alias="uidToken", max_length=64, description="Only this resident's."
    ),
    since: Annotated[
        datetime | None,
        Query(alias="from", description="World time, inclusive (RFC 3339; UTC if no offset)."),
    ] = None,
    until: Annotated[
        datetime | None,
        Query(alias="to", description="World time, exclusive (RFC 3339; UTC if no offset)."),
    ] = None,
    limit: int = Query(20, ge=1, le=100, description="Page size."),
    cursor: str | None = Query(None, **cursor_schema(records.CURSOR_ID)),
) -> AuthRecordList:
    """Your authentications, newest first (no full ID number: the last 4 digits and your UID
    token)."""
    found = await records.list_records(
        state.db,
        world,
        limit=limit,
        cursor=cursor,
        uid_token=uid_token,
        since_us=_us(since),
        until_us=_us(until),
    )
    return AuthRecordList(records=[_out(r) for r in found.records], next_cursor=found.next_cursor)


@router.get("/auth-records/{code}", response_model=AuthRecordOut, responses=problems(*AUTHED, 404))
async def get_auth_record(code: str, world: CurrentWorld, state: State) -> AuthRecordOut:
    """One authentication, by the `code` of its answer."""
    return _out(await records.get_record(state.db, world, code))


def _us(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)  # no overflow near year 1 or 9999


def _out(r: AuthRecord) -> AuthRecordOut:
    return AuthRecordOut(
        code=r.id,
        txn=r.txn,
        ret=r.ret,
        err=r.err,
        actn=r.actn,
        uid="XXXXXXXX" + r.uid_last4,
        uid_token=r.uid_token,
        uses=r.uses,
        easy_path=r.easy_path,
        pid_ts=r.pid_ts,
        authenticated_at=iso(r.created_us),
    )
