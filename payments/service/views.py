"""The wire forms of a transaction, a mandate and a pre-debit notice: as answered, stored for
idempotent replays and sent in events. The one serialiser of each."""

from __future__ import annotations

from typing import Any

from payments.models import CODES, Mandate, Notice, Transaction, status_now
from sandbox.kit.clock import iso
from sandbox.world.context import WorldContext


def txn_payload(
    txn: Transaction, world: WorldContext, *, detail: str | None = None
) -> dict[str, Any]:
    code = CODES.get(txn.response_code)
    body: dict[str, Any] = {
        "txnId": txn.txn_id,
        "rrn": txn.rrn,
        "type": txn.type,
        "status": txn.status,
        "responseCode": txn.response_code,
        "message": code.meaning if code else txn.response_code,
        "payer": {"vpa": txn.payer_vpa},
        "payee": {"vpa": txn.payee_vpa},
        "amount": world.money(txn.amount),
        "currency": txn.currency,
        "note": txn.note,
        "refId": txn.ref_id,
        "createdAt": iso(txn.created_us),
        "updatedAt": iso(txn.updated_us),
    }
    if detail is not None:
        body["detail"] = detail
    if txn.response_code not in ("00", "01") and code is not None:
        body["hint"] = code.hint
    if txn.type == "REFUND":
        body["originalTxnId"] = txn.original_txn_id
    if txn.type in ("PAY", "COLLECT", "MANDATE"):
        body["refundedAmount"] = world.money(txn.refunded)
    if txn.mandate_id:
        body["mandateId"] = txn.mandate_id
    if txn.status == "DEEMED":
        if txn.settle_at_us:
            body["settlesAt"] = iso(txn.settle_at_us)
    elif txn.settlement:  # decided with the payment, shown once it happened
        body["settlement"] = txn.settlement
    if txn.expires_us and txn.type == "COLLECT":
        body["expiresAt"] = iso(txn.expires_us)
    return body


def mandate_payload(
    mandate: Mandate, world: WorldContext, *, code: str | None = None, detail: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "umn": mandate.umn,
        "status": status_now(mandate, world.now_us),
        "payer": {"vpa": mandate.payer_vpa},
        "payee": {"vpa": mandate.payee_vpa},
        "amountLimit": world.money(mandate.amount_limit),
        "currency": mandate.currency,
        "recurrence": mandate.recurrence,
        "purpose": mandate.purpose,
        "validFrom": iso(mandate.valid_from_us),
        "validUntil": iso(mandate.valid_until_us),
        "pinRequiredAbove": world.money(world.country.autopay_no_pin_limit),
        "createdAt": iso(mandate.created_us),
        "updatedAt": iso(mandate.updated_us),
    }
    if code is not None:
        body["responseCode"] = code
        body["message"] = CODES[code].meaning
        if code != "00":
            body["hint"] = CODES[code].hint
    if detail is not None:
        body["detail"] = detail
    return body


def notice_payload(notice: Notice, world: WorldContext) -> dict[str, Any]:
    return {
        "noticeId": notice.id,
        "umn": notice.umn,
        "seqNumber": notice.seq_number,
        "amount": world.money(notice.amount),
        "currency": world.country.currency,
        "notifiedAt": iso(notice.notified_us),
        "executeAfter": iso(notice.execute_after_us),
        "status": "HONOURED" if notice.txn_id else "PENDING",
        "txnId": notice.txn_id,
    }
