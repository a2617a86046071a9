"""The AA envelope every request carries (ReBIT 2.0.0: ver, timestamp, txnid), checked in the
spec's order, the date-times of the wire, and ``once_per_txnid``: the txnid as the idempotency
key of the AA's creating requests (POST /aa/Consent, POST /aa/FI/request)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from consent import errors
from consent.models import TIMESTAMP_TOLERANCE_US, VERSION
from consent.schemas.aa import Envelope
from sandbox.errors import IdempotencyConflict, SandboxError
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.storage.idempotency import Answer, Key, write_once
from sandbox.world.context import WorldContext

Effect = Callable[[Connection], "tuple[int, dict[str, Any]] | SandboxError"]


async def once_per_txnid(
    db: Database,
    world: WorldContext,
    txnid: str,
    fingerprint: str,
    effect: Effect,
    *,
    operation: str,
) -> Answer:
    """``effect``'s answer, made once per txnid (key ``aa:<txnid>``, one space for every AA
    request): the same txnid and body replays it, another body with it is IdempotencyError
    (naming ``operation``, the route, and the one the txnid was first used for)."""
    try:
        return await write_once(
            db,
            world.id,
            keys=[Key("txnid", f"aa:{txnid}")],
            fingerprint=fingerprint,
            operation=operation,
            now_us=world.now_us,
            effect=effect,
        )
    except IdempotencyConflict as conflict:
        raise errors.IdempotencyError(conflict.detail, hint=conflict.hint) from None


def parse_time(value: str, field: str) -> int:
    """An RFC 3339 date-time with an offset, as epoch microseconds; InvalidRequest naming
    ``field`` otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise errors.InvalidRequest(
            f"{field}: {value[:40]!r} is not an RFC 3339 date-time.",
            hint="Send e.g. 2026-01-15T10:00:00.000Z.",
        ) from None
    if moment.tzinfo is None:
        raise errors.InvalidRequest(
            f"{field}: {value[:40]!r} has no UTC offset.", hint="End it with Z or +05:30."
        )
    return int(moment.timestamp() * 1_000_000)


def check_envelope(world: WorldContext, body: Envelope) -> None:
    """ver 2.0.0 (else NoSuchVersion), txnid a UUID, timestamp within 15 minutes of the
    world's time (else InvalidRequest)."""
    if body.ver != VERSION:
        raise errors.NoSuchVersion(
            f"ver: {body.ver[:20]!r} is not a version this AA serves.",
            hint=f'Send "ver": "{VERSION}" (ReBIT NBFC-AA API 2.0.0).',
        )
    try:
        uuid.UUID(body.txnid)
    except ValueError:
        raise errors.InvalidRequest(
            f"txnid: {body.txnid[:64]!r} is not a UUID.",
            hint="The spec: 'The transaction identifier will be a UUID generated string'; "
            "make a new UUIDv4 per request.",
        ) from None
    sent = parse_time(body.timestamp, "timestamp")
    drift = sent - world.now_us
    if abs(drift) > TIMESTAMP_TOLERANCE_US:
        raise errors.InvalidRequest(
            f"timestamp: {body.timestamp} is {abs(drift) // 60_000_000} minutes "
            f"{'ahead of' if drift > 0 else 'behind'} the world's time {iso(world.now_us)}; "
            "the limit is 15 minutes.",
            hint="Stamp requests with the world's time (GET /v1/sandbox/clock), which moves when "
            "you advance the clock.",
        )
