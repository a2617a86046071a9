"""Schemathesis over the whole OpenAPI: no operation answers 5xx or breaks its declared responses.

Every operation of ``/openapi.json`` is fuzzed, so a route added later is covered without
touching this file. Each operation gets a world of its own (a fresh partner, with a webhook URL
and one delivery), so what one operation does (rotate the key, reset, clear the webhook URL)
cannot starve another. The checks (``tests/harness/fuzz.py``): no server error, status code,
content type, body schema and headers all as declared.

Nothing is excluded:

* ``POST /v1/partners/me/keys`` revokes the key the run sends; the run adopts the new key from
  each 201 (re-authenticates), so later cases still reach the handler.
* ``POST /v1/sandbox/reset`` rebuilds the world; with ``world_residents=5`` a call costs ~15 ms.
* ``POST /v1/partners`` signs up a new partner per case; the signup limiter is opened wide by
  ``make_settings``.

To give a new path parameter real ids (so its 2xx answers are checked, not only 404s), add a
seeder to ``SEEDERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from schemathesis.python import asgi

from sandbox.app import create_app
from sandbox.ops.api import PROBLEM_TYPES
from tests.harness.fuzz import (
    AfterCall,
    AnyCase,
    Credentials,
    FuzzReport,
    fuzz_operation,
    operations,
)
from tests.harness.isolation import PAYMENT

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 30  # per operation and generation mode (positive, negative)
ROTATES_KEY = "POST /v1/partners/me/keys"
UNREACHABLE_WEBHOOK = "http://127.0.0.1:9/"  # discard port; dispatching is off in tests anyway

# Operations that may legitimately never answer 2xx during a run, with the reason. Empty today:
# every operation is reached at least once, which proves the run is authenticated and seeded.
NO_SUCCESS_EXPECTED: dict[str, str] = {}

Seeder = Callable[[requests.Session, Credentials], list[str]]


def _seed_delivery(http: requests.Session, credentials: Credentials) -> list[str]:
    sent = http.post("/v1/sandbox/webhooks/test", headers=credentials.headers)
    assert sent.status_code == 202, sent.text
    listed = http.get("/v1/sandbox/webhooks/deliveries", headers=credentials.headers)
    return [d["id"] for d in listed.json()["deliveries"]]


def _seed_problem_slugs(http: requests.Session, credentials: Credentials) -> list[str]:
    return sorted(PROBLEM_TYPES)[:3]


def _seed_upi_transaction(http: requests.Session, credentials: Credentials) -> list[str]:
    paid = http.post("/v1/upi/pay", json=PAYMENT, headers=credentials.headers)
    assert paid.status_code == 200, paid.text
    return [paid.json()["txnId"]]


# Path parameter name -> ids that exist in the operation's world (seeded before it is fuzzed).
SEEDERS: dict[str, Seeder] = {
    "delivery_id": _seed_delivery,
    "slug": _seed_problem_slugs,
    "txn_id": _seed_upi_transaction,
}


@dataclass(frozen=True)
class FuzzTarget:
    app: FastAPI
    schema: schemathesis.BaseSchema


@pytest.fixture
def target(make_settings: Any) -> Iterator[FuzzTarget]:
    app = create_app(make_settings())
    config = schemathesis.Config()  # explicit: no schemathesis.toml is discovered
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
    for operation in operations(target.schema, report):
        credentials, path_values = _world(target.app)
        report.results[operation.label] = fuzz_operation(
            operation,
            credentials=credentials,
            max_examples=MAX_EXAMPLES,
            path_values=path_values,
            after_call=_adopt_rotated_key(credentials),
        )

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
