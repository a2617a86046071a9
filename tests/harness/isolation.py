"""The tenant-isolation table: one ``IsolationCase`` per kind of partner-owned resource.

Each case makes a resource as its owner (partner A) and lists every request another partner (B)
could aim at it. ``tests/test_isolation.py`` runs each case:

1. ``create(client, owner)`` makes the resource as A and returns its id;
2. A reads it (``read``, a GET) as a snapshot, which must answer 200;
3. B sends every ``Attempt``: each must answer 404 problem+json, exactly like a made-up id would
   (same ``type``), without A's partner id in the body: 404, never 403, so ids do not leak;
4. A reads it again: unchanged (``volatile`` fields aside);
5. A sends every ``Attempt`` itself: each must answer ``owner_status`` (default: any 2xx), which
   proves the path template is right and B's 404 came from isolation, not from a typo.

A later issue that adds a resource adds one entry to ``CASES`` (with an ``Attempt`` for every
operation on ``/v1/.../{id}`` paths of that resource); the meta-test in ``tests/test_isolation.py``
fails until every parameterised operation of the OpenAPI is attempted by some case.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import SignedUp

UNREACHABLE_WEBHOOK = "http://127.0.0.1:9/"  # discard port; dispatching is off in tests anyway
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


def template_key(path: str) -> str:
    """``/a/{delivery_id}/b`` and ``/a/{id}/b`` both become ``/a/{}/b``."""
    return _PARAM.sub("{}", path)


def covered_operations(cases: list[IsolationCase]) -> set[tuple[str, str]]:
    return {attempt.operation for case in cases for attempt in case.attempts}


# -- resources -----------------------------------------------------------------------------------


async def create_delivery(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """A webhook delivery of ``owner``: a webhook URL, then a test event, then its delivery id."""
    patched = await client.patch(
        "/v1/partners/me", json={"webhookUrl": UNREACHABLE_WEBHOOK}, headers=owner.headers
    )
    assert patched.status_code == 200, patched.text
    sent = await client.post("/v1/sandbox/webhooks/test", headers=owner.headers)
    assert sent.status_code == 202, sent.text
    event_id = sent.json()["eventId"]
    listed = await client.get("/v1/sandbox/webhooks/deliveries", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    ids = [d["id"] for d in listed.json()["deliveries"] if d["eventId"] == event_id]
    assert len(ids) == 1, listed.text
    return str(ids[0])


PAYMENT = {  # the documented example: two personas every world has, and Asha's documented PIN
    "payer": {"vpa": "asha@sandbox", "pin": "1234"},
    "payee": {"vpa": "ravi@sandbox"},
    "amount": "100.00",
    "note": "isolation",
}


async def create_upi_transaction(client: httpx.AsyncClient, owner: SignedUp) -> str:
    """A UPI payment between two personas of ``owner``'s world; returns its txnId."""
    paid = await client.post("/v1/upi/pay", json=PAYMENT, headers=owner.headers)
    assert paid.status_code == 200, paid.text
    return str(paid.json()["txnId"])


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
        attempts=(Attempt("GET", "/v1/upi/transactions/{id}"),),
    ),
]
