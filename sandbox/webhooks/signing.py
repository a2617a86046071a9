"""How a webhook goes on the wire: a ``Signer`` per event type, HMAC unless a spec says otherwise.

The default, ``HMAC``, signs every attempt twice with the partner's webhook secret:

- ``Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``, the same scheme as
  Stripe's: the timestamp is signed with the body, so a receiver that refuses timestamps older
  than the tolerance (300 s) also refuses replays. ``verify`` is what a receiver runs; partners
  can copy it.
- Standard Webhooks 1.0 (https://www.standardwebhooks.com, "Signature scheme"): ``webhook-id``
  (the event id: the same on every retry and replay, so a receiver drops duplicates by it),
  ``webhook-timestamp`` (unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256(key,
  "id.timestamp.body")>``, where the key is the secret's ``whsec_<base64>`` decoded
  (``sandbox.kit.secrets.standard_webhook_key``). Signed with the ``standardwebhooks`` package,
  so a receiver verifies with that package (or its port in any language) and the secret alone.

A domain whose spec prescribes its own notification (ReBIT AA: the spec's body, detached JWS in
``x-jws-signature``) registers a ``Signer`` for its event-type prefix (``Domain.signers``);
``signer_for`` picks the longest registered prefix of an event's type.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from standardwebhooks import Webhook

from sandbox.kit.secrets import standard_webhook_key
from sandbox.webhooks.store import DueDelivery

HEADER = "Sandbox-Signature"
TOLERANCE_SECONDS = 300
# Standard Webhooks' headers (lower case, as the spec writes them; HTTP names are case-blind)
WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE = (
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
)


class Signer(Protocol):
    """The body and the authenticating headers of one delivery attempt."""

    def body(self, event: Mapping[str, Any]) -> bytes:
        """The request body for ``event`` (the stored envelope: id, type, createdAt, data...)."""
        ...

    def headers(self, delivery: DueDelivery, body: bytes) -> Mapping[str, str]:
        """Headers that let the receiver check ``body`` came from the sandbox (called on every
        attempt, so a timestamp in them is fresh on each retry)."""
        ...


def encode(event: Mapping[str, Any]) -> bytes:
    """The envelope as canonical JSON: the bytes the HMAC covers and the receiver gets."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


class HmacSigner:
    """The sandbox's own scheme (see the module docstring), for every event no spec claims."""

    __slots__ = ("_now",)

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        # wall time, not the sandbox clock: the receiver compares it with its own clock
        self._now = now

    def body(self, event: Mapping[str, Any]) -> bytes:
        return encode(event)

    def headers(self, delivery: DueDelivery, body: bytes) -> Mapping[str, str]:
        timestamp = int(self._now())
        return {
            HEADER: sign(delivery.secret, timestamp, body),
            **standard_headers(delivery.secret, str(delivery.event["id"]), timestamp, body),
        }


HMAC: Signer = HmacSigner()


def signer_for(event_type: str, signers: Mapping[str, Signer], default: Signer = HMAC) -> Signer:
    """The signer registered for the longest prefix of ``event_type``, else ``default``."""
    matches = [prefix for prefix in signers if event_type.startswith(prefix)]
    return signers[max(matches, key=len)] if matches else default


def standard_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt (``body`` is the JSON as sent)."""
    signature = Webhook(standard_webhook_key(secret)).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode()
    )
    return {
        WEBHOOK_ID: msg_id,
        WEBHOOK_TIMESTAMP: str(timestamp),
        WEBHOOK_SIGNATURE: signature,
    }


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
