"""Signed UPI intents: links that break a rule (422 naming the parameter and the rule, the
schema's refusals, another currency) and builds that cannot be signed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.http import SignedUp, sign_up
from tests.support.intents import build, intent, parse, parsed

pytestmark = pytest.mark.anyio


# -- links that break a rule -----------------------------------------------------------------

BASE = "upi://pay?pa=meeras.kirana@sandbox&pn=Meera%20Iyer"
# Refused by the schema (the pattern ``^upi://pay\?`` the OpenAPI states): a generic
# invalid-request problem naming the same field, rule "scheme" and its hint.
SCHEME = [
    ("https://pay?pa=a@sandbox&pn=A", "body.link", "scheme"),
    ("upi://mandate?pa=a@sandbox&pn=A", "body.link", "scheme"),
    ("upi://pay", "body.link", "scheme"),
]
INVALID = [
    ("upi://pay?pn=Meera", "body.link.pa", "required"),
    ("upi://pay?pa=meeras.kirana@sandbox", "body.link.pn", "required"),
    ("upi://pay?pa=not-a-vpa&pn=A", "body.link.pa", "vpa_format"),
    (BASE + "&am=100.001", "body.link.am", "decimal_places"),
    (BASE + "&am=1e3", "body.link.am", "decimal_amount"),
    (BASE + "&am=-5.00", "body.link.am", "decimal_amount"),
    (BASE + "&am=0.00", "body.link.am", "positive"),
    (BASE + "&am=10.00&mam=20.00", "body.link.mam", "at_most_am"),
    (BASE + "&am=10.00&cu=USD", "body.link.cu", "world_currency"),
    (BASE + "&tn=" + "x" * 51, "body.link.tn", "max_length"),
    (BASE + "&tr=ORDER%201", "body.link.tr", "ref_format"),
    (BASE + "&tid=SHORT", "body.link.tid", "txn_id_format"),
    (BASE + "&mc=54", "body.link.mc", "mcc_format"),
    (BASE + "&url=ftp://example.com/x", "body.link.url", "http_url"),
    (BASE + "&mode=5", "body.link.mode", "two_digits"),
    (BASE + "&purpose=abc", "body.link.purpose", "two_digits"),
    (BASE + "&orgid=12", "body.link.orgid", "six_digits"),
    (BASE + "&mid=a-b", "body.link.mid", "alphanumeric"),
    (BASE + "&am=1.00&am=2.00", "body.link.am", "not_repeated"),
    (BASE + "&sign=not*base64", "body.link.sign", "base64"),
    (BASE + "&sign=", "body.link.sign", "base64"),
    ("upi://pay?pa=meeras.kirana@sandbox&pn=%E0%A4", "body.link.pn", "percent_encoding"),
    ("upi://pay?pa=meeras.kirana@sandbox&pn=100%", "body.link.pn", "percent_encoding"),
    ("upi://pay?pa=meeras.kirana@sandbox&pn=%00", "body.link.pn", "percent_encoding"),
    ("upi://pay?pa=meeras.kirana@sandbox&pn", "body.link", "name_value_pairs"),
    (BASE + "#top", "body.link", "no_fragment"),
]


@pytest.mark.parametrize(
    ("link", "field", "rule"), INVALID, ids=[f"{f}-{r}" for _, f, r in INVALID]
)
async def test_an_invalid_link_is_422_naming_the_parameter_and_rule(
    link: str, field: str, rule: str, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await parse(client, partner, link)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/problems/invalid-upi-link"
    assert problem["errors"] == [
        {"field": field, "rule": rule, "message": problem["errors"][0]["message"]}
    ]
    assert problem["detail"].startswith(field)
    assert problem["hint"]
    assert problem["responseCode"] == "U05"


@pytest.mark.parametrize(("link", "field", "rule"), SCHEME)
async def test_a_link_of_another_scheme_is_refused_by_the_schema(
    link: str, field: str, rule: str, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await parse(client, partner, link)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/invalid-request"
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)]
    assert problem["errors"][0]["message"] == "must start with upi://pay?"
    assert "POST /v1/upi/intents" in problem["hint"]


async def test_a_plus_decoded_as_a_space_in_sign_is_explained(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await parse(client, partner, BASE + "&sign=MEQC IA==")
    assert response.status_code == 422
    assert "decoded as a space" in response.json()["hint"]


async def test_a_link_from_a_world_with_another_currency_is_refused(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    trinidad = await sign_up(client, name="Team TT", contactEmail="tt@example.com", country="TT")
    built = await intent(client, trinidad, amount="40.00")
    assert built["params"]["cu"] == "TTD"
    assert (await parsed(client, trinidad, built["link"]))["signatureValid"] is True
    response = await parse(client, partner, built["link"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.link.cu"
    assert "INR" in response.json()["detail"]


# -- building refuses what cannot be signed --------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"payee": {"vpa": "ravi@sandbox"}}, "body.payee.vpa", "verified_merchant"),
        ({"payee": {"vpa": "nobody@sandbox"}}, "body.payee.vpa", "exists"),
        ({"payee": {"vpa": "not a vpa"}}, "body.payee.vpa", "vpa_format"),
        ({"amount": "10.00", "minAmount": "20.00"}, "body.minAmount", "at_most_amount"),
        ({"amount": "10.001"}, "body.amount", "decimal_amount"),
        ({"minAmount": "0.00"}, "body.minAmount", "decimal_amount"),  # the schema: positive
    ],
)
async def test_building_refuses_with_a_named_field(
    fields: dict[str, Any], field: str, rule: str, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    status, problem = await build(client, partner, **fields)
    assert status == 422, problem
    assert (problem["errors"][0]["field"], problem["errors"][0]["rule"]) == (field, rule)
    assert problem["hint"]


async def test_building_refuses_unknown_fields_and_bad_modes(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    for extra in ({"mode": "04"}, {"purpose": "1"}, {"url": "ftp://x"}, {"tn": "x"}):
        status, problem = await build(client, partner, **extra)
        assert status == 422, (extra, problem)
