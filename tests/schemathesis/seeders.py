"""The resources each fuzzed operation's world starts with: ``SEEDERS`` maps a path parameter's
name to a function that makes real ids for it (so its 2xx answers are checked, not only 404s).
To cover a new path parameter, add a seeder here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import requests

from consent.crypto import EphemeralKey
from payments.schemas.refund import EXAMPLE_ORIGINAL_TXN_ID
from sandbox.ops.problems import PROBLEM_TYPES
from tests.harness.fuzz import Credentials
from tests.harness.isolation import COLLECT, MANDATE, PAYMENT
from tests.support.aa import consent_detail, envelope

Seeder = Callable[[requests.Session, Credentials], list[str]]


def _seed_delivery(http: requests.Session, credentials: Credentials) -> list[str]:
    sent = http.post("/v1/sandbox/webhooks/test", headers=credentials.headers)
    assert sent.status_code == 202, sent.text
    listed = http.get("/v1/sandbox/webhooks/deliveries", headers=credentials.headers)
    return [d["id"] for d in listed.json()["deliveries"]]


def _seed_problem_slugs(http: requests.Session, credentials: Credentials) -> list[str]:
    return sorted(PROBLEM_TYPES)[:3]


def _seed_upi_transaction(http: requests.Session, credentials: Credentials) -> list[str]:
    """A payment, and a pending collect request (approve and decline need one)."""
    paid = http.post("/v1/upi/pay", json=PAYMENT, headers=credentials.headers)
    assert paid.status_code == 200, paid.text
    asked = http.post("/v1/upi/collect", json=COLLECT, headers=credentials.headers)
    assert asked.status_code == 200, asked.text
    return [paid.json()["txnId"], asked.json()["txnId"]]


def _seed_refundable_payment(http: requests.Session, credentials: Credentials) -> list[str]:
    """The payment the refund example refunds: not a path parameter (POST /v1/upi/refunds
    names it in the body), but the example's originalTxnId must exist for it to succeed."""
    body = {**PAYMENT, "txnId": EXAMPLE_ORIGINAL_TXN_ID}
    paid = http.post("/v1/upi/pay", json=body, headers=credentials.headers)
    assert paid.status_code == 200, paid.text
    return [paid.json()["txnId"]]


def _seed_mandates(http: requests.Session, credentials: Credentials) -> list[str]:
    """AutoPay mandates in each state an action starts from: pending, active, paused."""
    umns = []
    for steps in ((), ("approve",), ("approve", "pause")):
        made = http.post("/v1/upi/mandates", json=MANDATE, headers=credentials.headers)
        assert made.status_code == 201, made.text
        umn = made.json()["umn"]
        for step in steps:
            body = {"pin": "1234"} if step == "approve" else None
            done = http.post(
                f"/v1/upi/mandates/{umn}/{step}", json=body, headers=credentials.headers
            )
            assert done.status_code == 200, done.text
        umns.append(umn)
    return umns


def _seed_consents(http: requests.Session, credentials: Credentials) -> list[str]:
    """Consents in each status an action starts from: pending, active, paused."""
    now = dt.datetime.now(dt.UTC)  # a fresh world: world time is real time
    handles = []
    for steps in ((), ("approve",), ("approve", "pause")):
        body = envelope(now, ConsentDetail=consent_detail(now))
        made = http.post("/aa/Consent", json=body, headers=credentials.headers)
        assert made.status_code == 200, made.text
        handle = made.json()["ConsentHandle"]
        for step in steps:
            done = http.post(
                f"/v1/sandbox/aa/consents/{handle}/{step}", headers=credentials.headers
            )
            assert done.status_code == 200, done.text
        handles.append(handle)
    return handles


def _seed_fi_sessions(http: requests.Session, credentials: Credentials) -> list[str]:
    """An FI session of an approved consent (POST /aa/FI/request)."""
    now = dt.datetime.now(dt.UTC)  # a fresh world: world time is real time
    detail = consent_detail(now)
    made = http.post(
        "/aa/Consent", json=envelope(now, ConsentDetail=detail), headers=credentials.headers
    )
    assert made.status_code == 200, made.text
    handle = made.json()["ConsentHandle"]
    approved = http.post(f"/v1/sandbox/aa/consents/{handle}/approve", headers=credentials.headers)
    assert approved.status_code == 200, approved.text
    consent_id = approved.json()["consentId"]
    artefact = http.post(
        "/aa/Consent/fetch", json=envelope(now, consentId=consent_id), headers=credentials.headers
    )
    assert artefact.status_code == 200, artefact.text
    body = envelope(
        now,
        FIDataRange=detail["FIDataRange"],
        Consent={
            "id": consent_id,
            "digitalSignature": artefact.json()["signedConsent"].rsplit(".", 1)[1],
        },
        KeyMaterial=EphemeralKey.generate(int(now.timestamp() * 1_000_000)).key_material(),
    )
    requested = http.post("/aa/FI/request", json=body, headers=credentials.headers)
    assert requested.status_code == 200, requested.text
    return [requested.json()["sessionId"]]


def _seed_auth_records(http: requests.Session, credentials: Credentials) -> list[str]:
    """An authentication of Asha on the easy path (a fresh world: world time is real time)."""
    ts = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S")
    pid: dict[str, Any] = {"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}
    body: dict[str, Any] = {"uid": "999999990019", "rc": "Y", "ver": "2.5", "txn": "fuzz-seed"}
    made = http.post(
        "/v1/identity/auth",
        json={**body, "uses": {"pi": "y"}, "pid": pid},
        headers=credentials.headers,
    )
    assert made.status_code == 200, made.text
    assert made.json()["ret"] == "y", made.text
    return [made.json()["code"]]


def _seed_vids(http: requests.Session, credentials: Credentials) -> list[str]:
    """Asha's VID, made with the OTP read from her inbox."""
    body = {"uid": "999999990019", "txn": "fuzz-vid"}
    sent = http.post(
        "/v1/identity/otp", json={**body, "channel": "01"}, headers=credentials.headers
    )
    assert sent.json()["ret"] == "y", sent.text
    inbox = http.get(
        "/v1/sandbox/inbox", params={"to": "+919876500001"}, headers=credentials.headers
    )
    otp = re.search(r"\b(\d{6})\b", inbox.json()["messages"][0]["body"])
    assert otp is not None, inbox.text
    made = http.post("/v1/identity/vids", json={**body, "otp": otp[1]}, headers=credentials.headers)
    assert made.json()["ret"] == "y", made.text
    return [made.json()["vid"]]


def _aua(http: requests.Session, credentials: Credentials, field: str) -> list[str]:
    """The world's AUA credential ``field``, so the XML routes get past 530/542 too."""
    me = http.get("/v1/partners/me", headers=credentials.headers)
    assert me.status_code == 200, me.text
    return [me.json()["aua"][field]]


def _seed_persona_keys(http: requests.Session, credentials: Credentials) -> list[str]:
    return ["asha", "kabir"]


# Path parameter name -> ids that exist in the operation's world (seeded before it is fuzzed).
SEEDERS: dict[str, Seeder] = {
    "delivery_id": _seed_delivery,
    "slug": _seed_problem_slugs,
    "txn_id": _seed_upi_transaction,
    "umn": _seed_mandates,
    "handle": _seed_consents,
    "session_id": _seed_fi_sessions,
    "code": _seed_auth_records,
    "vid": _seed_vids,
    "key": _seed_persona_keys,
    "ac": lambda http, credentials: _aua(http, credentials, "ac"),
    "asalk": lambda http, credentials: _aua(http, credentials, "asalk"),
    "refundable_payment": _seed_refundable_payment,  # no such path parameter: body-only id
}
