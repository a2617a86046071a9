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
from payments.schemas.pay import Amount
from sandbox.kit.schema import InputModel

PIN = Field(
    pattern=r"^[0-9]{4}([0-9]{2})?$",
    description="The payer's UPI PIN (4 or 6 digits; the personas' are documented).",
    examples=["1234"],
)


class CollectPayee(InputModel):
    vpa: str = Field(
        max_length=255,
        description="Who asks for the money (often a merchant); needs no PIN.",
        examples=["meeras.kirana@sandbox"],
    )


class CollectPayer(InputModel):
    vpa: str = Field(
        max_length=255,
        description="Who is asked to pay; approves later with the UPI PIN.",
        examples=["asha@sandbox"],
    )


class CollectIn(InputModel):
    txn_id: str | None = Field(
        None,
        description="35 letters or digits; generated if absent. Reusing it replays the answer.",
    )
    payee: CollectPayee
    payer: CollectPayer
    amount: str = Amount
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
    pin: str = PIN
