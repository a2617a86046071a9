"""The OpenAPI states the wire's syntactic rules, the server refuses exactly them, and a refusal
teaches (``sandbox.kit.wire``); a 405 lists every method of the path in ``Allow``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sandbox.kit import wire
from tests.support.aa import consent_detail, envelope
from tests.support.http import SignedUp

pytestmark = pytest.mark.anyio

MANDATE = {
    "payer": {"vpa": "asha@sandbox"},
    "payee": {"vpa": "meeras.kirana@sandbox"},
    "amountLimit": "500.00",
    "recurrence": "MONTHLY",
    "validUntil": "2035-12-31T23:59:59Z",
}


async def test_the_document_states_the_rules_of_amounts_vpas_times_and_cursors(
    client: httpx.AsyncClient,
) -> None:
    doc = (await client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    assert schemas["PayIn"]["properties"]["amount"]["pattern"] == wire.AMOUNT.pattern
    assert schemas["Payer"]["properties"]["vpa"]["pattern"] == wire.VPA.pattern
    valid_until = schemas["MandateIn"]["properties"]["validUntil"]
    assert (valid_until["format"], valid_until["pattern"]) == ("date-time", wire.RFC3339.pattern)
    txnid = schemas["ConsentsRequest"]["properties"]["txnid"]
    assert (txnid["format"], txnid["pattern"]) == ("uuid", wire.UUID.pattern)
    listing = doc["paths"]["/v1/upi/transactions"]["get"]["parameters"]
    cursor = next(p for p in listing if p["name"] == "cursor")
    assert re.search(cursor["schema"]["anyOf"][0]["pattern"], "1767225600000000." + "A" * 35)


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [("100.00", True), ("0.01", True), ("100", False), ("100.5", False), ("0.00", False)],
)
def test_the_amount_pattern_is_a_positive_amount_with_two_decimals(
    amount: str, accepted: bool
) -> None:
    assert wire.matches(wire.AMOUNT, amount) is accepted


async def test_a_pattern_failure_names_field_and_rule_and_teaches(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    body = {**MANDATE, "amountLimit": "500", "payer": {"vpa": "asha"}}
    response = await client.post("/v1/upi/mandates", json=body, headers=partner.headers)
    assert response.status_code == 422, response.text
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["body.amountLimit"]["rule"] == "decimal_amount"
    assert errors["body.amountLimit"]["message"] == wire.AMOUNT.says
    assert errors["body.amountLimit"]["constraint"]["pattern"] == wire.AMOUNT.pattern
    assert errors["body.payer.vpa"]["rule"] == "vpa_format"
    assert "asha@sandbox" in errors["body.payer.vpa"]["message"]


async def test_one_refusal_gets_its_rules_hint(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    body = {**MANDATE, "validUntil": "2035-02-30T00:00:00Z"}  # the pattern holds; no such day
    response = await client.post("/v1/upi/mandates", json=body, headers=partner.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("body.validUntil", "rfc3339")]
    assert "not a day of the calendar" in problem["errors"][0]["message"]
    assert problem["hint"] == wire.RFC3339.hint


async def test_a_cursor_the_api_did_not_make_is_refused_by_its_pattern(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await client.get(
        "/v1/upi/transactions", params={"cursor": "yesterday"}, headers=partner.headers
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "query.cursor"
    assert problem["errors"][0]["rule"] == "cursor"
    assert "nextCursor" in problem["hint"]


async def test_the_aa_api_teaches_a_uuid_txnid_in_the_specs_error_body(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    now = datetime.now(UTC)
    body: dict[str, Any] = envelope(now, ConsentDetail=consent_detail(now))
    body["txnid"] = "txn-1"
    response = await client.post("/aa/Consent", json=body, headers=partner.headers)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["errorCode"] == "InvalidRequest"
    assert answer["errorMsg"].startswith("txnid: " + wire.UUID.says)


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/partners/me", "GET, HEAD, PATCH"),
        ("/v1/partners/me/aa", "GET, HEAD, PUT"),
        ("/v1/upi/mandates", "GET, HEAD, POST"),
        ("/v1/upi/mandates/q8w2e4r6t8y0u1i3o5p7a9s2d4f6g8h0@sandbox/execute", "POST"),
    ],
)
async def test_options_answers_405_with_every_method_of_the_path(
    path: str, allow: str, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await client.options(path, headers=partner.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["type"] == "/problems/method-not-allowed"
