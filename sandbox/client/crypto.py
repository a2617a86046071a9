"""The crypto a partner's code needs around the sandbox, as plain functions (no I/O):

- ``auth_request``: the body of ``POST /v1/identity/auth`` with the PID encrypted as Auth 2.5
  says (``identity.client.auth_json``: session key under the certificate, AES-GCM, HMAC);
- ``new_fi_key`` and ``decrypt_fi``: the FIU's X25519 key material for ``POST /aa/FI/request``
  and the decryption of what ``POST /aa/FI/fetch`` answers (ECDH, HKDF-SHA256, AES-256-GCM, as
  ``consent.crypto`` and Sahamati's rahasya do);
- ``verify_jws``: a detached JWS (RFC 7797, ``x-jws-signature``) against the JWKS;
- ``verify_webhook``: a webhook delivery, by its Standard Webhooks headers (with the
  ``standardwebhooks`` library) or its ``Sandbox-Signature``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from consent.crypto import EphemeralKey, decrypt_from
from identity.client import PidType, auth_json, open_uid_data, verify_json_answer, wadh
from sandbox.client.types import DecryptedFI, FIFetched
from sandbox.keys.jws import JwsError, Keys, verify_detached
from sandbox.kit.secrets import standard_webhook_secret
from sandbox.webhooks import signing

__all__ = [
    "EphemeralKey",
    "JwsError",
    "PidType",
    "WebhookSignatureError",
    "auth_request",
    "decrypt_fi",
    "new_fi_key",
    "open_uid_data",
    "verify_json_answer",
    "verify_jws",
    "verify_webhook",
    "wadh",
]


def auth_request(
    pid: bytes | Mapping[str, Any],
    certificate_pem: str,
    *,
    uid: str,
    txn: str,
    uses: Mapping[str, str],
    ts: str | None = None,
    pid_type: PidType | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/identity/auth`` (or, with ``ra`` & co added, ``/ekyc``) with the PID
    encrypted under ``certificate_pem`` (``GET /v1/identity/certificate``). A mapping is sent as
    a JSON PID (``data.type`` J), bytes as PID XML (X); ``ts`` defaults to the PID's own."""
    return auth_json(pid, certificate_pem, uid=uid, txn=txn, uses=uses, ts=ts, pid_type=pid_type)


def new_fi_key(now_us: int, valid_seconds: int = 24 * 3600) -> EphemeralKey:
    """A fresh X25519 key pair and 32-byte nonce, valid ``valid_seconds`` after ``now_us`` (your
    world's time: the AA checks the expiry against it). Send ``key.key_material()`` as the FI
    request's ``KeyMaterial``; keep the key to decrypt the fetch."""
    return EphemeralKey.generate(now_us, valid_seconds * 1_000_000)


def decrypt_fi(fetched: FIFetched | Mapping[str, Any], key: EphemeralKey) -> list[DecryptedFI]:
    """Every account's FI document of an ``FIFetchResponse``, decrypted with ``key`` (the one
    whose KeyMaterial went into the FI request) and each FIP's KeyMaterial. Raises ``ValueError``
    (``consent.crypto.InvalidKey`` for unreadable KeyMaterial) when a document does not open."""
    opened = []
    for fip in fetched.get("FI", []):
        for item in fip["data"]:
            plain = decrypt_from(key, fip["KeyMaterial"], item["encryptedFI"])
            opened.append(
                DecryptedFI(
                    fip_id=fip["fipID"],
                    link_ref_number=item["linkRefNumber"],
                    masked_acc_number=item["maskedAccNumber"],
                    document=plain.decode("utf-8"),
                )
            )
    return opened


def verify_jws(signature: str, body: bytes, jwks: Keys) -> str:
    """Check a detached JWS (``x-jws-signature``: RFC 7797, RS256, ``b64`` false) over exactly
    ``body`` against the JWKS (``GET /.well-known/jwks.json``); the ``kid`` that verified it.
    Raises ``JwsError`` (its ``reason`` names the check: format, alg, b64, crit, kid,
    signature)."""
    return verify_detached(signature, body, jwks)


class WebhookSignatureError(ValueError):
    """A webhook delivery whose signature is missing, stale, or not made with your secret."""


def verify_webhook(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    tolerance: int = signing.TOLERANCE_SECONDS,
) -> dict[str, Any]:
    """The event of a webhook delivery once its signature checks out with your ``secret`` (the
    ``webhookSecret`` of signup): by the Standard Webhooks headers (``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``; verified with the ``standardwebhooks``
    library) when they are there, else by ``Sandbox-Signature``. ``body`` is the raw body, not
    re-serialised JSON. ``now`` and ``tolerance`` apply to ``Sandbox-Signature`` (the library
    checks ``webhook-timestamp`` against the wall clock, 5 minutes either way). Raises
    ``WebhookSignatureError``."""
    lower = {k.lower(): v for k, v in headers.items()}
    moment = time.time() if now is None else now
    if signing.WEBHOOK_SIGNATURE in lower:
        try:
            verified = Webhook(standard_webhook_secret(secret)).verify(body, lower)
        except WebhookVerificationError as exc:
            raise WebhookSignatureError(f"Standard Webhooks: {exc}") from None
        return dict(verified)
    header = lower.get(signing.HEADER.lower())
    if header is None:
        raise WebhookSignatureError(
            "neither webhook-signature nor Sandbox-Signature is present: not a sandbox delivery"
        )
    try:
        signing.verify(secret, header, body, now=int(moment), tolerance=tolerance)
    except signing.SignatureError as exc:
        raise WebhookSignatureError(f"Sandbox-Signature: {exc}") from None
    event: dict[str, Any] = json.loads(body)
    return event
