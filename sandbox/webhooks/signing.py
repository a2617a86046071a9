"""Webhook signatures: ``Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``.

The same scheme as Stripe's: the timestamp is signed with the body, so a receiver that refuses
timestamps older than the tolerance (300 s) also refuses replays. ``verify`` is what a receiver
runs; partners can copy it.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Sandbox-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The header is missing, malformed, stale, or no v1 signature matches."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = TOLERANCE_SECONDS
) -> int:
    """Check ``header`` against ``body``; return its timestamp or raise ``SignatureError``."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value.isascii():
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("expected 't=<unix seconds>,v1=<hex>'")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is more than {tolerance} s from now ({now})")
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("no v1 signature matches the body with this secret")
    return timestamp
