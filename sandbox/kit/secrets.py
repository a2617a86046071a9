"""Secrets: hashing of those the sandbox must check but never store (API keys and UPI PINs), and
the webhook secret in its two readings.

API keys carry 256 bits of entropy, so a plain SHA-256 is the right hash (as GitHub and Stripe do
for tokens); a slow KDF would only cost CPU. PINs are short, so they are hashed with HMAC-SHA256
under the server's secret key and bound to the world and the address: a leaked table cannot be
brute-forced without the key, and the attempt limits protect the live path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

API_KEY_PREFIX = "sk_sandbox_"
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_api_key() -> str:
    """A fresh API key: a recognisable prefix and 32 random bytes."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_webhook_secret() -> str:
    """``whsec_`` and 24 random bytes in standard base64 (32 characters, no padding): the form
    Standard Webhooks libraries read, so the one string verifies both signatures."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def standard_webhook_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks signature (``webhook-signature``) for ``secret``.

    The key is the base64 after ``whsec_``, decoded, as the Standard Webhooks libraries do.
    Secrets issued before (``whsec_`` + URL-safe base64) decode to their same random bytes; a
    secret that is not base64 at all (hand-made in a test) is its own UTF-8 bytes. The
    ``Sandbox-Signature`` HMAC keeps using the whole string (``sandbox/webhooks/signing.py``).
    """
    body = secret.removeprefix(WEBHOOK_SECRET_PREFIX).translate(_URLSAFE_TO_STANDARD)
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    return key or secret.encode()


def standard_webhook_secret(secret: str) -> str:
    """``secret`` as Standard Webhooks libraries take it: ``whsec_<standard base64 of the key>``.
    Equal to ``secret`` for every secret issued since the sandbox sends Standard Webhooks."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(standard_webhook_key(secret)).decode()


_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")


def pin_hash(secret_key: str, world_id: str, vpa: str, pin: str) -> str:
    """The stored form of a UPI PIN: HMAC-SHA256(secret, world|vpa|pin)."""
    message = f"{world_id}|{vpa.lower()}|{pin}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def matches(stored_hash: str, candidate_hash: str) -> bool:
    return hmac.compare_digest(stored_hash, candidate_hash)


def redact_url(url: str) -> str:
    """``scheme://user:password@host/...`` as ``scheme://***@host/...``: safe to log or print."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
