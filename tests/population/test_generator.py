"""World generation: determinism, identifiers, formats per country and bulk insert."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from stdnum import verhoeff

from sandbox.kit.secrets import pin_hash
from sandbox.population.countries import COUNTRIES, CountryProfile, get_country
from sandbox.population.generator import (
    DAY_US,
    REFERENCE_DATE,
    WorldRows,
    generate_world,
    generated_pin,
    generated_uid,
    insert_world,
    seed_world,
)
from sandbox.population.identifiers import account_number, verhoeff_check_digit
from sandbox.population.personas import PERSONAS, persona_by_key
from sandbox.storage import schema

NOW_US = 1_780_000_000_000_000
SECRET = "test-secret-key-0123456789"
VPA = re.compile(r"^[a-zA-Z0-9.\-_]{2,256}@[a-zA-Z][a-zA-Z]{2,64}$")
TABLES = ("residents", "banks", "accounts", "vpas", "aa_handles")


def build(
    country: CountryProfile,
    residents: int,
    *,
    seed: int = 7,
    world_id: str = "w1",
    now_us: int = NOW_US,
    secret_key: str = SECRET,
    chunk: int = 5000,
) -> list[WorldRows]:
    return list(
        generate_world(
            world_id=world_id,
            seed=seed,
            country=country,
            residents=residents,
            now_us=now_us,
            secret_key=secret_key,
            chunk=chunk,
        )
    )


def merged(chunks: list[WorldRows]) -> WorldRows:
    world = WorldRows()
    for rows in chunks:
        for table in TABLES:
            getattr(world, table).extend(getattr(rows, table))
    return world


def stable(world: WorldRows) -> dict[str, list[dict[str, Any]]]:
    """Rows without what may differ between two worlds of one seed: ids, hashes, times."""
    return {
        table: [
            {k: v for k, v in row.items() if k not in {"world_id", "pin_hash"} and "_us" not in k}
            for row in getattr(world, table)
        ]
        for table in TABLES
    }


@pytest.fixture(scope="module")
def india() -> WorldRows:
    return merged(build(get_country("IN"), 20_000))


@pytest.fixture(scope="module")
def worlds() -> dict[str, WorldRows]:
    return {code: merged(build(country, 2_000)) for code, country in COUNTRIES.items()}


def test_rows_have_exactly_the_schema_columns(india: WorldRows) -> None:
    for table in TABLES:
        columns = set(getattr(schema, table).columns.keys())
        for row in getattr(india, table):
            assert set(row) == columns


def test_first_chunk_holds_banks_and_personas_only() -> None:
    chunks = build(get_country("IN"), 12, chunk=5)
    assert [len(c.residents) for c in chunks] == [len(PERSONAS), 5, 5, 2]
    first = chunks[0]
    assert [r["persona"] for r in first.residents] == [p.key for p in PERSONAS]
    assert [b["code"] for b in first.banks] == [b.code for b in get_country("IN").all_banks]
    assert all(not c.banks for c in chunks[1:])
    offline = [b for b in first.banks if not b["online"]]
    assert [(b["code"], b["name"], b["psp_handle"]) for b in offline] == [
        ("OFFL", "Sandbox Offline Bank", "offlinebank")
    ]


def test_same_seed_same_world() -> None:
    india = get_country("IN")
    one = merged(build(india, 300))
    assert one == merged(build(india, 300))
    other = merged(build(india, 300, world_id="w2", now_us=NOW_US + 5, secret_key="x" * 20))
    assert stable(one) == stable(other)
    assert one != other


def test_rows_do_not_depend_on_chunk_size() -> None:
    india = get_country("IN")
    assert merged(build(india, 101, chunk=7)) == merged(build(india, 101, chunk=5000))


@pytest.mark.parametrize("code", ["IN", "TT"])
def test_different_seed_different_residents(code: str) -> None:
    country = get_country(code)
    one, two = merged(build(country, 200, seed=1)), merged(build(country, 200, seed=2))
    generated = slice(len(PERSONAS), None)
    assert one.residents[: len(PERSONAS)] == two.residents[: len(PERSONAS)]
    assert {r["uid"] for r in one.residents[generated]}.isdisjoint(
        r["uid"] for r in two.residents[generated]
    )
    assert [r["name"] for r in one.residents[generated]] != [
        r["name"] for r in two.residents[generated]
    ]


def test_uids_are_unique_valid_and_never_a_persona(india: WorldRows) -> None:
    uids = [r["uid"] for r in india.residents]
    assert len(uids) == 20_000 + len(PERSONAS)
    assert len(set(uids)) == len(uids)
    persona_uids = {p.uid for p in PERSONAS}
    for uid in uids[len(PERSONAS) :]:
        assert re.fullmatch(r"[2-9]\d{11}", uid)
        assert verhoeff.is_valid(uid)
        assert uid not in persona_uids
    assert uids[len(PERSONAS) + 3] == generated_uid(7, 3)


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_verhoeff_check_digit_agrees_with_stdnum(body: str) -> None:
    assert verhoeff_check_digit(body) == verhoeff.calc_check_digit(body)


@given(st.integers(0, 2**36 - 1), st.integers(0, 2**36 - 1))
def test_generated_uids_are_injective(i: int, j: int) -> None:
    assert (generated_uid(3, i) == generated_uid(3, j)) == (i == j)


def test_generated_uid_refuses_out_of_range() -> None:
    with pytest.raises(ValueError, match="index"):
        generated_uid(1, -1)
    with pytest.raises(ValueError, match="index"):
        generated_uid(1, 2**36)


def test_account_numbers() -> None:
    assert account_number(0, 1) == "11000000000001"
    assert account_number(-1, 1_000) == "99000000001000"


def test_vpas_handles_and_accounts_are_unique_and_well_formed(india: WorldRows) -> None:
    vpas = [v["vpa"] for v in india.vpas]
    assert len(set(vpas)) == len(vpas)
    assert all(VPA.match(vpa) for vpa in vpas)
    assert all(vpa == vpa.lower() and vpa.isascii() for vpa in vpas)
    handles = [h["handle"] for h in india.aa_handles]
    assert len(set(handles)) == len(handles) == len(india.residents)
    numbers = [a["number"] for a in india.accounts]
    assert len(set(numbers)) == len(numbers)
    assert {v["account_number"] for v in india.vpas} == set(numbers)
    uids = {r["uid"] for r in india.residents}
    assert {a["resident_uid"] for a in india.accounts} == uids
    for account in india.accounts:
        assert re.fullmatch(r"\d{9,20}", account["number"])
        assert re.fullmatch(r"[A-Z]{4}0[A-Z0-9]{6}", account["ifsc"])
        assert account["ifsc"].startswith(account["bank_code"])
    per_resident = Counter(a["resident_uid"] for a in india.accounts)
    assert set(per_resident.values()) <= {1, 2}


def test_generated_residents_look_plausible(india: WorldRows) -> None:
    generated = india.residents[len(PERSONAS) :]
    assert {r["gender"] for r in generated} <= {"M", "F", "T"}
    assert sum(r["mobile_verified"] for r in generated) > 0.9 * len(generated)
    assert sum(r["biometrics_locked"] for r in generated) < 0.05 * len(generated)
    assert {r["language"] for r in generated} <= set(get_country("IN").languages)
    for resident in generated:
        born = date.fromisoformat(resident["dob"])
        age = REFERENCE_DATE.year - born.year - (born.replace(year=2000) > date(2000, 1, 1))
        assert 18 <= age <= 80
        address = resident["address"]
        assert set(address) == {
            "house",
            "street",
            "locality",
            "district",
            "state",
            "postcode",
            "country",
        }
        assert re.fullmatch(r"[1-9]\d{5}", address["postcode"])
        assert address["country"] == "IN"
        email = resident["email"]
        assert email is None or re.fullmatch(r"[a-z0-9.]+@example\.(com|org|net)", email)
    statuses = Counter(a["status"] for a in india.accounts)
    assert statuses["ACTIVE"] > 0.95 * len(india.accounts)
    assert set(statuses) <= {"ACTIVE", "FROZEN", "DORMANT"}


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_mobiles_match_the_country_format(worlds: dict[str, WorldRows], code: str) -> None:
    country = COUNTRIES[code]
    mobiles = [r["mobile"] for r in worlds[code].residents if r["mobile"] is not None]
    assert len(mobiles) > 1_900
    for mobile in mobiles:
        assert country.mobile_pattern.match(mobile), mobile
        assert len(mobile) == len(country.calling_code) + country.national_number_length


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_money_is_non_negative_integers_in_the_country_currency(
    worlds: dict[str, WorldRows], code: str
) -> None:
    country = COUNTRIES[code]
    for account in worlds[code].accounts:
        assert type(account["balance"]) is int
        assert account["balance"] == account["opening_balance"] >= 0
        assert account["currency"] == country.currency
        assert account["opened_us"] < NOW_US


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_local_script_names(worlds: dict[str, WorldRows], code: str) -> None:
    residents = worlds[code].residents
    if code == "IN":
        for resident in residents:
            assert all(c == " " or "\u0900" <= c <= "\u097f" for c in resident["name_local"])
    elif code == "AM":
        for resident in residents[len(PERSONAS) :]:
            assert all(c == " " or "\u0530" <= c <= "\u058f" for c in resident["name_local"])
        assert all(r["name_local"] is None for r in residents[: len(PERSONAS)])
    else:
        assert all(r["name_local"] is None for r in residents)


def test_persona_rows_in_india() -> None:
    india = get_country("IN")
    world = merged(build(india, 0))
    residents = {r["persona"]: r for r in world.residents}
    vpas = {v["vpa"]: v for v in world.vpas}
    accounts = {a["number"]: a for a in world.accounts}
    asha = residents["asha"]
    assert (asha["uid"], asha["name"], asha["name_local"]) == (
        "999999990019",
        "Asha Verma",
        "आशा वर्मा",
    )
    assert asha["mobile"] == "+919876500001"
    asha_vpa = vpas["asha@sandbox"]
    assert asha_vpa["pin_hash"] == pin_hash(SECRET, "w1", "asha@sandbox", "1234")
    assert accounts[asha_vpa["account_number"]]["balance"] == 1_000_000 * 100
    assert vpas["arjun@sandbox"]["pin_hash"] is None
    assert vpas["meeras.kirana@sandbox"]["is_merchant"] is True
    assert vpas["meeras.kirana@sandbox"]["merchant_category"] == "5411"
    assert accounts[vpas["pooja@sandbox"]["account_number"]]["balance"] == 100
    assert accounts[vpas["farhan@sandbox"]["account_number"]]["status"] == "FROZEN"
    assert accounts[vpas["sanjay@sandbox"]["account_number"]]["bank_code"] == "OFFL"
    assert residents["sunil"]["mobile"] is None
    assert residents["kabir"]["biometrics_locked"] is True
    for persona in PERSONAS:
        for vpa in persona.vpas(india):
            registered = vpas[vpa]["registered_us"]
            if persona.new_vpa:
                assert registered == NOW_US
            else:
                assert registered < NOW_US - DAY_US


@pytest.mark.parametrize("code", ["TT", "AM", "PG"])
def test_personas_exist_in_every_country(code: str) -> None:
    country = get_country(code)
    world = merged(build(country, 0))
    residents = {r["persona"]: r for r in world.residents}
    assert set(residents) == {p.key for p in PERSONAS}
    asha = persona_by_key("asha")
    assert residents["asha"]["uid"] == asha.uid
    assert residents["asha"]["mobile"] == asha.e164_mobile(country)
    assert residents["asha"]["language"] in country.languages
    assert {v["vpa"] for v in world.vpas} >= set(asha.vpas(country))


def test_generated_pins_are_documented(india: WorldRows) -> None:
    owner = {a["number"]: a["resident_uid"] for a in india.accounts}
    for vpa in india.vpas[-50:]:
        pin = generated_pin(7, owner[vpa["account_number"]])
        assert re.fullmatch(r"\d{4}", pin)
        assert vpa["pin_hash"] == pin_hash(SECRET, "w1", vpa["vpa"], pin)


def test_generate_world_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="residents"):
        build(get_country("IN"), -1)
    with pytest.raises(ValueError, match="chunk"):
        build(get_country("IN"), 1, chunk=0)


def test_seed_world_inserts_everything_and_reports_progress() -> None:
    engine = sa.create_engine("sqlite://")
    schema.metadata.create_all(engine)
    calls: list[int] = []
    with engine.begin() as conn:
        total = seed_world(
            conn,
            world_id="w1",
            seed=11,
            country=get_country("AM"),
            residents=12_000,
            now_us=NOW_US,
            secret_key=SECRET,
            progress=calls.append,
        )
    personas = len(PERSONAS)
    assert total == personas + 12_000
    assert calls == [personas, personas + 5_000, personas + 10_000, personas + 12_000]
    expected = merged(build(get_country("AM"), 12_000, seed=11))
    with engine.connect() as conn:
        for table in TABLES:
            count = conn.scalar(sa.select(sa.func.count()).select_from(getattr(schema, table)))
            assert count == len(getattr(expected, table)), table
        balance = conn.scalar(sa.select(sa.func.min(schema.accounts.c.balance)))
        assert balance is not None
        assert balance >= 0
    engine.dispose()


def test_insert_world_skips_empty_tables() -> None:
    engine = sa.create_engine("sqlite://")
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        insert_world(conn, WorldRows())
        assert conn.scalar(sa.select(sa.func.count()).select_from(schema.residents)) == 0
    engine.dispose()
