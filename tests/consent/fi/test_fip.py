"""The world's FIPs (``consent/fip``): accounts, FI documents that validate against ReBIT's
deposit.xsd, their JSON rendition, consentTypes, DataFilter and range, seeded history that
chains into the ledger, and a UPI payment made through the API appearing in the statement.
Runs on both engines (``--engine``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
import xmlschema
from fastapi import FastAPI
from lxml import etree

from consent.fip import (
    InvalidDataFilter,
    UnknownAccount,
    fi_payload,
    fip_accounts,
    parse_data_filters,
)
from consent.fip.history import DAY_US
from sandbox.world.context import WorldContext
from tests.support.aa import world_of
from tests.support.http import SignedUp
from tests.support.upi import pay

pytestmark = pytest.mark.anyio

ASHA = "999999990019"
RAVI = "999999990026"
NS = {"d": "http://api.rebit.org.in/FISchema/deposit"}
ALL = ("PROFILE", "SUMMARY", "TRANSACTIONS")
YEAR_US = 365 * DAY_US


def _schema_path() -> Path:
    """ReBIT's deposit.xsd as published, copied verbatim into ``specs/fi-schemas``."""
    return Path(__file__).resolve().parents[3] / "specs" / "fi-schemas" / "deposit.xsd"


@pytest.fixture(scope="module")
def deposit_xsd() -> xmlschema.XMLSchema11:
    return xmlschema.XMLSchema11(str(_schema_path()))  # vc:minVersion="1.1"


async def documents(
    app: FastAPI,
    world: WorldContext,
    uid: str,
    *,
    fi_types: Sequence[str] = ("DEPOSIT",),
    consent_types: Sequence[str] = ALL,
    from_us: int | None = None,
    to_us: int | None = None,
    filters: Any = (),
    fmt: str = "xml",
    refs: Sequence[str] | None = None,
) -> list[Any]:
    def unit(conn: Any) -> list[Any]:
        held = [a.link_ref for a in fip_accounts(conn, world, uid)]
        return fi_payload(
            conn,
            world,
            resident_uid=uid,
            link_refs=held if refs is None else refs,
            fi_types=fi_types,
            consent_types=consent_types,
            from_us=world.now_us - YEAR_US if from_us is None else from_us,
            to_us=world.now_us + 60_000_000 if to_us is None else to_us,
            filters=parse_data_filters(filters, world.country.minor_units),
            fmt=fmt,
        )

    result: list[Any] = await app.state.sandbox.db.read(unit)
    return result


def transactions(doc: bytes) -> list[dict[str, str]]:
    root = etree.fromstring(doc)
    return [dict(t.attrib) for t in root.iterfind("d:Transactions/d:Transaction", NS)]


async def test_a_resident_holds_deposit_term_and_recurring_accounts(
    app: FastAPI, partner: SignedUp
) -> None:
    world = await world_of(app, partner)
    held = await app.state.sandbox.db.read(lambda conn: fip_accounts(conn, world, ASHA))
    assert [a.fi_type for a in held] == ["DEPOSIT", "TERM_DEPOSIT", "RECURRING_DEPOSIT"]
    deposit = held[0]
    assert deposit.link_ref.startswith("DEP-")
    assert deposit.number not in deposit.link_ref  # opaque: a keyed hash
    assert len({a.link_ref for a in held}) == 3
    assert deposit.masked == "X" * 10 + deposit.number[-4:]
    assert deposit.acc_type == "SAVINGS"
    assert deposit.fip_id.endswith("-FIP")
    unknown = await app.state.sandbox.db.read(lambda conn: fip_accounts(conn, world, "1" * 12))
    assert unknown == []


async def test_a_year_of_statement_validates_against_deposit_xsd_and_chains(
    app: FastAPI, partner: SignedUp, deposit_xsd: xmlschema.XMLSchema11
) -> None:
    world = await world_of(app, partner)
    (doc,) = await documents(app, world, ASHA)
    deposit_xsd.validate(doc.payload)  # raises on any violation
    lines = transactions(doc.payload)
    assert len(lines) > 300  # a busy year of seeded history: salary, rent, bills, UPI spends
    assert {"UPI", "FT", "ATM", "CARD"} <= {t["mode"] for t in lines}
    assert any("SALARY" in t["narration"] for t in lines)
    # balances chain: each line's balance is the previous one plus or minus its amount
    for before, line in pairwise(lines):
        sign = 1 if line["type"] == "CREDIT" else -1
        expected = Decimal(before["currentBalance"]) + sign * Decimal(line["amount"])
        assert Decimal(line["currentBalance"]) == expected, line
    # ... into the ledger's opening balance (no payment made yet): 1,000,000.00
    assert lines[-1]["currentBalance"] == "1000000.00"
    root = etree.fromstring(doc.payload)
    summary = root.find("d:Summary", NS)
    assert summary is not None
    assert summary.get("currentBalance") == "1000000.00"
    assert summary.get("type") == "SAVINGS"
    holder = root.find("d:Profile/d:Holders/d:Holder", NS)
    assert holder is not None
    assert holder.get("name") == "Asha Verma"
    assert holder.get("dob") == "1990-04-12"


async def test_seeded_history_is_deterministic(app: FastAPI, partner: SignedUp) -> None:
    world = await world_of(app, partner)
    first = await documents(app, world, RAVI)
    second = await documents(app, world, RAVI)
    assert transactions(first[0].payload) == transactions(second[0].payload)


async def test_a_upi_payment_appears_in_both_statements_with_mode_upi_and_its_rrn(
    app: FastAPI,
    client: httpx.AsyncClient,
    partner: SignedUp,
    deposit_xsd: xmlschema.XMLSchema11,
) -> None:
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "150.25", note="chai")
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert body["status"] == "SUCCESS"
    world = await world_of(app, partner)

    (asha,) = await documents(app, world, ASHA)
    deposit_xsd.validate(asha.payload)
    line = next(t for t in transactions(asha.payload) if t["txnId"] == body["txnId"])
    assert line["mode"] == "UPI"
    assert line["type"] == "DEBIT"
    assert line["amount"] == "150.25"
    assert line["reference"] == body["rrn"]
    assert line["currentBalance"] == "999849.75"
    assert "ravi@sandbox" in line["narration"]
    assert "chai" in line["narration"]
    summary = etree.fromstring(asha.payload).find("d:Summary", NS)
    assert summary is not None
    assert summary.get("currentBalance") == "999849.75"

    (ravi,) = await documents(app, world, RAVI)
    credit = next(t for t in transactions(ravi.payload) if t["txnId"] == body["txnId"])
    assert credit["type"] == "CREDIT"
    assert credit["reference"] == body["rrn"]
    assert credit["currentBalance"] == "25150.25"


async def test_the_json_rendition_has_the_xsd_names_and_the_same_lines(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "10.00")
    assert paid.status_code == 200, paid.text
    world = await world_of(app, partner)
    (xml_doc,) = await documents(app, world, ASHA)
    (json_doc,) = await documents(app, world, ASHA, fmt="json")
    assert json_doc.format == "json"
    account = json.loads(json_doc.payload)["Account"]
    assert account["type"] == "deposit"
    assert account["linkedAccRef"] == json_doc.link_ref
    assert account["maskedAccNumber"] == json_doc.masked
    holders = account["Profile"]["Holders"]
    assert holders["type"] == "SINGLE"
    assert holders["Holder"][0]["name"] == "Asha Verma"
    assert set(account["Summary"]) >= {
        "currentBalance",
        "currency",
        "balanceDateTime",
        "type",
        "branch",
        "ifscCode",
        "micrCode",
        "openingDate",
        "status",
    }
    assert set(account["Transactions"]) == {"startDate", "endDate", "Transaction"}
    assert account["Transactions"]["Transaction"] == transactions(xml_doc.payload)
    assert all(
        isinstance(v, str) for t in account["Transactions"]["Transaction"] for v in t.values()
    )


async def test_consent_types_choose_the_sections(
    app: FastAPI, partner: SignedUp, deposit_xsd: xmlschema.XMLSchema11
) -> None:
    world = await world_of(app, partner)
    for types in (("PROFILE",), ("SUMMARY",), ("TRANSACTIONS",), ("PROFILE", "SUMMARY")):
        (doc,) = await documents(app, world, ASHA, consent_types=types)
        root = etree.fromstring(doc.payload)
        deposit_xsd.validate(doc.payload)
        present = {etree.QName(child).localname for child in root}
        assert present == {
            {"PROFILE": "Profile", "SUMMARY": "Summary", "TRANSACTIONS": "Transactions"}[t]
            for t in types
        }


async def test_the_range_bounds_the_transactions(app: FastAPI, partner: SignedUp) -> None:
    world = await world_of(app, partner)
    anchor = world.partner.created_us
    start, end = anchor - 60 * DAY_US, anchor - 30 * DAY_US
    (doc,) = await documents(app, world, ASHA, from_us=start, to_us=end)
    lines = transactions(doc.payload)
    assert lines
    root = etree.fromstring(doc.payload)
    txns = root.find("d:Transactions", NS)
    assert txns is not None
    assert (txns.get("startDate"), txns.get("endDate")) == (
        _day(start),
        _day(end),
    )
    assert all(_day(start) <= t["valueDate"] <= _day(end) for t in lines)
    (whole,) = await documents(app, world, ASHA)
    assert len(transactions(whole.payload)) > len(lines)


def _day(at_us: int) -> str:
    from consent.fip.render import day

    return day(at_us)


async def test_data_filters_keep_only_matching_transactions(
    app: FastAPI, partner: SignedUp
) -> None:
    world = await world_of(app, partner)
    credits = transactions(
        (
            await documents(
                app,
                world,
                ASHA,
                filters=[{"type": "TRANSACTIONTYPE", "operator": "=", "value": "CREDIT"}],
            )
        )[0].payload
    )
    assert credits
    assert {t["type"] for t in credits} == {"CREDIT"}
    big = transactions(
        (
            await documents(
                app,
                world,
                ASHA,
                filters=[
                    {"type": "TRANSACTIONAMOUNT", "operator": ">=", "value": "20000"},
                    {"type": "TRANSACTIONTYPE", "operator": "!=", "value": "CREDIT"},
                ],
            )
        )[0].payload
    )
    assert big
    assert all(t["type"] == "DEBIT" for t in big)
    assert all(Decimal(t["amount"]) >= 20000 for t in big)
    everything = transactions((await documents(app, world, ASHA))[0].payload)
    assert len(big) < len([t for t in everything if t["type"] == "DEBIT"])


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"type": "TRANSACTIONDATE", "operator": "=", "value": "x"}, "DataFilter[0].type"),
        ({"type": "TRANSACTIONAMOUNT", "operator": "~", "value": "1"}, "DataFilter[0].operator"),
        ({"type": "TRANSACTIONAMOUNT", "operator": ">", "value": "1e5"}, "DataFilter[0].value"),
        ({"type": "TRANSACTIONAMOUNT", "operator": ">", "value": "1.001"}, "DataFilter[0].value"),
        ({"type": "TRANSACTIONTYPE", "operator": ">", "value": "CREDIT"}, "DataFilter[0]"),
    ],
)
def test_a_bad_data_filter_names_the_rule(rule: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidDataFilter) as caught:
        parse_data_filters([rule], 2)
    assert caught.value.field == f"ConsentDetail.{field}"
    assert caught.value.error_code == "InvalidConsentDetail"
    assert caught.value.hint


async def test_another_residents_account_is_refused(app: FastAPI, partner: SignedUp) -> None:
    world = await world_of(app, partner)
    ravi = await app.state.sandbox.db.read(lambda conn: fip_accounts(conn, world, RAVI))
    with pytest.raises(UnknownAccount):
        await documents(app, world, ASHA, refs=[ravi[0].link_ref])


async def test_term_and_recurring_deposits_are_documents_of_their_own(
    app: FastAPI, partner: SignedUp
) -> None:
    world = await world_of(app, partner)
    docs = await documents(
        app, world, ASHA, fi_types=("TERM_DEPOSIT", "RECURRING_DEPOSIT"), fmt="json"
    )
    assert [d.fi_type for d in docs] == ["TERM_DEPOSIT", "RECURRING_DEPOSIT"]
    fixed = json.loads(docs[0].payload)["Account"]
    assert fixed["type"] == "term_deposit"
    assert fixed["Summary"]["accountType"] == "FIXED"
    assert Decimal(fixed["Summary"]["maturityAmount"]) > Decimal(
        fixed["Summary"]["principalAmount"]
    )
    assert fixed["Transactions"]["Transaction"][0]["type"] == "OPENING"
    recurring = json.loads(docs[1].payload)["Account"]
    assert recurring["Summary"]["accountType"] == "RECURRING"
    instalments = [
        t for t in recurring["Transactions"]["Transaction"] if t["type"] == "INSTALLMENT"
    ]
    assert len(instalments) >= 3
    assert {t["amount"] for t in instalments} == {recurring["Summary"]["recurringAmount"]}
    xml_docs = await documents(app, world, ASHA, fi_types=("TERM_DEPOSIT",))
    root = etree.fromstring(xml_docs[0].payload)
    assert root.tag == "{http://api.rebit.org.in/FISchema/term_deposit}Account"


async def test_the_schema_check_is_real(
    app: FastAPI, partner: SignedUp, deposit_xsd: xmlschema.XMLSchema11
) -> None:
    """The validator refuses a document the XSD forbids (a mode outside its enumeration)."""
    world = await world_of(app, partner)
    (doc,) = await documents(app, world, ASHA)
    broken = doc.payload.replace(b'mode="UPI"', b'mode="NEFT"', 1)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        deposit_xsd.validate(broken)
