"""Schemathesis over the whole OpenAPI: no operation answers 5xx or breaks its declared responses.

Every operation of ``/openapi.json`` is fuzzed, so a route added later is covered without
touching this file. Each operation gets a world of its own (a fresh partner with a webhook URL
and the resources ``seeders.SEEDERS`` make), so what one operation does (rotate the key, reset,
clear the webhook URL) cannot starve another. The checks (``tests/harness/fuzz.py``): no server
error, status code, content type, body schema and headers all as declared. Inputs: the
documented examples, positive and negative cases, the seeded ids and edge values (NUL...) for
every path parameter. It fails on any finding, and on an operation that never answers 2xx (unless
``allowed.NO_SUCCESS_EXPECTED`` says why), since a run that only meets 401/404/422 proves little.

Nothing is excluded:

* ``POST /v1/partners/me/keys`` revokes the key the run sends; the run adopts the new key from
  each 201 (re-authenticates), so later cases still reach the handler.
* ``POST /v1/sandbox/reset`` rebuilds the world; with ``world_residents=5`` a call costs ~15 ms.
* ``POST /v1/partners`` signs up a new partner per case; the signup limiter is opened wide by
  ``make_settings``.

To give a new path parameter real ids (so its 2xx answers are checked, not only 404s), add a
seeder to ``seeders.SEEDERS``. What the run lets pass, each with why, is in ``allowed``
(operations that never succeed, business-rule rejections, known gaps). ``-s`` (or ``-rP``)
prints calls, time and statuses per operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.python import asgi

from sandbox.app import create_app
from tests.harness.fuzz import (
    AfterCall,
    AnyCase,
    Credentials,
    FuzzReport,
    fuzz_operation,
    operations,
)
from tests.schemathesis.allowed import NO_SUCCESS_EXPECTED, allowed_rejection, known_gap
from tests.schemathesis.seeders import SEEDERS
from tests.support.webhooks import UNREACHABLE_WEBHOOK

pytestmark = pytest.mark.slow

# Cases per operation and generation mode (positive, negative): a fixed budget shared by every
# operation, so the run stays near a minute on 2 cores as routes are added (50 at most, 10 at
# least). Deterministic: the same API always gets the same cases.
CASE_BUDGET = 2_000
MAX_EXAMPLES, MIN_EXAMPLES = 50, 10
ROTATES_KEY = "POST /v1/partners/me/keys"


# schemathesis' own expected statuses of negative_data_rejection (config/_checks.py)
_REFUSED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]


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
            allowed_rejection=allowed_rejection,
        )

    print(report.summary())  # shown with -s or -rP: calls, time and statuses per operation
    for result in report.results.values():
        gaps = [f for f in result.failures if known_gap(result.label, f)]
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
