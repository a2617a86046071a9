"""Idempotency: a key stored in the same transaction as the effect it guards.

Keys: ``idem:<Idempotency-Key header>`` and ``txn:<client txnId>``. The same key with the same
body (fingerprint) replays the first answer; with a different body it is refused (U01) and
nothing changes. Keys are never purged before 24 h of world time (they are kept for the
world's life; a reset clears them with the rest of the world).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from payments.errors import IdempotencyConflict
from payments.service.context import World
from payments.store import PaymentsStore
from sandbox.storage.database import Database


def keys_for(idempotency_key: str | None, client_txn_id: str | None) -> list[str]:
    keys = []
    if idempotency_key:
        keys.append(f"idem:{idempotency_key}")
    if client_txn_id:
        keys.append(f"txn:{client_txn_id}")
    return keys


def run_once(
    store: PaymentsStore,
    keys: list[str],
    fingerprint: str,
    now_us: int,
    effect: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """``(status, body, replayed)``: the stored answer for a known key, else ``effect()``'s."""
    for key in keys:
        seen = store.idempotent(key)
        if seen is None:
            continue
        if seen.fingerprint != fingerprint:
            conflict("Idempotency-Key" if key.startswith("idem:") else "txnId")
        return seen.status_code, dict(seen.response), True
    status, body = effect()
    for key in keys:
        store.remember(key, fingerprint, status, body, now_us)
    return status, body, False


def conflict(what: str) -> NoReturn:
    """Refuse a reused ``txnId`` (it names another transaction)."""
    raise IdempotencyConflict(
        f"This {what} was already used for a different request; nothing was done.",
        hint=f"Send a new {what} for a new payment, or resend the first request unchanged "
        "to read its answer.",
        responseCode="U01",
    )


class Raced(Exception):
    """A client txnId appeared between the key check and the effect (a concurrent twin
    committed first on PostgreSQL): run the unit again, which then replays or refuses."""


async def write_once(
    db: Database,
    world: World,
    *,
    idempotency_key: str | None,
    client_txn_id: str | None,
    fingerprint: str,
    effect: Callable[[PaymentsStore, Connection], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Run ``effect`` once per key in one unit of work; returns ``(answer, replayed)``.

    The keys are ``Idempotency-Key`` and the client's ``txnId``. A concurrent twin that commits
    first makes this unit fail on the key's uniqueness (or see the txnId); it then runs again and
    replays the twin's answer, or refuses a different body.
    """
    keys = keys_for(idempotency_key, client_txn_id)

    def unit(conn: Connection, *, first_try: bool = True) -> tuple[dict[str, Any], bool]:
        store = PaymentsStore(conn, world.id)

        def run() -> tuple[int, dict[str, Any]]:
            if client_txn_id and store.txn(client_txn_id) is not None:
                if first_try:
                    raise Raced
                conflict("txnId")
            return 200, effect(store, conn)

        _, body, replayed = run_once(store, keys, fingerprint, world.now_us, run)
        return body, replayed

    try:
        return await db.write(unit)
    except (sa.exc.IntegrityError, Raced):
        return await db.write(functools.partial(unit, first_try=False))
