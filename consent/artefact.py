"""The signed consent artefact: ``signedConsent`` is a compact JWS (RFC 7515, RS256) over the
``SignedConsentDetail`` JSON, signed with the sandbox's key (``kid`` in the header, the key
published at ``/.well-known/jwks.json``). No I/O: the key is passed in.

Its third part is what an FIU sends back as FI/request's ``Consent.digitalSignature``.
"""

from __future__ import annotations

import json
from typing import Any

from joserfc import jws
from joserfc.jwk import KeySet, RSAKey

from sandbox.keys.canonical import compact_json
from sandbox.keys.ring import SigningKey

ALG = "RS256"


def sign_consent(detail: dict[str, Any], key: SigningKey) -> str:
    """``<header>.<payload>.<signature>`` over the compact JSON of ``detail``."""
    private = RSAKey.import_key(key.private)
    header = {"alg": ALG, "kid": key.kid, "typ": "JWT"}
    return jws.serialize_compact(header, compact_json(detail), private, algorithms=[ALG])


def verify_consent(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The ``SignedConsentDetail`` of a ``signedConsent`` that verifies under ``jwks`` (the
    sandbox's published set); raises joserfc's errors otherwise."""
    keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    obj = jws.deserialize_compact(token, keys, algorithms=[ALG])
    detail: dict[str, Any] = json.loads(obj.payload)
    return detail


def digital_signature(token: str) -> str:
    """The signature part of a compact JWS."""
    return token.rsplit(".", 1)[1]
