"""Idempotency for every domain: a client-chosen key stored in the same transaction as the effect
it guards (DESIGN section 3).

A request may carry several keys (UPI: the ``Idempotency-Key`` header and the client's
``txnId``; Aadhaar: ``txn``; AA: ``txnid``). The first request with a key runs its effect and
stores the answer under every key; a later request with a known key and the same fingerprint
(``WorldContext.fingerprint(op, body)``: the operation is part of it, so one key sent to two
endpoints is two requests) replays the stored answer, and one with another fingerprint is refused
(409) with nothing done. Keys live as long as the world (a reset clears them with the rest).

A key is the partner's (its world's), not a route's: one key names one request across every
route that takes keys (pay, collect, refunds, mandates, Aadhaar auth, eKYC, OTP, VIDs), as
Stripe's keys do. So each key's row also keeps the ``operation`` it was first used for (the
route, ``POST /v1/upi/pay``), and the 409 of a key reused elsewhere says where it was first used.

``write_once`` owns the race: two twins that both find no key both run; the one that commits
second fails on the key's uniqueness (``IntegrityError``) or sees the twin's effect (the effect
raises ``Raced``) and is run once more, which then replays or refuses.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from pydantic_core import to_json
from sqlalchemy.engine import Connection

from sandbox.errors import IdempotencyConflict, SandboxError
from sandbox.storage import raw
from sandbox.storage.database import Database
from sandbox.storage.raw import Raw
from sandbox.storage.scoped import WorldStore

_RECALL = Raw("""
    SELECT fingerprint, status_code, response FROM idempotency_keys
    WHERE world_id = :world_id AND key = :key
""")
_REMEMBER = Raw("""
    INSERT INTO idempotency_keys (world_id, key, fingerprint, status_code, response, created_us)
    VALUES (:world_id, :key, :fingerprint, :status_code, :response, :created_us)
""")


@dataclass(frozen=True, slots=True)
class Key:
    """One key of a request: ``field`` names it to the client, ``stored`` is its row's key."""

    field: str
    stored: str


def keys_for(
    idempotency_key: str | None,
    client_id: str | None,
    *,
    client_field: str = "txnId",
    client_prefix: str = "txn",
) -> list[Key]:
    """The keys of a request: its ``Idempotency-Key`` header and the client's own id, if any."""
    keys = []
    if idempotency_key:
        keys.append(Key("Idempotency-Key", f"idem:{idempotency_key}"))
    if client_id:
        keys.append(Key(client_field, f"{client_prefix}:{client_id}"))
    return keys


# The stored JSON: the answer under ``~answer`` and the operation the key was first used for
# under ``~operation`` (members no wire model has). Rows stored before the operation was kept
# hold the bare answer; their operation is unknown (None).
_OPERATION, _ANSWER = "~operation", "~answer"


@dataclass(frozen=True, slots=True)
class Remembered:
    """The first answer stored under a key, and the operation it answered (None: not kept)."""

    fingerprint: str
    status_code: int
    response: dict[str, Any]
    operation: str | None = None


class IdempotencyStore(WorldStore):
    def recall(self, key: str) -> Remembered | None:
        row = raw.fetchone(self.conn, _RECALL, {"world_id": self.world_id, "key": key})
        if row is None:
            return None
        stored = json.loads(row[2]) if isinstance(row[2], str) else row[2]
        operation = None
        if _ANSWER in stored:
            operation, stored = stored.get(_OPERATION), stored[_ANSWER]
        return Remembered(row[0], int(row[1]), stored, operation)

    def remember(
        self,
        key: str,
        fingerprint: str,
        status_code: int,
        response: dict[str, Any],
        now_us: int,
        *,
        operation: str,
    ) -> None:
        raw.send(  # blind; a key taken meanwhile fails the unit (IntegrityError) at its flush
            self.conn,
            _REMEMBER,
            {
                "world_id": self.world_id,
                "key": key,
                "fingerprint": fingerprint,
                "status_code": status_code,
                # read back by json.loads
                "response": to_json({_OPERATION: operation, _ANSWER: response}).decode(),
                "created_us": now_us,
            },
        )


class Answer(NamedTuple):
    status: int
    body: dict[str, Any]
    replayed: bool


class Raced(Exception):
    """Raised by an effect that finds its own client id already taken (a concurrent twin
    committed first): the unit is run once more, and a second ``Raced`` is a conflict."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


Effect = Callable[[Connection], "tuple[int, dict[str, Any]] | SandboxError"]


async def write_once(
    db: Database,
    world_id: str,
    *,
    keys: list[Key],
    fingerprint: str,
    operation: str,
    now_us: int,
    effect: Effect,
    conflict_extra: Mapping[str, Any] | None = None,
) -> Answer:
    """Run ``effect`` once per key, in one unit of work with the keys it is stored under.

    ``operation`` names the request to the client (its route: ``POST /v1/upi/pay``; the XML
    twin of a JSON route shares its name, as it shares its fingerprint); a key reused for
    another operation is refused with both names.

    ``effect(conn)`` returns ``(status, body)``, which is stored and answered; or a
    ``SandboxError``, which is raised after the unit commits (what the effect wrote, e.g. an
    expiry it noticed, is kept) and stored under no key, so a retry is decided afresh.
    ``conflict_extra`` goes into the 409 a reused key gets (UPI: ``responseCode`` U01).
    """
    extra = dict(conflict_extra or {})

    def unit(conn: Connection, *, first_try: bool = True) -> Answer | SandboxError:
        store = IdempotencyStore(conn, world_id)
        for key in keys:
            seen = store.recall(key.stored)
            if seen is None:
                continue
            if seen.fingerprint != fingerprint:
                raise _conflict(key, extra, first=seen.operation, now=operation)
            return Answer(seen.status_code, dict(seen.response), True)
        try:
            result = effect(conn)
        except Raced as raced:
            if first_try:
                raise
            raise _conflict(Key(raced.field, ""), extra) from None
        if isinstance(result, SandboxError):
            return result
        status, body = result
        for key in keys:
            store.remember(key.stored, fingerprint, status, body, now_us, operation=operation)
        return Answer(status, body, False)

    try:
        outcome = await db.write(unit)
    except (sa.exc.IntegrityError, Raced):
        outcome = await db.write(functools.partial(unit, first_try=False))
    if isinstance(outcome, SandboxError):
        raise outcome
    return outcome


def _conflict(
    key: Key, extra: dict[str, Any], *, first: str | None = None, now: str | None = None
) -> IdempotencyConflict:
    """The 409 of a key already used: where it was first used, when the row says so."""
    value = key.stored.partition(":")[2]
    named = f"{key.field} {value[:64]!r}" if value else f"This {key.field}"
    if first is None:  # a row from before operations were kept, or a twin's race
        detail = f"{named} was already used for a different request; nothing was done."
    elif first != now:
        detail = (
            f"{named} was first used for {first}, not {now}: a key names one request of "
            "your world across every route; nothing was done."
        )
    else:
        detail = f"{named} was already used for {first} with a different body; nothing was done."
    where = f" to {first}" if first is not None else ""
    return IdempotencyConflict(
        detail,
        hint=f"Give each new request a new {key.field}; to read the first answer, resend the "
        f"first request{where} unchanged.",
        **extra,
    )
