"""Payment request errors: a request the switch could not process at all (4xx problems).

A payment the switch *processed* is never an error: it answers 200 with a ``responseCode``
(success or decline). These are for requests that could not be processed.

    SandboxError
    ├── InvalidRequest (422)
    │   └── InvalidPaymentField     a field is malformed (amount, VPA, txnId...), with UPI U05
    │       └── InvalidIntentLink   a upi://pay link breaks a linking-spec rule (names the param)
    ├── NotFound (404)
    │   ├── TransactionNotFound     no transaction with this id in the caller's world (U04)
    │   └── MandateNotFound
    └── Conflict (409)
        ├── IdempotencyConflict     (sandbox.errors) a key reused for another request (U01)
        ├── NotRefundable           the original is not a successful payment, or fully refunded
        └── InvalidState            the transaction or mandate is not in a state for this action
"""

from __future__ import annotations

from sandbox.errors import Conflict, InvalidRequest, NotFound


class InvalidPaymentField(InvalidRequest):
    """A field of the request body broke a rule pydantic cannot check (a decimal amount, a VPA's
    form, a date order). ``field`` is its path in the body, spelt as on the wire (``amountLimit``,
    ``payer.vpa``); the problem names it ``body.amountLimit``, exactly as a 422 from the schema
    names it, so a field has one name whichever check refused it."""

    slug = "invalid-payment-field"
    title = "Invalid payment request"

    def __init__(self, field: str, rule: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"body.{field}", rule, message, hint=hint)
        self.extra["responseCode"] = "U05"


class InvalidIntentLink(InvalidPaymentField):
    slug = "invalid-upi-link"
    title = "Invalid UPI link"


class TransactionNotFound(NotFound):
    slug = "transaction-not-found"
    title = "Transaction not found"


class MandateNotFound(NotFound):
    slug = "mandate-not-found"
    title = "Mandate not found"


class NotRefundable(Conflict):
    slug = "not-refundable"
    title = "Not refundable"


class InvalidState(Conflict):
    slug = "invalid-state"
    title = "Not allowed in the current state"
