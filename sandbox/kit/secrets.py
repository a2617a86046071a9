"""Hashing of secrets the sandbox must check but never store: API keys and UPI PINs.

API keys carry 256 bits of entropy, so a plain SHA-256 is the right hash (as GitHub and Stripe do
for tokens); a slow KDF would only cost CPU. PINs are short, so they are hashed with HMAC-SHA256
under the server's secret key and bound to the world and the address: a leaked table cannot be
brute-forced without the key, and the attempt limits protect the live path.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

API_KEY_PREFIX = "sk_sandbox_"


def new_api_key() -> str:
    """A fresh API key: a recognisable prefix and 32 random bytes."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


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
