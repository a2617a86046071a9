"""The wire form of a transaction, as answered, stored for idempotent replays and sent in events."""

from __future__ import annotations

from typing import Any

from payments.models import CODES
from sandbox.kit.clock import iso
from sandbox.world.context import WorldContext


def txn_payload(row: Any, world: WorldContext, *, detail: str | None = None) -> dict[str, Any]:
    code = CODES.get(row.response_code)
    body: dict[str, Any] = {
        "txnId": row.txn_id,
        "rrn": row.rrn,
        "type": row.type,
        "status": row.status,
        "responseCode": row.response_code,
        "message": code.meaning if code else row.response_code,
        "payer": {"vpa": row.payer_vpa},
        "payee": {"vpa": row.payee_vpa},
        "amount": world.money(row.amount),
        "currency": row.currency,
        "note": row.note,
        "refId": row.ref_id,
        "createdAt": iso(row.created_us),
        "updatedAt": iso(row.updated_us),
    }
    if detail is not None:
        body["detail"] = detail
    if row.response_code not in ("00", "01") and code is not None:
        body["hint"] = code.hint
    if row.type == "REFUND":
        body["originalTxnId"] = row.original_txn_id
    if row.type in ("PAY", "COLLECT", "MANDATE"):
        body["refundedAmount"] = world.money(row.refunded)
    if row.mandate_id:
        body["mandateId"] = row.mandate_id
    if row.status == "DEEMED" and row.settle_at_us:
        body["settlesAt"] = iso(row.settle_at_us)
    if row.settlement:
        body["settlement"] = row.settlement
    if row.expires_us and row.type == "COLLECT":
        body["expiresAt"] = iso(row.expires_us)
    return body


class Row:
    """A transaction row built in memory (before it is read back), attribute-compatible."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # absent optional columns read as None
        return None
