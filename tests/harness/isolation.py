"""The tenant-isolation table: one ``IsolationCase`` per kind of partner-owned resource.

Each case makes a resource as its owner (partner A) and lists every request another partner (B)
could aim at it. ``tests/test_isolation.py`` runs each case:

1. ``create(client, owner)`` makes the resource as A and returns its id;
2. A reads it (``read``, a GET) as a snapshot, which must answer 200;
3. B sends every ``Attempt`` (``{id}`` in its path, and in its JSON body for ids named there):
   each must answer 404 problem+json with the same ``type`` as for a made-up id of the same
   shape, and without A's partner id in it: 404, never 403, so ids do not leak;
4. A reads it again: unchanged (``volatile`` fields aside);
5. A sends every ``Attempt`` itself: each must answer ``owner_status`` (default: any 2xx), which
   proves the path template is right and B's 404 came from isolation, not from a typo.

A later issue that adds a resource adds one entry to ``CASES`` (with an ``Attempt`` for every
operation on ``/v1/.../{id}`` paths of that resource); the meta-test in ``tests/test_isolation.py``
fails until every parameterised operation of the OpenAPI is attempted by some case.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from consent.crypto import EphemeralKey
from tests.support import clock
from tests.support.aa import consent_detail, envelope, post
from tests.support.http import SignedUp
from tests.support.identity import easy, generate_vid, pid_ts
from tests.support.webhooks import listen

_PARAM = re.compile(r"\{[^}]*\}")

Create = Callable[[httpx.AsyncClient, SignedUp], Awaitable[str]]


@dataclass(frozen=True)
class Attempt:
    """One request aimed at the resource: ``path`` has ``{id}`` where the resource id goes."""

    method: str
    path: str
    json: dict[str, Any] | None = None
    owner_status: int | None = None  # what the owner gets for the same request; None: any 2xx

    def url(self, resource_id: str) -> str:
        return self.path.replace("{id}", resource_id)

    def body(self, resource_id: str) -> Any:
        """``json`` with ``"{id}"`` in its strings replaced: ids named in a body are attempted
        too (e.g. a refund naming another partner's payment)."""
        return _substitute(self.json, resource_id)

    @property
    def operation(self) -> tuple[str, str]:
        """``(METHOD, path with every parameter as {})``, comparable to OpenAPI paths."""
        return self.method.upper(), template_key(self.path)


@dataclass(frozen=True)
class IsolationCase:
    name: str
    create: Create
    read: str  # GET path template (with {id}) the owner reads the resource at
    attempts: tuple[Attempt, ...]
    volatile: frozenset[str] = field(default_factory=frozenset)  # top-level fields that may drift


def _substitute(value: Any, resource_id: str) -> Any:
    if isinstance(value, str):
        return value.replace("{id}", resource_id)
    if isinstance(value, dict):
        return {k: _substitute(v, resource_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, resource_id) for v in value]
    return value


def unknown_like(resource_id: str) -> str:
    """An id of the same shape (length, prefix, character classes) that names nothing."""
    head, tail = resource_id[:-6], resource_id[-6:]

    def other(c: str) -> str:
        if c.isdigit():
            return "1" if c == "0" else "0"
        if c.isupper():
            return "R" if c == "Q" else "Q"
        if c.islower():
            return "r" if c == "q" else "q"
        return c

    return head + "".join(other(c) for c in tail)


def template_key(path: str) -> str:
    """``/a/{delivery_id}/b`` and ``/a/{id}/b`` both become ``/a/{}/b``."""
    return _PARAM.sub("{}", path)


def covered_operations(cases: list[IsolationCase]) -> set[tuple[str, str]]:
    return {attempt.operation for case in cases for attempt in case.attempts}


# -- resources -----------------------------------------------------------------------------------


async def create_delivery(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """A webhook delivery of ``owner``: a webhook URL, then a test event, then its delivery id."""
    await listen(client, owner)
    sent = await client.post("/v1/sandbox/webhooks/test", headers=owner.headers)
    assert sent.status_code == 202, sent.text
    event_id = sent.json()["eventId"]
    listed = await client.get("/v1/sandbox/webhooks/deliveries", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    ids = [d["id"] for d in listed.json()["deliveries"] if d["eventId"] == event_id]
    assert len(ids) == 1, listed.text
    return str(ids[0])


async def _made(
    client: httpx.AsyncClient,
    owner: SignedUp,
    path: str,
    body: dict[str, Any],
    status: int,
) -> dict[str, Any]:
    """POST ``body`` to ``path`` as ``owner``, expect ``status``; the answer's body."""
    made = await client.post(path, json=body, headers=owner.headers)
    assert made.status_code == status, made.text
    answer: dict[str, Any] = made.json()
    return answer


# The documented example: two personas every world has, and Asha's documented PIN.
PAYMENT: dict[str, Any] = {
    "payer": {"vpa": "asha@sandbox", "pin": "1234"},
    "payee": {"vpa": "ravi@sandbox"},
    "amount": "100.00",
    "note": "isolation",
}


async def create_upi_transaction(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """A UPI payment between two personas of ``owner``'s world; returns its txnId."""
    return str((await _made(client, owner, "/v1/upi/pay", PAYMENT, 200))["txnId"])


# The documented example: Asha's AutoPay mandate to the kirana merchant.
MANDATE: dict[str, Any] = {
    "payer": {"vpa": "asha@sandbox"},
    "payee": {"vpa": "meeras.kirana@sandbox"},
    "amountLimit": "500.00",
    "recurrence": "MONTHLY",
    "validUntil": "2035-12-31T23:59:59Z",
    "purpose": "isolation",
}


async def create_mandate(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """A PENDING_APPROVAL AutoPay mandate in ``owner``'s world; returns its UMN."""
    return str((await _made(client, owner, "/v1/upi/mandates", MANDATE, 201))["umn"])


# The documented example: the kirana merchant asks Asha for money (no PIN from the payee).
COLLECT: dict[str, Any] = {
    "payee": {"vpa": "meeras.kirana@sandbox"},
    "payer": {"vpa": "asha@sandbox"},
    "amount": "100.00",
    "note": "isolation",
}


async def create_collect(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """A PENDING collect request in ``owner``'s world; returns its txnId."""
    made = await _made(client, owner, "/v1/upi/collect", COLLECT, 200)
    assert made["status"] == "PENDING", made
    return str(made["txnId"])


async def create_auth_record(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """An authentication of Asha in ``owner``'s world (the easy path); returns its code."""
    ts = await pid_ts(client, owner)
    body = easy({"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}, pi="y")
    answer = await _made(client, owner, "/v1/identity/auth", body, 200)
    assert answer["ret"] == "y", answer
    return str(answer["code"])


async def create_vid(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """Asha's VID in ``owner``'s world (after an OTP read from her inbox); returns it."""
    made = await generate_vid(client, owner, txn="isolation-vid")
    assert made["ret"] == "y", made
    return str(made["vid"])


async def create_consent(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """A consent requested for Asha through POST /aa/Consent; returns its ConsentHandle."""
    now = await clock.now(client, owner)
    body = envelope(now, ConsentDetail=consent_detail(now))
    answer = await post(client, owner, "/Consent", body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["ConsentHandle"])


async def create_fi_session(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """An FI session of Asha's approved consent (POST /aa/FI/request); returns its sessionId."""
    handle = await create_consent(client, owner)
    approved = await client.post(f"/v1/sandbox/aa/consents/{handle}/approve", headers=owner.headers)
    assert approved.status_code == 200, approved.text
    consent_id = approved.json()["consentId"]
    now = await clock.now(client, owner)
    fetched = await post(client, owner, "/Consent/fetch", envelope(now, consentId=consent_id))
    _header, payload, signature = fetched.json()["signedConsent"].split(".")
    detail = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body = envelope(
        now,
        FIDataRange=detail["FIDataRange"],
        Consent={"id": consent_id, "digitalSignature": signature},
        KeyMaterial=EphemeralKey.generate(int(now.timestamp() * 1_000_000)).key_material(),
    )
    answer = await post(client, owner, "/FI/request", body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["sessionId"])


CASES: list[IsolationCase] = [
    IsolationCase(
        name="webhook delivery",
        create=create_delivery,
        read="/v1/sandbox/webhooks/deliveries/{id}",
        attempts=(
            Attempt("GET", "/v1/sandbox/webhooks/deliveries/{id}"),
            Attempt("POST", "/v1/sandbox/webhooks/deliveries/{id}/replay"),
        ),
    ),
    IsolationCase(
        name="UPI transaction",
        create=create_upi_transaction,
        read="/v1/upi/transactions/{id}",
        attempts=(
            Attempt("GET", "/v1/upi/transactions/{id}"),
            Attempt("POST", "/v1/upi/refunds", json={"originalTxnId": "{id}", "amount": "10.00"}),
        ),
    ),
    IsolationCase(  # the owner approves (200), then its decline finds it SUCCESS (409)
        name="UPI collect request",
        create=create_collect,
        read="/v1/upi/transactions/{id}",
        attempts=(
            Attempt("POST", "/v1/upi/collect/{id}/approve", json={"pin": "1234"}),
            Attempt("POST", "/v1/upi/collect/{id}/decline", owner_status=409),
        ),
    ),
    IsolationCase(  # the owner's attempts run in this order: approve, pause, resume, notify...
        name="UPI AutoPay mandate",
        create=create_mandate,
        read="/v1/upi/mandates/{id}",
        attempts=(
            Attempt("GET", "/v1/upi/mandates/{id}"),
            Attempt("POST", "/v1/upi/mandates/{id}/approve", json={"pin": "1234"}),
            Attempt("POST", "/v1/upi/mandates/{id}/pause"),
            Attempt("POST", "/v1/upi/mandates/{id}/resume"),
            Attempt("POST", "/v1/upi/mandates/{id}/notify", json={"amount": "100.00"}),
            Attempt(  # an unknown notice: 422 for the owner, 404 (no such mandate) for others
                "POST",
                "/v1/upi/mandates/{id}/execute",
                json={"noticeId": "pdn_unknown"},
                owner_status=422,
            ),
            Attempt("POST", "/v1/upi/mandates/{id}/decline", owner_status=409),  # ACTIVE now
            Attempt("POST", "/v1/upi/mandates/{id}/revoke"),
        ),
    ),
    IsolationCase(
        name="identity auth record",
        create=create_auth_record,
        read="/v1/identity/auth-records/{id}",
        attempts=(Attempt("GET", "/v1/identity/auth-records/{id}"),),
    ),
    IsolationCase(  # the owner's revoke answers 200 ret n (403: the OTP went into the VID)
        name="identity VID",
        create=create_vid,
        read="/v1/identity/vids/{id}",
        attempts=(
            Attempt("GET", "/v1/identity/vids/{id}"),
            Attempt(
                "POST", "/v1/identity/vids/{id}/revoke", json={"txn": "isolation", "otp": "123456"}
            ),
        ),
    ),
    IsolationCase(  # the owner's attempts run in order: approve, pause, resume, revoke, reject
        name="AA consent",
        create=create_consent,
        read="/v1/consents/{id}",
        attempts=(
            Attempt("GET", "/v1/consents/{id}"),
            Attempt("GET", "/v1/consents/{id}/log"),
            Attempt("POST", "/v1/sandbox/aa/consents/{id}/approve"),
            Attempt("POST", "/v1/sandbox/aa/consents/{id}/pause"),
            Attempt("POST", "/v1/sandbox/aa/consents/{id}/resume"),
            Attempt("POST", "/v1/sandbox/aa/consents/{id}/revoke"),
            Attempt("POST", "/v1/sandbox/aa/consents/{id}/reject", owner_status=409),
        ),
    ),
    IsolationCase(  # the owner's data read delivers the accounts: the session COMPLETED
        name="AA FI session",
        create=create_fi_session,
        read="/v1/fi/sessions/{id}",
        attempts=(
            Attempt("GET", "/v1/fi/sessions/{id}"),
            Attempt("GET", "/v1/fi/sessions/{id}/data"),
        ),
    ),
]
