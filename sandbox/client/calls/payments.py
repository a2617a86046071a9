"""Payments (UPI-like): address validation, pay, collect, status, refunds, balance, PIN,
signed intents and AutoPay mandates."""

from __future__ import annotations

from sandbox.client import types as t
from sandbox.client._core import Call
from sandbox.client.calls._wire import Amount, amount_text, drop, idem


def validate_vpa(vpa: str) -> Call[t.VpaValidation]:
    return Call("POST", "/v1/upi/vpa/validate", {"vpa": vpa})


def pay(
    payer_vpa: str,
    pin: str,
    payee_vpa: str,
    amount: Amount,
    *,
    note: str | None = None,
    ref_id: str | None = None,
    txn_id: str | None = None,
    idempotency_key: str | None = None,
) -> Call[t.Transaction]:
    """``POST /v1/upi/pay`` (ReqPay PAY). Amounts are strings with the currency's minor digits
    ("150.25"). A decline raises ``UpiError`` with the responseCode (``raise_for_refusal``)."""
    body = drop(
        {
            "payer": {"vpa": payer_vpa, "pin": pin},
            "payee": {"vpa": payee_vpa},
            "amount": amount_text(amount),
            "note": note,
            "refId": ref_id,
            "txnId": txn_id,
        }
    )
    return Call("POST", "/v1/upi/pay", body, headers=idem(idempotency_key), kind="upi")


def transaction(txn_id: str) -> Call[t.Transaction]:
    """``GET /v1/upi/transactions/{txnId}`` (ReqChkTxn). A FAILURE raises ``UpiError``."""
    return Call("GET", f"/v1/upi/transactions/{txn_id}", kind="upi")


def transactions(
    *,
    vpa: str | None = None,
    status: str | None = None,
    type: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[t.TransactionList]:
    params = {"vpa": vpa, "status": status, "type": type, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/upi/transactions", params=params)


def collect(
    payee_vpa: str,
    payer_vpa: str,
    amount: Amount,
    *,
    note: str | None = None,
    ref_id: str | None = None,
    txn_id: str | None = None,
    expires_in_seconds: int | None = None,
    idempotency_key: str | None = None,
) -> Call[t.Transaction]:
    """``POST /v1/upi/collect`` (ReqPay COLLECT): PENDING until the payer approves with her PIN
    (``approve_collect``), declines, or it expires."""
    body = drop(
        {
            "payee": {"vpa": payee_vpa},
            "payer": {"vpa": payer_vpa},
            "amount": amount_text(amount),
            "note": note,
            "refId": ref_id,
            "txnId": txn_id,
            "expiresInSeconds": expires_in_seconds,
        }
    )
    return Call("POST", "/v1/upi/collect", body, headers=idem(idempotency_key), kind="upi")


def approve_collect(txn_id: str, pin: str) -> Call[t.Transaction]:
    return Call("POST", f"/v1/upi/collect/{txn_id}/approve", {"pin": pin}, kind="upi")


def decline_collect(txn_id: str) -> Call[t.Transaction]:
    """The payer declines: the answer is the transaction, FAILURE with ZA (not raised)."""
    return Call("POST", f"/v1/upi/collect/{txn_id}/decline")


def refund(
    original_txn_id: str,
    *,
    amount: Amount | None = None,
    note: str | None = None,
    txn_id: str | None = None,
    idempotency_key: str | None = None,
) -> Call[t.Transaction]:
    """``POST /v1/upi/refunds``: all of ``original_txn_id`` or ``amount`` of it."""
    body = drop(
        {
            "originalTxnId": original_txn_id,
            "amount": amount_text(amount),
            "note": note,
            "txnId": txn_id,
        }
    )
    return Call("POST", "/v1/upi/refunds", body, headers=idem(idempotency_key), kind="upi")


def balance(vpa: str, pin: str) -> Call[t.Balance]:
    """``POST /v1/upi/balance`` (ReqBalEnq); a refusal (wrong PIN...) raises ``UpiError``."""
    return Call("POST", "/v1/upi/balance", {"vpa": vpa, "pin": pin}, kind="upi")


def set_pin(
    vpa: str, new_pin: str, *, old_pin: str | None = None, otp: str | None = None
) -> Call[t.Json]:
    """``POST /v1/upi/pin`` (ReqSetCre): change it with ``old_pin``, or set a first one with
    ``otp`` (the sandbox OTP is 123456)."""
    body = drop({"vpa": vpa, "newPin": new_pin, "oldPin": old_pin, "otp": otp})
    return Call("POST", "/v1/upi/pin", body, kind="upi")


def create_intent(
    payee_vpa: str,
    *,
    amount: Amount | None = None,
    min_amount: Amount | None = None,
    note: str | None = None,
    ref_id: str | None = None,
    url: str | None = None,
    mode: str | None = None,
    purpose: str | None = None,
) -> Call[t.Json]:
    """``POST /v1/upi/intents``: a signed ``upi://pay`` link and its QR code."""
    body = drop(
        {
            "payee": {"vpa": payee_vpa},
            "amount": amount_text(amount),
            "minAmount": amount_text(min_amount),
            "note": note,
            "refId": ref_id,
            "url": url,
            "mode": mode,
            "purpose": purpose,
        }
    )
    return Call("POST", "/v1/upi/intents", body)


def parse_intent(link: str) -> Call[t.Json]:
    return Call("POST", "/v1/upi/intents/parse", {"link": link})


def intent_keys() -> Call[t.Json]:
    return Call("GET", "/v1/upi/intents/keys")


def create_mandate(
    payer_vpa: str,
    payee_vpa: str,
    amount_limit: Amount,
    *,
    recurrence: str,
    valid_until: str,
    valid_from: str | None = None,
    purpose: str | None = None,
) -> Call[t.Json]:
    """``POST /v1/upi/mandates`` (ReqMandate CREATE): the payer approves with her PIN."""
    body = drop(
        {
            "payer": {"vpa": payer_vpa},
            "payee": {"vpa": payee_vpa},
            "amountLimit": amount_text(amount_limit),
            "recurrence": recurrence,
            "validFrom": valid_from,
            "validUntil": valid_until,
            "purpose": purpose,
        }
    )
    return Call("POST", "/v1/upi/mandates", body)


def mandates(
    *,
    vpa: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[t.Json]:
    params = {"vpa": vpa, "status": status, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/upi/mandates", params=params)


def mandate(umn: str) -> Call[t.Json]:
    return Call("GET", f"/v1/upi/mandates/{umn}")


def approve_mandate(umn: str, pin: str) -> Call[t.Json]:
    return Call("POST", f"/v1/upi/mandates/{umn}/approve", {"pin": pin})


def _mandate_action(umn: str, action: str) -> Call[t.Json]:
    return Call("POST", f"/v1/upi/mandates/{umn}/{action}")


def decline_mandate(umn: str) -> Call[t.Json]:
    return _mandate_action(umn, "decline")


def pause_mandate(umn: str) -> Call[t.Json]:
    return _mandate_action(umn, "pause")


def resume_mandate(umn: str) -> Call[t.Json]:
    return _mandate_action(umn, "resume")


def revoke_mandate(umn: str) -> Call[t.Json]:
    return _mandate_action(umn, "revoke")


def notify_mandate(umn: str, amount: Amount, *, execute_at: str | None = None) -> Call[t.Json]:
    """The pre-debit notice (24 h of world time before the execution)."""
    body = drop({"amount": amount_text(amount), "executeAt": execute_at})
    return Call("POST", f"/v1/upi/mandates/{umn}/notify", body)


def execute_mandate(
    umn: str, notice_id: str, *, pin: str | None = None, txn_id: str | None = None
) -> Call[t.Transaction]:
    body = drop({"noticeId": notice_id, "pin": pin, "txnId": txn_id})
    return Call("POST", f"/v1/upi/mandates/{umn}/execute", body, kind="upi")
