"""Pieces the identity wire models share."""

from __future__ import annotations

from pydantic import Field

UID_FIELD = Field(
    pattern=r"^(?:[0-9]{12}|[0-9]{16}|[0-9]*[A-Za-z][A-Za-z0-9]*)$",
    max_length=72,
    description="The resident's 12-digit Aadhaar-like number (a persona's `uid` from GET "
    "/v1/sandbox/personas), a 16-digit VID (POST /v1/identity/vids: 515 revoked or unknown, "
    "517 expired) or a UID token your auth answers gave you (`info.uidToken`; 514 otherwise).",
    examples=["999999990019"],
)
TXN_FIELD = Field(
    min_length=1,
    max_length=50,
    description="Your transaction id. An OTP authentication must send the txn of the OTP "
    "request that produced the OTP (402 otherwise).",
    examples=["demo-txn-001"],
)
