"""The AA data flow: POST /aa/FI/request and /aa/FI/fetch against the spec files, the data
decrypted by an FIU written from the spec text and validated against deposit.xsd, the session's
life (ACTIVE -> COMPLETED / EXPIRED, per-account FIStatus), the FIU's /FI/Notification on a
real loopback receiver, and the easy path (the error codes: ``test_fi_errors.py``).

The story test: pay Asha through UPI, get her consent, fetch and decrypt her statement, and find
the payment in it."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import xmlschema
from cryptography.exceptions import InvalidTag
from lxml import etree

from sandbox.keys import jws
from sandbox.settings import Settings
from tests.consent.fi.test_crypto import SpecFIU
from tests.consent.fiu import (
    aa_error,
    approved_consent,
    decrypt_all,
    fi_fetch,
    fi_request,
    fiu_key,
    session_of,
)
from tests.consent.spec import validate, validate_response
from tests.support import clock
from tests.support.aa import (
    consent_detail,
    envelope,
    fiu_listening,
    log_kinds,
    post,
    stamp,
    two_pages,
    verify_aa_signature,
)
from tests.support.http import SignedUp, sign_up
from tests.support.upi import pay
from tests.support.webhooks import Receiver, events, listen

pytestmark = pytest.mark.anyio

NS = {"d": "http://api.rebit.org.in/FISchema/deposit"}
DEPOSIT_XSD = Path(__file__).resolve().parents[2] / "specs" / "fi-schemas" / "deposit.xsd"


@pytest.fixture(scope="module")
def deposit_xsd() -> xmlschema.XMLSchema11:
    return xmlschema.XMLSchema11(str(DEPOSIT_XSD))


def _lines(doc: bytes) -> list[dict[str, str]]:
    root = etree.fromstring(doc)
    return [dict(t.attrib) for t in root.iterfind("d:Transactions/d:Transaction", NS)]


async def _session(client: httpx.AsyncClient, partner: SignedUp, session_id: str) -> Any:
    got = await client.get(f"/v1/fi/sessions/{session_id}", headers=partner.headers)
    assert got.status_code == 200, got.text
    return got.json()


# -- the story -----------------------------------------------------------------------------------


async def test_story_pay_asha_then_fetch_and_decrypt_her_statement_with_the_payment(
    client: httpx.AsyncClient,
    partner: SignedUp,
    jwks: dict[str, Any],
    deposit_xsd: xmlschema.XMLSchema11,
) -> None:
    paid = await pay(client, partner, "ravi@sandbox", "asha@sandbox", "321.50", note="rent share")
    assert paid.status_code == 200, paid.text
    payment = paid.json()
    assert payment["status"] == "SUCCESS"
    await clock.advance(client, partner, 60)  # the consent's range ends at its request

    consent = await approved_consent(client, partner, jwks)
    fiu = await fiu_key(client, partner)
    requested = await fi_request(client, partner, consent, fiu)
    assert requested.status_code == 200, requested.text
    verify_aa_signature(requested, jwks)
    validate_response("/FI/request", "post", 200, requested.json())
    session_id = requested.json()["sessionId"]
    assert requested.json()["consentId"] == consent.consent_id

    fetched = await fi_fetch(client, partner, session_id)
    assert fetched.status_code == 200, fetched.text
    verify_aa_signature(fetched, jwks)
    validate_response("/FI/fetch", "post", 200, fetched.json())
    (fip,) = fetched.json()["FI"]
    (account,) = consent.accounts
    assert fip["fipID"] == account["fipId"]
    (doc,) = decrypt_all(fiu, fetched.json()).values()
    deposit_xsd.validate(doc)

    line = next(t for t in _lines(doc) if t["txnId"] == payment["txnId"])
    assert line["mode"] == "UPI"
    assert line["type"] == "CREDIT"
    assert line["amount"] == "321.50"
    assert line["reference"] == payment["rrn"]
    assert "rent share" in line["narration"]
    root = etree.fromstring(doc)
    assert root.get("linkedAccRef") == account["linkRefNumber"]
    assert root.get("maskedAccNumber") == account["maskedAccNumber"]

    session = await _session(client, partner, session_id)
    assert session["status"] == "COMPLETED"
    assert [a["fiStatus"] for a in session["accounts"]] == ["DELIVERED"]
    assert await log_kinds(client, partner, consent.handle) == [
        "REQUESTED",
        "APPROVED",
        "FI_REQUEST",
        "FI_FETCH",
    ]


async def test_the_fiu_decrypts_with_the_spec_derivation_written_out(
    client: httpx.AsyncClient,
    partner: SignedUp,
    jwks: dict[str, Any],
    deposit_xsd: xmlschema.XMLSchema11,
) -> None:
    """Every FIP's KeyMaterial is fresh and of the spec's shape; the FIU's own key, nonce and
    the HKDF/AES-GCM written from the text decrypt each account; a wrong nonce does not."""
    consent = await approved_consent(
        client, partner, jwks, Customer={"id": "vikram@sandbox-aa"}, fiTypes=["DEPOSIT"]
    )
    fiu = await fiu_key(client, partner)
    session_id = await session_of(client, partner, consent, fiu)
    fetched = (await fi_fetch(client, partner, session_id)).json()
    assert len(fetched["FI"]) == 2  # Vikram banks at two FIPs: one KeyMaterial each
    nonces = set()
    for fip in fetched["FI"]:
        km = fip["KeyMaterial"]
        assert km["cryptoAlg"] == "ECDH"
        assert km["curve"] == "X25519"
        assert km["DHPublicKey"]["KeyValue"].startswith("-----BEGIN PUBLIC KEY-----")
        assert len(base64.b64decode(km["Nonce"])) == 32
        nonces.add(km["Nonce"])
    assert len(nonces) == 2
    docs = decrypt_all(fiu, fetched)
    assert sorted(docs) == sorted(a["linkRefNumber"] for a in consent.accounts)
    for doc in docs.values():
        deposit_xsd.validate(doc)

    stranger = SpecFIU()
    fip = fetched["FI"][0]
    with pytest.raises(InvalidTag):
        stranger.decrypt(fip["data"][0]["encryptedFI"], fip["KeyMaterial"])


# -- the session's life --------------------------------------------------------------------------


async def test_a_fetch_per_fip_and_account_completes_the_session(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    consent = await approved_consent(client, partner, jwks, Customer={"id": "vikram@sandbox-aa"})
    first, second = consent.accounts
    fiu = await fiu_key(client, partner)
    session_id = await session_of(client, partner, consent, fiu)
    session = await _session(client, partner, session_id)
    assert session["status"] == "ACTIVE"
    assert [a["fiStatus"] for a in session["accounts"]] == ["READY", "READY"]

    one = await fi_fetch(
        client,
        partner,
        session_id,
        fipId=first["fipId"],
        linkRefNumber=[{"id": first["linkRefNumber"]}],
    )
    assert one.status_code == 200, one.text
    validate_response("/FI/fetch", "post", 200, one.json())
    assert [f["fipID"] for f in one.json()["FI"]] == [first["fipId"]]
    session = await _session(client, partner, session_id)
    assert session["status"] == "ACTIVE"
    assert [a["fiStatus"] for a in session["accounts"]] == ["DELIVERED", "READY"]

    # a second FI request while this one still has data to deliver: DataFetchRequestInProgress
    busy = await fi_request(client, partner, consent, fiu)
    message = aa_error(busy, "/FI/request", 400, "InvalidConsentUse", jwks)
    assert session_id in message
    assert "DataFetchRequestInProgress" in message

    rest = await fi_fetch(client, partner, session_id, fipId=second["fipId"])
    assert rest.status_code == 200, rest.text
    session = await _session(client, partner, session_id)
    assert session["status"] == "COMPLETED"
    assert session["fetchCount"] == 2
    # a completed session can be fetched again within its window (an FIU's retry)
    again = await fi_fetch(client, partner, session_id)
    assert again.status_code == 200
    assert len(again.json()["FI"]) == 2
    # and a new FI request is allowed now
    assert (await fi_request(client, partner, consent, fiu)).status_code == 200


async def test_the_session_expires_after_24_hours_of_world_time(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    consent = await approved_consent(client, partner, jwks)
    fiu = await fiu_key(client, partner, hours=72)
    session_id = await session_of(client, partner, consent, fiu)
    await clock.advance(client, partner, 24 * 3600 + 1)
    gone = await fi_fetch(client, partner, session_id)
    message = aa_error(gone, "/FI/fetch", 410, "DataGone", jwks)
    assert "24 hours" in message
    assert (await _session(client, partner, session_id))["status"] == "EXPIRED"
    easy = await client.get(f"/v1/fi/sessions/{session_id}/data", headers=partner.headers)
    assert easy.status_code == 410
    assert easy.json()["errorCode"] == "DataGone"
    # the expired session no longer blocks a new request
    assert (await fi_request(client, partner, consent, fiu)).status_code == 200


async def test_a_retried_fi_request_replays_and_another_body_conflicts(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    consent = await approved_consent(client, partner, jwks)
    fiu = await fiu_key(client, partner)
    now = await clock.now(client, partner)
    body = envelope(
        now,
        FIDataRange={"from": consent.fi_from, "to": consent.fi_to},
        Consent={"id": consent.consent_id, "digitalSignature": consent.signature},
        KeyMaterial=fiu.key_material,
    )
    first = await fi_request(client, partner, consent, fiu, body=dict(body))
    again = await fi_request(client, partner, consent, fiu, body=dict(body))
    assert first.status_code == again.status_code == 200
    assert first.json()["sessionId"] == again.json()["sessionId"]
    listed = (await client.get("/v1/fi/sessions", headers=partner.headers)).json()
    assert len(listed["sessions"]) == 1
    other = dict(body, FIDataRange={"from": consent.fi_from, "to": stamp(now)})
    conflict = await fi_request(client, partner, consent, fiu, body=other)
    msg = aa_error(conflict, "/FI/request", 409, "IdempotencyError", jwks)
    assert f"txnid '{body['txnid']}' was already used for POST /aa/FI/request with a " in msg

    # one key space for the AA's creating requests: the FI request's txnid on /Consent
    ask = envelope(now, ConsentDetail=consent_detail(now), txnid=body["txnid"])
    crossed = await post(client, partner, "/Consent", ask)
    msg = aa_error(crossed, "/Consent", 409, "IdempotencyError", jwks)
    assert "was first used for POST /aa/FI/request, not POST /aa/Consent" in msg


async def test_onetime_serves_one_fi_request(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    consent = await approved_consent(
        client,
        partner,
        jwks,
        fetchType="ONETIME",
        consentMode="VIEW",
        consentTypes=["PROFILE", "SUMMARY"],
        Purpose={"code": "105", "text": "One-time"},
        consentExpiry=stamp(now + timedelta(hours=12)),
        FIDataRange={"from": stamp(now - timedelta(hours=20)), "to": stamp(now)},
        DataLife={"unit": "DAY", "value": 0},
        Frequency={"unit": "DAY", "value": 1},
    )
    fiu = await fiu_key(client, partner)
    session_id = await session_of(client, partner, consent, fiu)
    fetched = await fi_fetch(client, partner, session_id)
    (doc,) = decrypt_all(fiu, fetched.json()).values()
    root = etree.fromstring(doc)
    assert root.find("d:Profile", NS) is not None
    assert root.find("d:Transactions", NS) is None  # consentTypes PROFILE and SUMMARY only
    again = await fi_request(client, partner, consent, fiu)
    message = aa_error(again, "/FI/request", 400, "InvalidConsentUse", jwks)
    assert "ONETIME" in message


# -- the easy path and the partner's listing -----------------------------------------------------


async def test_the_easy_path_answers_the_same_data_decrypted(
    client: httpx.AsyncClient,
    partner: SignedUp,
    jwks: dict[str, Any],
    deposit_xsd: xmlschema.XMLSchema11,
) -> None:
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "42.00", note="easy")
    txn_id = paid.json()["txnId"]
    await clock.advance(client, partner, 60)
    consent = await approved_consent(client, partner, jwks)
    fiu = await fiu_key(client, partner)
    session_id = await session_of(client, partner, consent, fiu)

    as_json = await client.get(f"/v1/fi/sessions/{session_id}/data", headers=partner.headers)
    assert as_json.status_code == 200, as_json.text
    (account,) = as_json.json()["accounts"]
    assert account["linkRefNumber"] == consent.accounts[0]["linkRefNumber"]
    doc = account["data"]
    assert isinstance(doc, dict)
    assert txn_id in json.dumps(doc)

    as_xml = await client.get(
        f"/v1/fi/sessions/{session_id}/data", params={"format": "xml"}, headers=partner.headers
    )
    (account,) = as_xml.json()["accounts"]
    xml = account["data"].encode()
    deposit_xsd.validate(xml)
    line = next(t for t in _lines(xml) if t["txnId"] == txn_id)
    assert line["mode"] == "UPI"
    assert line["type"] == "DEBIT"
    assert (await _session(client, partner, session_id))["status"] == "COMPLETED"

    other = await sign_up(client)
    hidden = await client.get(f"/v1/fi/sessions/{session_id}/data", headers=other.headers)
    assert hidden.status_code == 404
    aa_error(await fi_fetch(client, other, session_id), "/FI/fetch", 400, "InvalidSessionId", jwks)


async def test_sessions_list_with_a_cursor(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    made = []
    for _ in range(3):
        consent = await approved_consent(client, partner, jwks)
        made.append(await session_of(client, partner, consent, await fiu_key(client, partner)))
    first, second = await two_pages(client, partner, "/v1/fi/sessions")
    assert len(first["sessions"]) == 2
    seen = [s["sessionId"] for s in first["sessions"] + second["sessions"]]
    assert sorted(seen) == sorted(made)
    assert second["nextCursor"] is None
    active = await client.get(
        "/v1/fi/sessions", params={"status": "COMPLETED"}, headers=partner.headers
    )
    assert active.json()["sessions"] == []
    missing = await client.get("/v1/fi/sessions/nope", headers=partner.headers)
    assert missing.status_code == 404


# -- notifications -------------------------------------------------------------------------------


async def test_fi_events_go_out_as_platform_webhooks(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    await listen(client, partner)
    consent = await approved_consent(client, partner, jwks)
    fiu = await fiu_key(client, partner)
    session_id = await session_of(client, partner, consent, fiu)
    await fi_fetch(client, partner, session_id)
    types = await events(client, partner)
    assert [t for t in types if t.startswith("fi.")] == ["fi.ready", "fi.completed"]


async def test_the_fiu_receives_signed_fi_notifications(
    make_settings: Any, receiver: Receiver
) -> None:
    settings: Settings = make_settings(dispatch_webhooks=True)
    async with fiu_listening(settings, receiver) as listening:
        client, partner, jwks = listening.client, listening.partner, listening.jwks
        consent = await approved_consent(client, partner, jwks)
        fiu = await fiu_key(client, partner)
        answer = await fi_request(client, partner, consent, fiu)
        session_id = answer.json()["sessionId"]
        txnid = json.loads(answer.content)["txnid"]
        assert (await fi_fetch(client, partner, session_id)).status_code == 200
        got = await receiver.wait_for(7)

    notes = [r for r in got if r.path == "/fiu/FI/Notification"]
    assert len(notes) == 2
    seen = {}
    for note in notes:
        jws.verify_detached(note.headers["x-jws-signature"], note.body, jwks)
        body = json.loads(note.body)
        validate("FIStatusNotification", body, file="FIU_2_0_0.yaml")
        assert body["txnid"] == txnid
        assert body["Notifier"] == {"type": "AA", "id": "sandbox-aa"}
        inner = body["FIStatusNotification"]
        assert inner["sessionId"] == session_id
        (fip,) = inner["FIStatusResponse"]
        assert fip["fipID"] == consent.accounts[0]["fipId"]
        seen[inner["sessionStatus"]] = [a["FIStatus"] for a in fip["Accounts"]]
    assert seen == {"ACTIVE": ["READY"], "COMPLETED": ["DELIVERED"]}
    platform = sorted(
        r.headers["sandbox-event-type"]
        for r in got
        if r.path == "/hooks" and r.headers["sandbox-event-type"].startswith("fi.")
    )
    assert platform == ["fi.completed", "fi.ready"]


async def test_term_and_recurring_deposits_are_shared_and_fetched_too(
    client: httpx.AsyncClient,
    partner: SignedUp,
    jwks: dict[str, Any],
    deposit_xsd: xmlschema.XMLSchema11,
) -> None:
    consent = await approved_consent(
        client, partner, jwks, fiTypes=["DEPOSIT", "TERM_DEPOSIT", "RECURRING_DEPOSIT"]
    )
    assert [a["fiType"] for a in consent.accounts] == [
        "DEPOSIT",
        "TERM_DEPOSIT",
        "RECURRING_DEPOSIT",
    ]
    for account in consent.accounts:  # opaque refs: the artefact never carries a number
        assert re.fullmatch(r"(DEP|TD|RD)-[0-9a-f-]{36}", account["linkRefNumber"])
    fiu = await fiu_key(client, partner)
    session_id = await session_of(client, partner, consent, fiu)
    docs = decrypt_all(fiu, (await fi_fetch(client, partner, session_id)).json())
    kinds = {ref: etree.fromstring(doc).get("type") for ref, doc in docs.items()}
    refs = [a["linkRefNumber"] for a in consent.accounts]
    assert [kinds[r] for r in refs] == ["deposit", "term_deposit", "recurring_deposit"]
    deposit_xsd.validate(docs[refs[0]])
