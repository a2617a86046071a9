"""Fixtures of the consent tests: a loopback receiver for notifications, the sandbox's JWKS, and
a consent requested for Asha (``consent``), as an FIU would make it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.consent.spec import validate_response
from tests.support import clock
from tests.support.aa import consent_detail, envelope, post, verify_aa_signature
from tests.support.http import SignedUp
from tests.support.webhooks import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
async def jwks(client: httpx.AsyncClient) -> dict[str, Any]:
    got = await client.get("/.well-known/jwks.json")
    assert got.status_code == 200
    body: dict[str, Any] = got.json()
    return body


@dataclass(frozen=True)
class Requested:
    handle: str
    txnid: str
    body: dict[str, Any]


async def request_consent(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any], **detail: Any
) -> Requested:
    now = await clock.now(client, partner)
    body = envelope(now, ConsentDetail=consent_detail(now, **detail))
    answer = await post(client, partner, "/Consent", body)
    assert answer.status_code == 200, answer.text
    verify_aa_signature(answer, jwks)
    validate_response("/Consent", "post", 200, answer.json())
    return Requested(answer.json()["ConsentHandle"], body["txnid"], body)


@pytest.fixture
async def consent(client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]) -> Requested:
    return await request_consent(client, partner, jwks)


async def act(
    client: httpx.AsyncClient, partner: SignedUp, handle: str, action: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/sandbox/aa/consents/{handle}/{action}",
        json=body or None,
        headers=partner.headers,
    )


async def handle_status(client: httpx.AsyncClient, partner: SignedUp, handle: str) -> Any:
    now = await clock.now(client, partner)
    answer = await post(client, partner, "/Consent/handle", envelope(now, ConsentHandle=handle))
    assert answer.status_code == 200, answer.text
    validate_response("/Consent/handle", "post", 200, answer.json())
    return answer.json()


async def fetch(client: httpx.AsyncClient, partner: SignedUp, consent_id: str) -> httpx.Response:
    now = await clock.now(client, partner)
    return await post(client, partner, "/Consent/fetch", envelope(now, consentId=consent_id))
