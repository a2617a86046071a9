"""The FIU's side of the data flow for tests: an approved consent, FI/request and FI/fetch
bodies, and the decryption of what FI/fetch answers by an FIU written from the spec text
(``tests/consent/fi/test_crypto.py``'s ``SpecFIU``: X25519, HKDF-SHA256 written out with hmac,
salt x[0:20], AES-256-GCM with IV x[20:32], the tag appended)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from tests.consent.conftest import act, fetch, request_consent
from tests.consent.fi.test_crypto import SpecFIU
from tests.consent.spec import validate_response
from tests.support import clock
from tests.support.aa import envelope, post, stamp, verify_aa_signature
from tests.support.http import SignedUp


@dataclass(frozen=True)
class Approved:
    handle: str
    consent_id: str
    signature: str  # the signature part of signedConsent
    fi_from: str
    fi_to: str
    accounts: list[dict[str, Any]]


async def approved_consent(
    client: httpx.AsyncClient,
    partner: SignedUp,
    jwks: dict[str, Any],
    *,
    accounts: list[str] | None = None,
    **detail: Any,
) -> Approved:
    """A consent requested over /aa and approved through the test-only API."""
    requested = await request_consent(client, partner, jwks, **detail)
    body = {"accounts": accounts} if accounts is not None else {}
    done = await act(client, partner, requested.handle, "approve", **body)
    assert done.status_code == 200, done.text
    consent_id = done.json()["consentId"]
    artefact = await fetch(client, partner, consent_id)
    assert artefact.status_code == 200, artefact.text
    signed = artefact.json()["signedConsent"]
    fi_range = requested.body["ConsentDetail"]["FIDataRange"]
    return Approved(
        requested.handle,
        consent_id,
        signed.rsplit(".", 1)[1],
        fi_range["from"],
        fi_range["to"],
        done.json()["accounts"],
    )


async def fiu_key(client: httpx.AsyncClient, partner: SignedUp, hours: float = 24) -> SpecFIU:
    """A fresh FIU key pair and nonce whose expiry is ``hours`` of world time away."""
    now = await clock.now(client, partner)
    return SpecFIU(expiry=stamp(now + timedelta(hours=hours)))


async def fi_request(
    client: httpx.AsyncClient,
    partner: SignedUp,
    consent: Approved,
    fiu: SpecFIU,
    *,
    body: dict[str, Any] | None = None,
    **overrides: Any,
) -> httpx.Response:
    now = await clock.now(client, partner)
    sent = body or envelope(
        now,
        FIDataRange={"from": consent.fi_from, "to": consent.fi_to},
        Consent={"id": consent.consent_id, "digitalSignature": consent.signature},
        KeyMaterial=fiu.key_material,
    )
    sent.update(overrides)
    return await post(client, partner, "/FI/request", sent)


async def session_of(
    client: httpx.AsyncClient, partner: SignedUp, consent: Approved, fiu: SpecFIU
) -> str:
    answer = await fi_request(client, partner, consent, fiu)
    assert answer.status_code == 200, answer.text
    validate_response("/FI/request", "post", 200, answer.json())
    session_id: str = answer.json()["sessionId"]
    return session_id


async def fi_fetch(
    client: httpx.AsyncClient, partner: SignedUp, session_id: str, **fields: Any
) -> httpx.Response:
    now = await clock.now(client, partner)
    return await post(client, partner, "/FI/fetch", envelope(now, sessionId=session_id, **fields))


def aa_error(
    answer: httpx.Response, path: str, status: int, code: str, jwks: dict[str, Any]
) -> str:
    """Check an /aa error answer: status, the spec's body for that path and status, its code,
    a valid signature; returns errorMsg."""
    assert answer.status_code == status, answer.text
    verify_aa_signature(answer, jwks)
    body = answer.json()
    validate_response(path, "post", status, body)
    assert body["errorCode"] == code, body
    message: str = body["errorMsg"]
    return message


def decrypt_all(fiu: SpecFIU, fetched: dict[str, Any]) -> dict[str, bytes]:
    """linkRefNumber -> the plain FI document, decrypted with each FIP's KeyMaterial."""
    out = {}
    for fip in fetched["FI"]:
        for item in fip["data"]:
            out[item["linkRefNumber"]] = fiu.decrypt(item["encryptedFI"], fip["KeyMaterial"])
    return out
