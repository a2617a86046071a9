"""UPI AutoPay mandates without I/O: identifiers, times, recurrence periods, the payer's state
changes and the wire forms of a mandate and of a pre-debit notice (used by
``payments.service.mandate``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from payments.errors import InvalidPaymentField, InvalidState
from payments.models import CODES, DAY_US, MANDATE_LIVE, MandateStatus, world_day
from sandbox.kit.clock import iso
from sandbox.world.context import WorldContext

NOTICE_US = DAY_US  # AutoPay rule: the pre-debit notice goes out at least 24 h before the debit
UMN_HANDLE = "@sandbox"
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ACTIVE, PAUSED = MandateStatus.ACTIVE, MandateStatus.PAUSED
PENDING = MandateStatus.PENDING_APPROVAL


@dataclass(frozen=True, slots=True)
class Change:
    """A state change by the payer: the states it is allowed from, the state and event after."""

    allowed: frozenset[str]
    after: MandateStatus
    event: str


CHANGES = {  # ReqMandate UPDATE (pause, resume), REVOKE; the payer's decline of a CREATE
    "decline": Change(frozenset({PENDING}), MandateStatus.DECLINED, "mandate.declined"),
    "pause": Change(frozenset({ACTIVE}), PAUSED, "mandate.paused"),
    "resume": Change(frozenset({PAUSED}), ACTIVE, "mandate.resumed"),
    "revoke": Change(frozenset({ACTIVE, PAUSED}), MandateStatus.REVOKED, "mandate.revoked"),
}
APPROVE = Change(frozenset({PENDING}), ACTIVE, "mandate.approved")


def new_umn() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(32)) + UMN_HANDLE  # 40 characters


def new_notice_id() -> str:
    return "pdn_" + "".join(secrets.choice(_ALNUM) for _ in range(20))


def parse_time(text: str, field: str) -> int:
    """An RFC 3339 timestamp (world time) as microseconds since the epoch."""
    hint = 'Send an RFC 3339 time with an offset, e.g. "2035-12-31T23:59:59Z" (world time: GET '
    hint += "/v1/sandbox/clock shows it)."
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidPaymentField(
            field, "rfc3339", f"'{text[:40]}' is not an RFC 3339 timestamp", hint=hint
        ) from None
    if moment.tzinfo is None:
        raise InvalidPaymentField(field, "rfc3339_offset", "has no UTC offset", hint=hint)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def period_of(recurrence: str, valid_from_us: int, at_us: int) -> int | None:
    """The recurrence period an execution at ``at_us`` falls in (one honoured debit each);
    ``None`` for AS_PRESENTED, which may be debited whenever it is presented (and notified)."""
    if recurrence == "ONETIME":
        return 0
    if recurrence == "DAILY":
        return world_day(at_us)
    if recurrence == "WEEKLY":
        return (at_us - valid_from_us) // (7 * DAY_US)
    if recurrence == "MONTHLY":
        moment = _EPOCH + timedelta(microseconds=at_us)
        return moment.year * 12 + moment.month
    return None


# -- wire forms --------------------------------------------------------------------------------


def status_now(row: Any, now_us: int) -> str:
    """The mandate's state at ``now_us``: a live one past validUntil reads as EXPIRED."""
    if row.status in MANDATE_LIVE and row.valid_until_us < now_us:
        return MandateStatus.EXPIRED.value
    return str(row.status)


def mandate_payload(
    row: Any, world: WorldContext, *, code: str | None = None, detail: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "umn": row.umn,
        "status": status_now(row, world.now_us),
        "payer": {"vpa": row.payer_vpa},
        "payee": {"vpa": row.payee_vpa},
        "amountLimit": world.money(row.amount_limit),
        "currency": row.currency,
        "recurrence": row.recurrence,
        "purpose": row.purpose,
        "validFrom": iso(row.valid_from_us),
        "validUntil": iso(row.valid_until_us),
        "pinRequiredAbove": world.money(world.country.autopay_no_pin_limit),
        "createdAt": iso(row.created_us),
        "updatedAt": iso(row.updated_us),
    }
    if code is not None:
        body["responseCode"] = code
        body["message"] = CODES[code].meaning
        if code != "00":
            body["hint"] = CODES[code].hint
    if detail is not None:
        body["detail"] = detail
    return body


def notice_payload(row: Any, world: WorldContext) -> dict[str, Any]:
    return {
        "noticeId": row.id,
        "umn": row.umn,
        "seqNumber": row.seq_number,
        "amount": world.money(row.amount),
        "currency": world.country.currency,
        "notifiedAt": iso(row.notified_us),
        "executeAfter": iso(row.execute_after_us),
        "status": "HONOURED" if row.txn_id else "PENDING",
        "txnId": row.txn_id,
    }


def invalid_state(row: Any, action: str, allowed: frozenset[str]) -> InvalidState:
    state = str(row.status)
    hints = {
        "EXPIRED": "The mandate passed its validUntil; create a new one.",
        "REVOKED": "A revoked mandate is final; create a new one.",
        "DECLINED": "The payer declined it; create a new one.",
        "PENDING_APPROVAL": "The payer must approve it first (POST .../approve with the PIN).",
        "PAUSED": "Resume it first (POST .../resume).",
        "ACTIVE": "It is already active.",
    }
    return InvalidState(
        f"Cannot {action} mandate {row.umn}: it is {state}; {action} needs "
        f"{' or '.join(sorted(allowed))}.",
        hint=hints.get(state),
        currentState=state,
    )
