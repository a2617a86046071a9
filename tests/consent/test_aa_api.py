"""The AA API under /aa as an FIU uses it: bodies and error bodies validated against the spec
files, every answer's detached JWS verified, the envelope rules, idempotency, fair use."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from consent.artefact import verify_consent
from tests.consent.conftest import Requested, act, fetch, handle_status, request_consent
from tests.consent.spec import validate, validate_response
from tests.support import clock
from tests.support.aa import (
    consent_detail,
    envelope,
    post,
    public_jwk,
    stamp,
    verify_aa_signature,
)
from tests.support.http import SignedUp

pytestmark = pytest.mark.anyio


async def _error(
    answer: httpx.Response, jwks: dict[str, Any], path: str, status: int, code: str
) -> str:
    """Check an error answer: status, spec schema, signature, code; its errorMsg."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    verify_aa_signature(answer, jwks)
    body = answer.json()
    validate_response(path, "post", status, body)
    assert body["errorCode"] == code, body
    assert body["ver"] == "2.0.0"
    msg: str = body["errorMsg"]
    return msg


async def test_the_whole_consent_flow_speaks_the_spec(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any], consent: Requested
) -> None:
    pending = await handle_status(client, partner, consent.handle)
    assert pending["ConsentStatus"] == {"status": "PENDING"}

    approved = await act(client, partner, consent.handle, "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "ACTIVE"

    ready = await handle_status(client, partner, consent.handle)
    assert ready["ConsentStatus"]["status"] == "READY"
    consent_id = ready["ConsentStatus"]["id"]

    artefact = await fetch(client, partner, consent_id)
    assert artefact.status_code == 200, artefact.text
    verify_aa_signature(artefact, jwks)
    body = artefact.json()
    validate_response("/Consent/fetch", "post", 200, body)
    assert body["status"] == "ACTIVE"
    assert body["consentId"] == consent_id
    assert body["txnid"] != consent.txnid  # the fetch's own txnid, echoed

    detail = verify_consent(body["signedConsent"], jwks)
    validate("SignedConsentDetail", detail)
    assert detail["Customer"] == {"id": "asha@sandbox-aa"}
    assert detail["Purpose"]["code"] == "102"
    (account,) = detail["Accounts"]
    assert account["fiType"] == "DEPOSIT"
    assert account["maskedAccNumber"].startswith("X")

    log = await client.get(body["ConsentUse"]["logUri"], headers=partner.headers)
    assert log.status_code == 200, log.text
    assert log.json()["verified"] is True
    assert [e["kind"] for e in log.json()["entries"]] == ["REQUESTED", "APPROVED"]

    listed = await client.get("/v1/consents", headers=partner.headers)
    assert [c["consentId"] for c in listed.json()["consents"]] == [consent_id]


async def test_the_key_is_accepted_as_client_api_key_or_bearer_and_required(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    body = envelope(now, ConsentDetail=consent_detail(now))
    bearer = await post(client, partner, "/Consent", body, header="bearer")
    assert bearer.status_code == 200, bearer.text

    nobody = await client.post("/aa/Consent", json=envelope(now, ConsentDetail=consent_detail(now)))
    msg = await _error(nobody, jwks, "/Consent", 401, "Unauthorized")
    assert "API key" in msg
    assert nobody.json()["txnid"]  # echoed even when refused before anything else


async def test_heartbeat(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    beat = await client.get("/aa/Heartbeat", headers={"client_api_key": partner.api_key})
    assert beat.status_code == 200
    verify_aa_signature(beat, jwks)
    validate("HeartbeatResponse", beat.json())
    assert beat.json()["Status"] == "UP"


async def test_another_version_is_no_such_version(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    body = envelope(now, ConsentDetail=consent_detail(now))
    body["ver"] = "1.1.2"
    answer = await post(client, partner, "/Consent", body)
    msg = await _error(answer, jwks, "/Consent", 404, "NoSuchVersion")
    assert "2.0.0" in msg
    assert answer.json()["txnid"] == body["txnid"]


@pytest.mark.parametrize("minutes", [-16, 16])
async def test_a_timestamp_beyond_15_minutes_of_world_time_is_invalid(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any], minutes: int
) -> None:
    await clock.advance(client, partner, 86_400)  # world time, not the machine's, is the reference
    now = await clock.now(client, partner)
    ok = await post(client, partner, "/Consent", envelope(now, ConsentDetail=consent_detail(now)))
    assert ok.status_code == 200, ok.text
    off = now + timedelta(minutes=minutes)
    answer = await post(
        client, partner, "/Consent", envelope(off, ConsentDetail=consent_detail(now))
    )
    msg = await _error(answer, jwks, "/Consent", 400, "InvalidRequest")
    assert msg.startswith("timestamp:")
    assert "15 minutes" in msg


async def test_a_schema_error_names_the_field_in_the_spec_body(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    detail = consent_detail(now)
    del detail["FIDataRange"]
    detail["DataLife"] = {"unit": "WEEK", "value": 1}
    body = envelope(now, ConsentDetail=detail)
    answer = await post(client, partner, "/Consent", body)
    msg = await _error(answer, jwks, "/Consent", 400, "InvalidRequest")
    assert "ConsentDetail.FIDataRange: Field required" in msg
    assert "ConsentDetail.DataLife.unit" in msg
    assert answer.json()["txnid"] == body["txnid"]

    not_json = await client.post(
        "/aa/Consent/handle",
        content=b"{not json",
        headers={"client_api_key": partner.api_key, "Content-Type": "application/json"},
    )
    await _error(not_json, jwks, "/Consent/handle", 400, "InvalidRequest")


async def test_a_txnid_that_is_not_a_uuid_is_invalid(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    body = envelope(now, ConsentHandle="x")
    body["txnid"] = "not-a-uuid"
    msg = await _error(
        await post(client, partner, "/Consent/handle", body),
        jwks,
        "/Consent/handle",
        400,
        "InvalidRequest",
    )
    assert msg.startswith("txnid:")


async def test_a_retry_with_the_same_txnid_replays_and_another_body_conflicts(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any], consent: Requested
) -> None:
    again = dict(consent.body)
    again["timestamp"] = stamp(await clock.now(client, partner))  # a retry may restamp
    replay = await post(client, partner, "/Consent", again)
    assert replay.status_code == 200, replay.text
    assert replay.json()["ConsentHandle"] == consent.handle
    listed = await client.get("/v1/consents", headers=partner.headers)
    assert len(listed.json()["consents"]) == 1

    other = json.loads(json.dumps(consent.body))
    other["ConsentDetail"]["Purpose"] = {"code": "103"}
    conflict = await post(client, partner, "/Consent", other)
    msg = await _error(conflict, jwks, "/Consent", 409, "IdempotencyError")
    assert consent.txnid in msg


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"Purpose": {"code": "999"}}, "InvalidConsentPurpose", "Purpose.code"),
        (
            {"Purpose": {"code": "102", "refUri": "https://example.com/p.xml"}},
            "InvalidConsentPurpose",
            "refUri",
        ),
        ({"Frequency": {"unit": "MONTH", "value": 60}}, "InvalidConsentPurpose", "45 per month"),
        ({"DataLife": {"unit": "MONTH", "value": 3}}, "InvalidConsentPurpose", "DataLife"),
        ({"Frequency": {"unit": "HOUR", "value": 2}}, "InvalidRequest", "1 fetch per hour"),
        (
            {"consentMode": "VIEW", "DataLife": {"unit": "DAY", "value": 1}},
            "InvalidRequest",
            "consentMode STORE",
        ),
        ({"DataLife": {"unit": "INF", "value": 3}}, "InvalidRequest", "INF needs value 0"),
        ({"Customer": {"id": "nobody@sandbox-aa"}}, "InvalidCustomerAddress", "Customer.id"),
        (
            {"fetchType": "ONETIME", "Purpose": {"code": "104"}},
            "InvalidConsentPurpose",
            "fetchType",
        ),
    ],
)
async def test_rules_and_fair_use_refusals_name_the_rule(
    client: httpx.AsyncClient,
    partner: SignedUp,
    jwks: dict[str, Any],
    overrides: dict[str, Any],
    code: str,
    words: str,
) -> None:
    now = await clock.now(client, partner)
    body = envelope(now, ConsentDetail=consent_detail(now, **overrides))
    msg = await _error(await post(client, partner, "/Consent", body), jwks, "/Consent", 400, code)
    assert words in msg, msg


async def test_purpose_105_is_one_day_one_time_profile_and_summary(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    one_time = {
        "Purpose": {"code": "105"},
        "fetchType": "ONETIME",
        "consentTypes": ["PROFILE", "SUMMARY"],
        "consentExpiry": stamp(now + timedelta(hours=12)),
        "FIDataRange": {"from": stamp(now - timedelta(hours=20)), "to": stamp(now)},
        "DataLife": {"unit": "DAY", "value": 1},
    }
    await request_consent(client, partner, jwks, **one_time)
    too_long = {**one_time, "consentExpiry": stamp(now + timedelta(days=3))}
    body = envelope(now, ConsentDetail=consent_detail(now, **too_long))
    msg = await _error(
        await post(client, partner, "/Consent", body),
        jwks,
        "/Consent",
        400,
        "InvalidConsentPurpose",
    )
    assert "1 day(s)" in msg


async def test_unknown_handle_and_consent_id(
    client: httpx.AsyncClient,
    partner: SignedUp,
    other_partner: SignedUp,
    jwks: dict[str, Any],
    consent: Requested,
) -> None:
    now = await clock.now(client, other_partner)
    theirs = await post(
        client, other_partner, "/Consent/handle", envelope(now, ConsentHandle=consent.handle)
    )
    await _error(theirs, jwks, "/Consent/handle", 400, "InvalidConsentHandle")
    unknown = await fetch(client, partner, str(uuid.uuid4()))
    await _error(unknown, jwks, "/Consent/fetch", 400, "InvalidConsentId")


async def test_a_registered_key_makes_signatures_mandatory(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    saved = await client.put(
        "/v1/partners/me/aa", json={"signingKey": public_jwk(key)}, headers=partner.headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["signingKey"]["kid"] == "fiu-key-1"

    now = await clock.now(client, partner)
    body = envelope(now, ConsentDetail=consent_detail(now))
    unsigned = await post(client, partner, "/Consent", body)
    assert "x-jws-signature is missing" in await _error(
        unsigned, jwks, "/Consent", 400, "SignatureDoesNotMatch"
    )

    signed = await post(client, partner, "/Consent", body, key=key)
    assert signed.status_code == 200, signed.text

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body2 = envelope(now, ConsentDetail=consent_detail(now))
    wrong = await post(client, partner, "/Consent", body2, key=other_key)
    assert "(signature)" in await _error(wrong, jwks, "/Consent", 400, "SignatureDoesNotMatch")

    bad_kid = await post(client, partner, "/Consent", body2, key=key, kid="another")
    assert "(kid)" in await _error(bad_kid, jwks, "/Consent", 400, "SignatureDoesNotMatch")

    cleared = await client.put("/v1/partners/me/aa", json={}, headers=partner.headers)
    assert cleared.json()["signingKey"] is None
    assert (await post(client, partner, "/Consent", body2)).status_code == 200
