"""Wire model of a refund: money back from the payee of a successful payment to its payer."""

from __future__ import annotations

from pydantic import Field

from sandbox.kit.schema import InputModel
from sandbox.kit.wire import Amount, TxnId

# The txnId the refund example refunds: pay with this txnId first (the fuzz run seeds it too).
EXAMPLE_ORIGINAL_TXN_ID = "SBXREFUNDEXAMPLE0000000000000000001"


class RefundIn(InputModel):
    original_txn_id: TxnId = Field(
        description="The txnId of a SUCCESS payment (PAY, COLLECT or MANDATE) in your world.",
        examples=[EXAMPLE_ORIGINAL_TXN_ID],
    )
    amount: Amount | None = Field(
        None,
        description='Partial refund, e.g. "10.00"; absent: everything not yet refunded.',
        examples=["10.00"],
    )
    txn_id: TxnId | None = Field(
        None, description="35 letters or digits for the refund; generated if absent."
    )
    note: str | None = Field(None, max_length=50, examples=["Returned item"])
