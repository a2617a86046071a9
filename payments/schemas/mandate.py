"""Wire models of UPI AutoPay mandates (JSON renditions of ReqMandate CREATE / UPDATE / REVOKE,
the pre-debit notification and the mandate execution).

Amounts are decimal strings with exactly the currency's minor digits; times are RFC 3339 in the
world's time (GET /v1/sandbox/clock).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sandbox.kit.schema import InputModel, OutputModel
from sandbox.kit.wire import Amount, Pin, Rfc3339, TxnId, Vpa

Recurrence = Literal["ONETIME", "DAILY", "WEEKLY", "MONTHLY", "AS_PRESENTED"]
MandateState = Literal["PENDING_APPROVAL", "ACTIVE", "PAUSED", "DECLINED", "REVOKED", "EXPIRED"]


class MandatePayer(InputModel):
    vpa: Vpa = Field(description="The payer's VPA.", examples=["asha@sandbox"])


class MandatePayee(InputModel):
    vpa: Vpa = Field(
        description="The merchant's VPA (the payee creates the mandate).",
        examples=["meeras.kirana@sandbox"],
    )


class MandateIn(InputModel):
    payer: MandatePayer
    payee: MandatePayee
    amount_limit: Amount = Field(
        description='The most one execution may debit: a decimal string, e.g. "500.00".',
        examples=["500.00"],
    )
    recurrence: Recurrence = Field(
        description="How often it may be debited: one honoured debit per period (AS_PRESENTED: "
        "whenever notified).",
        examples=["MONTHLY"],
    )
    valid_from: Rfc3339 | None = Field(
        None,
        description="RFC 3339, world time; defaults to now.",
        examples=["2025-01-01T00:00:00Z"],
    )
    valid_until: Rfc3339 = Field(
        description="RFC 3339 with an offset, in world time; after validFrom.",
        examples=["2035-12-31T23:59:59Z"],
    )
    purpose: str | None = Field(None, max_length=50, examples=["Monthly groceries"])


class ApproveIn(InputModel):
    pin: Pin


class NotifyIn(InputModel):
    amount: Amount = Field(
        description="The amount to be debited: at most the mandate's amountLimit.",
        examples=["250.00"],
    )
    execute_at: Rfc3339 | None = Field(
        None,
        description="When the debit is planned (RFC 3339, world time); the earliest allowed is "
        "24 h after the notice.",
        examples=["2035-01-01T10:00:00Z"],
    )


class ExecuteIn(InputModel):
    notice_id: str = Field(
        min_length=1,
        max_length=40,
        description="The pre-debit notice this debit honours (from POST .../notify).",
        examples=["pdn_3k9x2m7q1w8e5r4t6y0u"],
    )
    pin: Pin | None = Field(
        None,
        description="The payer's UPI PIN: needed above the AutoPay limit (India: 15000.00), "
        "ignored at or under it.",
        examples=["1234"],
    )
    txn_id: TxnId | None = None


class MandateParty(OutputModel):
    vpa: str


class MandateOut(OutputModel):
    umn: str = Field(
        description="Unique mandate number.",
        examples=["q8w2e4r6t8y0u1i3o5p7a9s2d4f6g8h0@sandbox"],
    )
    status: MandateState
    payer: MandateParty
    payee: MandateParty
    amount_limit: str = Field(examples=["500.00"])
    currency: str = Field(examples=["INR"])
    recurrence: Recurrence
    purpose: str | None = None
    valid_from: str
    valid_until: str
    pin_required_above: str = Field(
        description="Executions above this amount need the payer's PIN (the AutoPay limit).",
        examples=["15000.00"],
    )
    created_at: str
    updated_at: str
    response_code: str | None = Field(
        None,
        description="For an action: 00, or why it was not done (AM, ZM, Z6 when approving).",
        examples=["00"],
    )
    message: str | None = None
    detail: str | None = Field(None, description="What happened, in words.")
    hint: str | None = Field(None, description="How to get a different outcome.")
    replayed: bool = Field(False, description="True when this answer is an idempotent replay.")


class MandateList(OutputModel):
    mandates: list[MandateOut]
    next_cursor: str | None


class NoticeOut(OutputModel):
    notice_id: str = Field(examples=["pdn_3k9x2m7q1w8e5r4t6y0u"])
    umn: str
    seq_number: int = Field(description="The recurring cycle: 1, 2, ... per mandate.")
    amount: str = Field(examples=["250.00"])
    currency: str = Field(examples=["INR"])
    notified_at: str
    execute_after: str = Field(description="The earliest world time the debit may happen.")
    status: Literal["PENDING", "HONOURED"]
    txn_id: str | None = Field(None, description="The execution that honoured it.")
    replayed: bool = Field(False, description="True when this answer is an idempotent replay.")
