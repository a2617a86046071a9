"""The AA data flow's error codes, each through its trigger: FI/request (unknown consent, forged
signature, ranges, KeyMaterial, the consent's status) and FI/fetch (unknown session, fipId,
linkRefNumber, the consent paused, revoked or expired since, the FIU's key expired), each
answer checked against the spec's body for its path and status and its signature verified."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.consent.conftest import act, request_consent
from tests.consent.fiu import (
    Approved,
    aa_error,
    approved_consent,
    fi_fetch,
    fi_request,
    fiu_key,
    session_of,
)
from tests.support import clock
from tests.support.aa import envelope, log_kinds, post, stamp
from tests.support.http import SignedUp

pytestmark = pytest.mark.anyio


# -- FI/request's error codes --------------------------------------------------------------------


async def test_fi_request_errors_name_the_field(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    consent = await approved_consent(client, partner, jwks)
    fiu = await fiu_key(client, partner)
    path = "/FI/request"

    unknown = replace(consent, consent_id="00000000-0000-4000-8000-000000000000")
    answer = await fi_request(client, partner, unknown, fiu)
    aa_error(answer, path, 400, "InvalidConsentId", jwks)

    forged = replace(consent, signature=consent.signature[::-1])
    message = aa_error(
        await fi_request(client, partner, forged, fiu), path, 400, "InvalidConsentDetail", jwks
    )
    assert "Consent.digitalSignature" in message

    reversed_range = replace(consent, fi_from=consent.fi_to, fi_to=consent.fi_from)
    message = aa_error(
        await fi_request(client, partner, reversed_range, fiu), path, 400, "InvalidDateRange", jwks
    )
    assert "not before" in message
    now = await clock.now(client, partner)
    wider = replace(consent, fi_from=stamp(now - timedelta(days=400)))
    message = aa_error(
        await fi_request(client, partner, wider, fiu), path, 400, "InvalidDateRange", jwks
    )
    assert "not inside the consent's FIDataRange" in message

    short_nonce = dict(fiu.key_material, Nonce=base64.b64encode(b"x" * 16).decode())
    message = aa_error(
        await fi_request(client, partner, consent, fiu, KeyMaterial=short_nonce),
        path,
        400,
        "InvalidKey",
        jwks,
    )
    assert "KeyMaterial.Nonce" in message
    assert "16 bytes" in message
    expired = await fiu_key(client, partner, hours=-1)
    message = aa_error(
        await fi_request(client, partner, consent, expired), path, 400, "InvalidKey", jwks
    )
    assert "KeyMaterial.DHPublicKey.expiry" in message

    assert await log_kinds(client, partner, consent.handle) == ["REQUESTED", "APPROVED"]

    paused = await act(client, partner, consent.handle, "pause")
    assert paused.status_code == 200
    message = aa_error(
        await fi_request(client, partner, consent, fiu), path, 400, "InvalidConsentStatus", jwks
    )
    assert "PAUSED" in message
    assert "ConsentPaused" in message
    await act(client, partner, consent.handle, "revoke")
    message = aa_error(
        await fi_request(client, partner, consent, fiu), path, 400, "InvalidConsentStatus", jwks
    )
    assert "ConsentRevoked" in message

    pending = await request_consent(client, partner, jwks)
    answer = await fi_request(
        client,
        partner,
        Approved(pending.handle, pending.handle, "x", consent.fi_from, consent.fi_to, []),
        fiu,
    )
    aa_error(answer, path, 400, "InvalidConsentId", jwks)  # a handle is no consent id


async def test_fi_request_on_an_expired_consent_is_invalid_consent_status(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    consent = await approved_consent(
        client, partner, jwks, consentExpiry=stamp(now + timedelta(hours=2))
    )
    await clock.advance(client, partner, 3 * 3600)
    fiu = await fiu_key(client, partner)
    message = aa_error(
        await fi_request(client, partner, consent, fiu),
        "/FI/request",
        400,
        "InvalidConsentStatus",
        jwks,
    )
    assert "ConsentExpired" in message


# -- FI/fetch's error codes ----------------------------------------------------------------------


async def test_fi_fetch_errors(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    consent = await approved_consent(client, partner, jwks)
    fiu = await fiu_key(client, partner)
    session_id = await session_of(client, partner, consent, fiu)
    path = "/FI/fetch"

    aa_error(
        await fi_fetch(client, partner, "11111111-1111-4111-8111-111111111111"),
        path,
        400,
        "InvalidSessionId",
        jwks,
    )
    message = aa_error(
        await fi_fetch(client, partner, session_id, fipId="NOBANK-FIP"),
        path,
        400,
        "InvalidFIPId",
        jwks,
    )
    assert consent.accounts[0]["fipId"] in message
    message = aa_error(
        await fi_fetch(client, partner, session_id, linkRefNumber=[{"id": "DEP-000"}]),
        path,
        400,
        "InvalidRequest",
        jwks,
    )
    assert "linkRefNumber[0].id" in message

    await act(client, partner, consent.handle, "pause")
    aa_error(await fi_fetch(client, partner, session_id), path, 403, "ConsentPaused", jwks)
    await act(client, partner, consent.handle, "resume")
    assert (await fi_fetch(client, partner, session_id)).status_code == 200
    await act(client, partner, consent.handle, "revoke")
    aa_error(await fi_fetch(client, partner, session_id), path, 403, "ConsentRevoked", jwks)


async def test_fi_fetch_after_the_consent_or_the_key_expired(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    consent = await approved_consent(
        client, partner, jwks, consentExpiry=stamp(now + timedelta(hours=2))
    )
    fiu = await fiu_key(client, partner, hours=1)
    session_id = await session_of(client, partner, consent, fiu)
    await clock.advance(client, partner, 3600 + 60)
    message = aa_error(
        await fi_fetch(client, partner, session_id), "/FI/fetch", 400, "InvalidKey", jwks
    )
    assert "expiry" in message
    await clock.advance(client, partner, 3600)
    aa_error(await fi_fetch(client, partner, session_id), "/FI/fetch", 403, "ConsentExpired", jwks)


async def test_a_schema_error_and_a_wrong_version_on_the_data_flow(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    missing = await post(client, partner, "/FI/request", envelope(now, Consent={"id": "x"}))
    message = aa_error(missing, "/FI/request", 400, "InvalidRequest", jwks)
    assert "FIDataRange" in message
    wrong = await post(client, partner, "/FI/fetch", envelope(now, ver="1.1.2", sessionId="x"))
    aa_error(wrong, "/FI/fetch", 404, "NoSuchVersion", jwks)
