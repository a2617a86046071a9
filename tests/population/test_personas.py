"""The documented personas: fixed ID numbers, one outcome each, the same in every world."""

from __future__ import annotations

import re

import pytest
from stdnum import verhoeff

from sandbox.population.countries import COUNTRIES, get_country
from sandbox.population.personas import (
    OFFLINE_BANK_INDEX,
    PERSONAS,
    Persona,
    UnknownPersona,
    persona_by_key,
)

VPA = re.compile(r"^[a-zA-Z0-9.\-_]{2,256}@[a-zA-Z][a-zA-Z]{2,64}$")


def only(predicate: object) -> list[Persona]:
    assert callable(predicate)
    return [p for p in PERSONAS if predicate(p)]


def test_at_least_twelve_distinct_personas() -> None:
    assert len(PERSONAS) >= 12
    keys = [p.key for p in PERSONAS]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", key) for key in keys)


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.key)
def test_persona_uid_is_a_valid_aadhaar_style_number(persona: Persona) -> None:
    assert re.fullmatch(r"[2-9]\d{11}", persona.uid)
    assert verhoeff.is_valid(persona.uid)
    assert persona.uid.startswith("9999")


def test_uids_are_distinct() -> None:
    assert len({p.uid for p in PERSONAS}) == len(PERSONAS)


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.key)
def test_persona_fields(persona: Persona) -> None:
    assert persona.gender in {"M", "F", "T"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", persona.dob)
    assert re.fullmatch(r"[^@\s]+@example\.(com|org)", persona.email)
    assert persona.name.isascii()
    assert all(c == " " or "\u0900" <= c <= "\u097f" for c in persona.name_local)
    assert persona.mobile is None or re.fullmatch(r"[6-9]\d{9}", persona.mobile)
    assert persona.mobile_verified is False or persona.mobile is not None
    assert persona.pin is None or re.fullmatch(r"\d{4}|\d{6}", persona.pin)
    assert persona.accounts
    assert persona.purpose
    assert persona.aa_handle == f"{persona.key}@sandbox-aa"
    for account in persona.accounts:
        assert account.type in {"SAVINGS", "CURRENT"}
        assert account.status in {"ACTIVE", "FROZEN", "DORMANT"}
        assert account.opening_balance >= 0
        assert account.pin_set == (persona.pin is not None)
        assert account.is_merchant == (account.merchant_category is not None)
        assert account.merchant_category is None or re.fullmatch(
            r"\d{4}", account.merchant_category
        )
        assert not account.vpa_local[-1].isdigit()  # generated VPAs end in a digit


def test_pins_are_distinct() -> None:
    pins = [p.pin for p in PERSONAS if p.pin is not None]
    assert len(set(pins)) == len(pins)


def test_required_personas() -> None:
    asha, ravi = persona_by_key("asha"), persona_by_key("ravi")
    assert asha.name == "Asha Verma"
    assert asha.accounts[0].opening_balance >= 1_000_000
    assert ravi.name == "Ravi Kumar"
    assert asha.accounts[0].bank != ravi.accounts[0].bank
    merchant = only(lambda p: any(a.is_merchant for a in p.accounts))
    assert any(a.type == "CURRENT" for p in merchant for a in p.accounts if a.is_merchant)
    assert only(lambda p: p.biometrics_locked)
    assert only(lambda p: any(a.status == "FROZEN" for a in p.accounts))
    assert only(lambda p: any(a.status == "DORMANT" for a in p.accounts))
    assert only(lambda p: p.mobile is None)
    assert only(lambda p: p.mobile is not None and not p.mobile_verified)
    assert only(lambda p: any(a.opening_balance == 1 for a in p.accounts))
    two_banks = only(lambda p: len({a.bank for a in p.accounts}) >= 2)
    assert two_banks
    assert only(lambda p: p.new_vpa)
    assert only(lambda p: p.pin is None)
    offline = only(lambda p: p.bank_offline)
    assert offline
    assert offline[0].accounts[0].bank == OFFLINE_BANK_INDEX
    assert only(lambda p: p.pin is not None and len(p.pin) == 6)


def test_persona_by_key() -> None:
    assert persona_by_key("Asha").uid == "999999990019"
    with pytest.raises(UnknownPersona, match="asha") as caught:
        persona_by_key("nobody")
    assert isinstance(caught.value, KeyError)


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_persona_mobiles_and_vpas_fit_every_country(code: str) -> None:
    country = get_country(code)
    mobiles = [p.e164_mobile(country) for p in PERSONAS if p.mobile is not None]
    assert len(set(mobiles)) == len(mobiles)
    for mobile in mobiles:
        assert mobile is not None
        assert country.mobile_pattern.match(mobile), mobile
    vpas = [vpa for p in PERSONAS for vpa in p.vpas(country)]
    assert len(set(vpas)) == len(vpas)
    assert all(VPA.match(vpa) for vpa in vpas)


def test_india_persona_vpas_and_mobile() -> None:
    india = get_country("IN")
    assert persona_by_key("asha").vpas(india) == ("asha@sandbox",)
    assert persona_by_key("asha").e164_mobile(india) == "+919876500001"
    assert persona_by_key("sanjay").vpas(india) == ("sanjay@sandbox",)
