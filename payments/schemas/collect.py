"""Wire models of ReqPay COLLECT: the payee's request, and the payer's approval with the PIN.

The answers are transactions (``TxnOut`` of ``payments.schemas.pay``): PENDING with code 01 and
``expiresAt`` at request, then the outcome once the payer approves, declines (ZA) or lets it
expire (U69).
"""

from __future__ import annotations

from pydantic import Field

from payments.models import (
    COLLECT_EXPIRY_MAX_SECONDS,
    COLLECT_EXPIRY_MIN_SECONDS,
    COLLECT_EXPIRY_SECONDS,
)
from sandbox.kit.schema import InputModel
from sandbox.kit.wire import Amount, Pin, TxnId, Vpa


class CollectPayee(InputModel):
    vpa: Vpa = Field(
        description="Who asks for the money (often a merchant); needs no PIN.",
        examples=["meeras.kirana@sandbox"],
    )


class CollectPayer(InputModel):
    vpa: Vpa = Field(
        description="Who is asked to pay; approves later with the UPI PIN.",
        examples=["asha@sandbox"],
    )


class CollectIn(InputModel):
    txn_id: TxnId | None = None
    payee: CollectPayee
    payer: CollectPayer
    amount: Amount
    note: str | None = Field(None, max_length=50, examples=["Groceries"])
    ref_id: str | None = Field(
        None, max_length=35, pattern=r"^[A-Za-z0-9\-_.]*$", examples=["BILL-2001"]
    )
    expires_in_seconds: int = Field(
        COLLECT_EXPIRY_SECONDS,
        ge=COLLECT_EXPIRY_MIN_SECONDS,
        le=COLLECT_EXPIRY_MAX_SECONDS,
        description="World-time seconds the payer has to approve before U69 (60 s to 60 days).",
        examples=[COLLECT_EXPIRY_SECONDS],
    )


class ApproveIn(InputModel):
    pin: Pin
