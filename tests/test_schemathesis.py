"""Schemathesis over the whole OpenAPI: no operation answers 5xx or breaks its declared responses.

Every operation of ``/openapi.json`` is fuzzed, so a route added later is covered without
touching this file. Each operation gets a world of its own (a fresh partner with a webhook URL
and the resources ``SEEDERS`` make), so what one operation does (rotate the key, reset, clear
the webhook URL) cannot starve another. The checks (``tests/harness/fuzz.py``): no server error,
status code, content type, body schema and headers all as declared. Inputs: the documented
examples, positive and negative cases, the seeded ids and edge values (NUL...) for every path
parameter. It fails on any finding, and on an operation that never answers 2xx (unless
``NO_SUCCESS_EXPECTED`` says why), since a run that only meets 401/404/422 proves little.

Nothing is excluded:

* ``POST /v1/partners/me/keys`` revokes the key the run sends; the run adopts the new key from
  each 201 (re-authenticates), so later cases still reach the handler.
* ``POST /v1/sandbox/reset`` rebuilds the world; with ``world_residents=5`` a call costs ~15 ms.
* ``POST /v1/partners`` signs up a new partner per case; the signup limiter is opened wide by
  ``make_settings``.

To give a new path parameter real ids (so its 2xx answers are checked, not only 404s), add a
seeder to ``SEEDERS``. ``-s`` (or ``-rP``) prints calls, time and statuses per operation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from schemathesis.python import asgi

from consent.crypto import EphemeralKey
from payments.schemas.refund import EXAMPLE_ORIGINAL_TXN_ID
from sandbox.app import create_app
from sandbox.ops.problems import PROBLEM_TYPES
from tests.harness.fuzz import (
    AfterCall,
    AnyCase,
    Credentials,
    FuzzReport,
    fuzz_operation,
    operations,
)
from tests.harness.isolation import COLLECT, MANDATE, PAYMENT
from tests.support.aa import consent_detail, envelope
from tests.support.webhooks import UNREACHABLE_WEBHOOK

pytestmark = pytest.mark.slow

# Cases per operation and generation mode (positive, negative): a fixed budget shared by every
# operation, so the run stays near a minute on 2 cores as routes are added (50 at most, 10 at
# least). Deterministic: the same API always gets the same cases.
CASE_BUDGET = 2_000
MAX_EXAMPLES, MIN_EXAMPLES = 50, 10
ROTATES_KEY = "POST /v1/partners/me/keys"

# Operations that may legitimately never answer 2xx during a run, with the reason. Every other
# operation is reached at least once, which proves the run is authenticated and seeded.
NO_SUCCESS_EXPECTED: dict[str, str] = {
    "POST /v1/upi/mandates/{umn}/notify": "its body needs an amount in the currency's exact "
    "format and within the seeded mandate's limit, which random bodies do not hit; "
    "tests/payments/test_mandates.py checks its 201s",
    "POST /v1/upi/mandates/{umn}/execute": "its body must name a noticeId that /notify made for "
    "the same mandate 24 h of world time earlier, which no seeder can put in a generated body; "
    "tests/payments/test_mandates.py checks its 200s",
    "POST /v1/identity/offline-ekyc": "it needs the OTP just delivered to the resident's inbox "
    "for the same uid and txn, which no generated body carries; tests/identity/test_offline.py "
    "checks its 200s",
    "POST /v1/identity/offline-ekyc/verify": "it needs a zip the sandbox signed, encrypted "
    "under the share code sent beside it; tests/identity/test_offline.py checks its 200s",
    **{
        f"POST /aa{path}": "its body's timestamp must be within 15 minutes of the world's time "
        "and its txnid a UUID (and for handle/fetch: an id the AA made), which generated bodies "
        "do not hit; tests/consent/test_aa_api.py checks its 200s against the spec"
        for path in ("/Consent", "/Consent/handle", "/Consent/fetch", "/FI/request", "/FI/fetch")
    },
}


@dataclass(frozen=True)
class Rejection:
    """A refusal of a schema-valid request that is a business rule, not a gap in the schema:
    ``status`` and a regex the answer's body matches (its problem type, rule or message)."""

    status: int
    body: str
    reason: str


_AA_STALE = Rejection(
    400,
    r'"errorCode":"InvalidRequest".*timestamp: .* minutes (behind|ahead of) the world',
    "the timestamp must be within 15 minutes of the world's time, which moves",
)
# Schema-valid requests the server refuses for what only the world (or a rule across fields,
# which OpenAPI cannot state) decides. Everything else a positive case meets must be 2xx (or
# 401/403/404/409/429: schemathesis' own defaults for positive_data_acceptance).
_SAME_VPA = Rejection(
    422, r'"rule":"differs_from_payer"', "payer and payee must differ: a rule across two fields"
)
_NO_SUCH_VPA = Rejection(422, r'"rule":"(vpa_)?exists"', "the VPA must exist in the caller's world")
ALLOWED_REJECTIONS: dict[str, list[Rejection]] = {
    "POST /v1/upi/pay": [_SAME_VPA],
    "POST /v1/upi/collect": [_SAME_VPA],
    "POST /v1/upi/intents": [
        _NO_SUCH_VPA,
        Rejection(
            422,
            r'"rule":"(at_most_amount|verified_merchant|[a-z_]*limit[a-z_]*)"',
            "minAmount at most amount (across fields); the payee a verified merchant and "
            "the amount within the country's limits (the world's)",
        ),
    ],
    "POST /v1/upi/intents/parse": [
        Rejection(
            422,
            r"invalid-upi-link",
            "the link's parameters (NPCI linking spec 1.6: pa, "
            "am, sign...) are checked one by one, each failure naming its parameter",
        ),
    ],
    "POST /v1/upi/pin": [
        Rejection(
            422,
            r'"rule":"(one_of_old_pin_or_otp|required_to_set|required_to_change)"',
            "oldPin or otp, not both, and which one depends on whether the VPA has a PIN "
            "yet (the world's)",
        ),
    ],
    "POST /v1/upi/mandates": [
        _SAME_VPA,
        _NO_SUCH_VPA,
        Rejection(
            422,
            r'"rule":"(after[a-z_]*|[a-z_]*limit[a-z_]*)"',
            "validUntil after validFrom and the world's now; amountLimit within the "
            "country's per-transaction limit",
        ),
    ],
    "POST /v1/upi/mandates/{umn}/notify": [
        Rejection(
            422,
            r'"rule":"(within_amount_limit|after[a-z_]*|[a-z_]*notice[a-z_]*)"',
            "at most the mandate's amountLimit; executeAt at least 24 h of world time away",
        ),
    ],
    "POST /v1/upi/mandates/{umn}/execute": [
        Rejection(
            422,
            r'"rule":"[a-z_]*notice[a-z_]*"',
            "noticeId must name a notice /notify made for this mandate 24 h of world time earlier",
        ),
    ],
    "POST /v1/identity/ekyc": [
        Rejection(
            422,
            r'UKC:\\?" prefix and must then fit 50',
            "an unprefixed txn gets "
            '"UKC:" and must then fit 50 characters: a rule between txn and its prefix',
        ),
    ],
    "PUT /v1/partners/me/aa": [
        Rejection(
            422,
            r'"rule":"rsa_jwk"',
            "n and e must make an RSA public key of 2048 bits "
            "or more: key material, beyond a pattern",
        ),
    ],
    "POST /aa/Consent": [
        _AA_STALE,
        Rejection(400, r'"errorCode":"InvalidCustomerAddress"', "no such AA handle in the world"),
        Rejection(
            400,
            r'"errorCode":"InvalidConsentPurpose"',
            "purpose code unknown, or its "
            "fair-use rule across DataLife, Frequency and FIDataRange broken",
        ),
        Rejection(
            400,
            r'"errorCode":"InvalidRequest".*ConsentDetail\.',
            "rules across fields: "
            "expiry after start and after the world's time, DataLife and consentMode, "
            "at most 1 fetch per hour",
        ),
        Rejection(400, r'"errorCode":"InvalidConsentDetail"', "rules across fields"),
    ],
    "POST /aa/Consent/handle": [
        _AA_STALE,
        Rejection(400, r'"errorCode":"InvalidConsentHandle"', "no such handle in the world"),
    ],
    "POST /aa/Consent/fetch": [
        _AA_STALE,
        Rejection(400, r'"errorCode":"InvalidConsentId"', "no such consent id in the world"),
    ],
    "POST /aa/FI/request": [
        _AA_STALE,
        Rejection(400, r'"errorCode":"InvalidConsentId"', "no such consent id in the world"),
        Rejection(
            400,
            r'"errorCode":"(InvalidConsentDetail|InvalidDateRange|InvalidKey|InvalidConsentStatus|'
            r'InvalidConsentUse)"',
            "the consent's own signature, range, status and use, and key material (an X25519 "
            "point, its expiry by world time): beyond a pattern",
        ),
    ],
    "POST /aa/FI/fetch": [
        _AA_STALE,
        Rejection(400, r'"errorCode":"InvalidSessionId"', "no such session id in the world"),
    ],
    "GET /v1/sandbox/inbox": [
        Rejection(
            422,
            r'"rule":"exclusive"',
            "`to` and `persona` exclude each other: OpenAPI "
            "cannot state a rule across two query parameters",
        ),
    ],
    "POST /v1/identity/offline-ekyc": [
        Rejection(400, r"aadhaar-auth-refused", "needs the OTP the world just sent for this txn"),
    ],
    "POST /v1/identity/offline-ekyc/verify": [
        Rejection(
            422,
            r'"rule":"(offline-zip|opens)"',
            "the base64 must be a zip the sandbox made, opened by the share code sent beside it",
        ),
    ],
    "POST /v1/partners/me/certificates": [
        Rejection(
            422,
            r'"rule":"value_error".*(X\.509|RSA-2048)',
            "the PEM's DER must be an "
            "X.509 certificate (with an RSA-2048 key for encryption): ASN.1 is beyond "
            "a pattern",
        ),
    ],
}


# Failures the run still finds that are not business rules: gaps left open, each with why. A
# failure whose text matches one of its operation's regexes is reported (-s) but not fatal.
KNOWN_GAPS: dict[str, list[tuple[str, str]]] = {
    "POST /v1/partners": [
        (
            r"not a valid email address",
            "EmailStr refuses special-use domains (RFC 6761) that "
            "`format: email` admits; needs a pattern for the address",
        ),
    ],
    "GET /aa/Heartbeat": [
        (
            r"ST401|API accepts invalid authentication",
            "two alternative schemes (client_api_key "
            "or Bearer) while the harness always sends a valid Bearer: ignored_auth sees the "
            "Bearer win",
        ),
    ],
    "GET /v1/sandbox/inbox": [
        (
            r"violates `additionalProperties`",
            "unknown query parameters are ignored (FastAPI), "
            "and the harness re-adds the Authorization a negative case removed",
        ),
    ],
    "GET /v1/upi/mandates": [
        (
            r"violates `anyOf` at /properties/vpa",
            "a repeated query parameter (vpa=a&vpa=b): "
            "FastAPI takes the last one instead of refusing the array",
        ),
    ],
    "GET /v1/upi/transactions": [
        (r"violates `anyOf` at /properties/vpa", "a repeated query parameter: the last wins"),
    ],
    "GET /v1/identity/auth-records": [
        (
            r"parameter `(from|to)` in query",
            "from/to are pydantic datetimes, which also take "
            "epoch numbers; an Rfc3339 query type needs the handler's conversion changed",
        ),
    ],
}


def _known_gap(label: str, failure: str) -> bool:
    return any(re.search(pattern, failure) for pattern, _ in KNOWN_GAPS.get(label, []))


def _allowed_rejection(case: AnyCase, response: schemathesis.Response) -> bool:
    return any(
        response.status_code == r.status and re.search(r.body, response.text) is not None
        for r in ALLOWED_REJECTIONS.get(case.operation.label, [])
    )


# schemathesis' own expected statuses of negative_data_rejection (config/_checks.py)
_REFUSED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]

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


@dataclass(frozen=True)
class FuzzTarget:
    app: FastAPI
    schema: schemathesis.BaseSchema


@pytest.fixture
def target(make_settings: Any) -> Iterator[FuzzTarget]:
    app = create_app(make_settings())
    # Explicit: no schemathesis.toml is discovered. A 413 (a body over SANDBOX_MAX_BODY_BYTES,
    # documented on every operation with a body) is a refusal of negative data too.
    config = schemathesis.Config.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": [*_REFUSED, "413"]}}}
    )
    try:
        # Loading the schema starts the app's lifespan on schemathesis' event-loop thread, where
        # every case then runs; shutdown_lifespans() runs the app's shutdown (closes the database).
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
        yield FuzzTarget(app, schema)
    finally:
        asgi.shutdown_lifespans()


def _world(app: FastAPI) -> tuple[Credentials, dict[str, list[str]]]:
    """A fresh partner with a webhook URL and every seeded resource."""
    with asgi.get_client(cast("asgi.ASGIApp", app)) as http:
        signed = http.post(
            "/v1/partners",
            json={
                "name": "Team Fuzz",
                "contactEmail": "fuzz@example.com",
                "webhookUrl": UNREACHABLE_WEBHOOK,
            },
        )
        assert signed.status_code == 201, signed.text
        credentials = Credentials(signed.json()["apiKey"])
        values = {name: seed(http, credentials) for name, seed in SEEDERS.items()}
    return credentials, values


def _adopt_rotated_key(credentials: Credentials) -> AfterCall:
    def after_call(case: AnyCase, response: schemathesis.Response) -> None:
        if case.operation.label == ROTATES_KEY and response.status_code == 201:
            credentials.api_key = response.json()["apiKey"]

    return after_call


def test_every_operation_conforms_to_its_openapi(target: FuzzTarget) -> None:
    report = FuzzReport()
    found = operations(target.schema, report)
    per_mode = max(MIN_EXAMPLES, min(MAX_EXAMPLES, CASE_BUDGET // (2 * max(1, len(found)))))
    for operation in found:
        credentials, path_values = _world(target.app)
        report.results[operation.label] = fuzz_operation(
            operation,
            credentials=credentials,
            max_examples=per_mode,
            path_values=path_values,
            after_call=_adopt_rotated_key(credentials),
            allowed_rejection=_allowed_rejection,
        )

    print(report.summary())  # shown with -s or -rP: calls, time and statuses per operation
    for result in report.results.values():
        gaps = [f for f in result.failures if _known_gap(result.label, f)]
        result.failures = [f for f in result.failures if f not in gaps]
        for gap in gaps:
            print(f"known gap, {result.label}: {gap.splitlines()[0]}")
    problems = report.problems()
    assert not problems, "\n\n".join(problems) + "\n\n" + report.summary()
    never_succeeded = [
        label
        for label, result in report.results.items()
        if not result.succeeded and label not in NO_SUCCESS_EXPECTED
    ]
    assert not never_succeeded, (
        f"never answered 2xx: {never_succeeded}. Seed real ids for its path parameters in "
        f"SEEDERS, or say in NO_SUCCESS_EXPECTED why it cannot succeed.\n{report.summary()}"
    )
    assert ROTATES_KEY in report.results, "the key rotation route moved: update ROTATES_KEY"
