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

A caller whose effect only writes in its unit may ask for an optimistic first try
(``optimistic=True``, taken on SQLite): the keys are not read before the effect, since the key's
uniqueness refuses a used one anyway. A new key (nearly every request) then costs one statement
less; a used key's insert fails, the unit is rolled back (its SAVEPOINT, the writer's memory
with it) and the request is run again the usual way, keys first, which replays or refuses.
Anything else unusual in the optimistic try (a ``SandboxError`` to answer, an exception, a
batch that did not commit) is likewise rolled back and decided again the usual way, so the
answer is always the one reading the keys first would give.

On PostgreSQL's event loop the optimistic try reads the keys all the same, but in the effect's
first round trip instead of one of their own (``pg_queue.read_ahead``: the reads go out first,
with the effect's first statement). Once the effect has run, or failed, a used key rolls the
try back and the request is decided again the usual way, keys first; a new key costs no round
trip. Only when the round trip that carried the keys' reads failed (the transaction is then
aborted and they cannot be read again in it) is the unit's error raised without them, as any
failed unit's (a lost connection or a lost serialization race runs the whole unit again).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from pydantic_core import to_json
from sqlalchemy.engine import Connection

from sandbox.errors import IdempotencyConflict, SandboxError
from sandbox.storage import pg_queue, raw
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
        return None if row is None else _remembered(row)

    def recall_ahead(self, keys: list[Key]) -> _KeysAhead | None:
        """PostgreSQL's event loop: the keys' reads sent with the unit's next round trip
        (``pg_queue.read_ahead``). None: read them now (``recall``)."""
        aheads = []
        for key in keys:
            params = {"world_id": self.world_id, "key": key.stored}
            ahead = pg_queue.read_ahead(self.conn, _RECALL.pg, params)
            if ahead is None:
                return None  # (the first key's: nothing is queued then)
            aheads.append(ahead)
        return _KeysAhead(self.conn, aheads)

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


class _KeysAhead:
    """The keys' reads sent ahead with a unit's next round trip."""

    __slots__ = ("_aheads", "_conn")

    def __init__(self, conn: Connection, aheads: list[pg_queue.Ahead]) -> None:
        self._conn = conn
        self._aheads = aheads

    def readable(self) -> bool:
        """Whether the reads came back, or can still be sent: not after a failed statement
        aborted the transaction before they went."""
        return all(a.rows is not None for a in self._aheads) or not pg_queue.aborted(self._conn)

    def used(self) -> bool:
        """Whether a key is used already (the reads are sent now if still queued)."""
        return any(pg_queue.arrived(self._conn, ahead) for ahead in self._aheads)


def _remembered(row: Sequence[Any]) -> Remembered:
    stored = json.loads(row[2]) if isinstance(row[2], str) else row[2]
    operation = None
    if _ANSWER in stored:
        operation, stored = stored.get(_OPERATION), stored[_ANSWER]
    return Remembered(row[0], int(row[1]), stored, operation)


class Answer(NamedTuple):
    status: int
    body: dict[str, Any]
    replayed: bool


class _Undecided(Exception):
    """The optimistic try found something to decide with the keys read first: rolled back."""


class _Used(Exception):
    """PostgreSQL's optimistic try: a key read with the effect's first statement was used
    already; its effect is rolled back and the request decided again, keys first."""


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
    optimistic: bool = False,
) -> Answer:
    """Run ``effect`` once per key, in one unit of work with the keys it is stored under.

    ``operation`` names the request to the client (its route: ``POST /v1/upi/pay``; the XML
    twin of a JSON route shares its name, as it shares its fingerprint); a key reused for
    another operation is refused with both names.

    ``effect(conn)`` returns ``(status, body)``, which is stored and answered; or a
    ``SandboxError``, which is raised after the unit commits (what the effect wrote, e.g. an
    expiry it noticed, is kept) and stored under no key, so a retry is decided afresh.
    ``conflict_extra`` goes into the 409 a reused key gets (UPI: ``responseCode`` U01).
    ``optimistic``: the effect writes nothing outside its unit, so on SQLite the keys may be
    read only when their insert fails, and on PostgreSQL with the effect's first statement
    (see the module's docstring).
    """
    extra = dict(conflict_extra or {})

    def unit(
        conn: Connection, *, first_try: bool = True, recall: bool = True, ahead: bool = False
    ) -> Answer | SandboxError:
        store = IdempotencyStore(conn, world_id)
        sent = store.recall_ahead(keys) if ahead else None
        for key in keys if recall and sent is None else ():
            seen = store.recall(key.stored)
            if seen is None:
                continue
            if seen.fingerprint != fingerprint:
                raise _conflict(key, extra, first=seen.operation, now=operation)
            return Answer(seen.status_code, dict(seen.response), True)
        try:
            result = effect(conn)
        except Raced as raced:
            if sent is not None and sent.used():
                raise _Used from None
            if first_try:
                raise
            raise _conflict(Key(raced.field, ""), extra) from None
        except Exception as exc:
            if not recall:
                raise _Undecided from exc
            if sent is not None and sent.readable() and sent.used():
                raise _Used from exc  # a used key answers its first answer instead
            raise
        if sent is not None and sent.used():
            raise _Used  # a used key answers its first answer instead
        if isinstance(result, SandboxError):
            if not recall:
                raise _Undecided  # a used key answers its first answer instead
            return result
        status, body = result
        for key in keys:
            store.remember(key.stored, fingerprint, status, body, now_us, operation=operation)
        return Answer(status, body, False)

    outcome: Answer | SandboxError | None = None
    if optimistic and keys and db.is_sqlite:
        try:
            outcome = await db.write(functools.partial(unit, recall=False))
        except Exception:  # rolled back, whatever it was: decided again, keys first
            outcome = None
    elif optimistic and keys:  # PostgreSQL: the keys read with the effect's first statement
        try:
            outcome = await db.write(functools.partial(unit, ahead=True))
        except _Used:  # rolled back: decided again, keys first
            outcome = None
        except (sa.exc.IntegrityError, Raced):
            outcome = await db.write(functools.partial(unit, first_try=False))
    if outcome is None:
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
