"""The platform's ``write_once`` as every payment flow uses it (``sandbox.storage.idempotency``).

Keys: the ``Idempotency-Key`` header and the client's ``txnId``; a reused key answers 409 with
UPI's U01. A client ``txnId`` that already names a transaction, while no key says so, means a
concurrent twin committed first: the unit runs again and replays its answer (or refuses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payments.store import PaymentsStore
from sandbox.errors import SandboxError
from sandbox.storage import idempotency
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

U01 = {"responseCode": "U01"}
Effect = Callable[[PaymentsStore], "tuple[int, dict[str, Any]] | SandboxError"]


async def write_once(
    db: Database,
    world: WorldContext,
    *,
    idempotency_key: str | None,
    client_txn_id: str | None,
    fingerprint: str,
    operation: str,
    effect: Effect,
    optimistic: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Run ``effect`` once per key in one unit of work; returns ``(answer, replayed)``.
    ``operation``: the route, named in the 409 of a key reused elsewhere; ``optimistic``: the
    effect writes only in its unit, so SQLite may read the keys only when one is already used
    (``sandbox.storage.idempotency``)."""

    def guarded(conn: Any) -> tuple[int, dict[str, Any]] | SandboxError:
        store = PaymentsStore(conn, world.id)
        if client_txn_id and store.txn(client_txn_id) is not None:
            raise idempotency.Raced("txnId")
        return effect(store)

    answer = await idempotency.write_once(
        db,
        world.id,
        keys=idempotency.keys_for(idempotency_key, client_txn_id),
        fingerprint=fingerprint,
        operation=operation,
        now_us=world.now_us,
        effect=guarded,
        conflict_extra=U01,
        optimistic=optimistic,
    )
    return answer.body, answer.replayed
