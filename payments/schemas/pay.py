"""Wire models of the UPI-like switch (JSON renditions of ReqPay, ReqValAdd, ReqChkTxn...).

Amounts are decimal strings with exactly the currency's minor digits ("100.00"): a JSON number
is refused (a float cannot carry a paisa exactly), with a 422 naming the field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from sandbox.kit.schema import InputModel, OutputModel
from sandbox.kit.wire import Amount, Pin, TxnId, Vpa


class Payer(InputModel):
    vpa: Vpa = Field(description="The payer's VPA.", examples=["asha@sandbox"])
    pin: Pin


class Payee(InputModel):
    vpa: Vpa = Field(examples=["ravi@sandbox"])


class PayIn(InputModel):
    txn_id: TxnId | None = None
    payer: Payer
    payee: Payee
    amount: Amount
    note: str | None = Field(None, max_length=50, examples=["Lunch"])
    ref_id: str | None = Field(
        None, max_length=35, pattern=r"^[A-Za-z0-9\-_.]*$", examples=["ORDER-1001"]
    )


class Party(OutputModel):
    vpa: str


class TxnOut(OutputModel):
    txn_id: str = Field(examples=["SBXA1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6"])
    rrn: str = Field(description="12-digit retrieval reference number.", examples=["633210123456"])
    type: Literal["PAY", "COLLECT", "REFUND", "MANDATE"]
    status: Literal["PENDING", "SUCCESS", "FAILURE", "DEEMED"]
    response_code: str = Field(
        description="NPCI-style code; GET /v1/sandbox/magic lists them.", examples=["00"]
    )
    message: str = Field(examples=["Success"])
    detail: str | None = Field(None, description="What happened, in words.")
    hint: str | None = Field(None, description="How to get a different outcome.")
    payer: Party
    payee: Party
    amount: str = Field(examples=["100.00"])
    currency: str = Field(examples=["INR"])
    note: str | None = None
    ref_id: str | None = None
    created_at: str
    updated_at: str
    original_txn_id: str | None = None
    refunded_amount: str | None = None
    mandate_id: str | None = None
    settles_at: str | None = None
    settlement: Literal["TCC", "RET"] | None = None
    expires_at: str | None = None
    replayed: bool = Field(False, description="True when this answer is an idempotent replay.")


class TxnList(OutputModel):
    transactions: list[TxnOut]
    next_cursor: str | None


class ValidateIn(InputModel):
    vpa: Vpa = Field(examples=["meeras.kirana@sandbox"])


class ValidateOut(OutputModel):
    vpa: str
    valid: bool
    response_code: str = Field(examples=["00"])
    name: str | None = Field(None, description="The account holder's name.")
    account_type: str | None = Field(None, examples=["SAVINGS"])
    ifsc: str | None = None
    verified_merchant: bool = False
    merchant_category: str | None = None


class MagicOut(OutputModel):
    kind: str
    value: str
    response_code: str
    description: str


class MagicList(OutputModel):
    magic: list[MagicOut]
    codes: dict[str, str] = Field(description="Every response code the sandbox implements.")


class LedgerCheckOut(OutputModel):
    balanced: bool
    currency: str
    seeded_total: str
    external_inflows: str
    accounts_total: str
    in_clearing: str
    unbalanced_postings: list[str]
    account_mismatches: list[dict[str, Any]]
    debits_without_credit_or_reversal: list[str]
