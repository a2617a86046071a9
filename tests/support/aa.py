"""The FIU's side of the AA API for tests: request bodies that pass, signed requests, and the
check of the AA's detached JWS on answers and notifications."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from sandbox.keys import jws
from sandbox.keys.canonical import compact_json
from tests.support.http import SignedUp

PERSONA_HANDLE = "asha@sandbox-aa"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def consent_detail(now: datetime, **overrides: Any) -> dict[str, Any]:
    """A purpose-102 PERIODIC consent within the fair-use limits, for Asha."""
    detail: dict[str, Any] = {
        "consentStart": stamp(now),
        "consentExpiry": stamp(now + timedelta(days=180)),
        "consentMode": "STORE",
        "fetchType": "PERIODIC",
        "consentTypes": ["PROFILE", "SUMMARY", "TRANSACTIONS"],
        "fiTypes": ["DEPOSIT"],
        "DataConsumer": {"id": "fiu-team-test", "type": "FIU"},
        "Customer": {"id": PERSONA_HANDLE},
        "Purpose": {
            "code": "102",
            "refUri": "https://api.rebit.org.in/aa/purpose/102.xml",
            "text": "Customer spending patterns, budget or other reportings",
            "Category": {"type": "string"},
        },
        "FIDataRange": {"from": stamp(now - timedelta(days=365)), "to": stamp(now)},
        "DataLife": {"unit": "MONTH", "value": 1},
        "Frequency": {"unit": "MONTH", "value": 30},
    }
    detail.update(overrides)
    return detail


def envelope(now: datetime, **fields: Any) -> dict[str, Any]:
    return {"ver": "2.0.0", "timestamp": stamp(now), "txnid": str(uuid.uuid4()), **fields}


def verify_aa_signature(response: httpx.Response, jwks: dict[str, Any]) -> None:
    """The answer's x-jws-signature covers exactly its bytes, which are what a JavaScript client
    gets back from ``JSON.stringify(JSON.parse(body))``."""
    jws.verify_detached(response.headers[jws.HEADER], response.content, jwks)
    assert compact_json(json.loads(response.content)) == response.content


async def post(
    client: httpx.AsyncClient,
    partner: SignedUp,
    path: str,
    body: dict[str, Any],
    *,
    key: rsa.RSAPrivateKey | None = None,
    kid: str = "fiu-key-1",
    header: str = "client_api_key",
) -> httpx.Response:
    """POST ``body`` as compact JSON to ``/aa{path}`` with the key in ``header`` (or Bearer),
    signed with ``key`` when given."""
    raw = compact_json(body)
    headers = {"Content-Type": "application/json"}
    if header == "client_api_key":
        headers["client_api_key"] = partner.api_key
    else:
        headers.update(partner.headers)
    if key is not None:
        headers[jws.HEADER] = jws.sign_detached(raw, key, jws.protected_header(kid))
    return await client.post(f"/aa{path}", content=raw, headers=headers)


def public_jwk(key: rsa.RSAPrivateKey, kid: str = "fiu-key-1") -> dict[str, Any]:
    jwk = RSAKey.import_key(key.public_key()).as_dict(private=False)
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": kid}
