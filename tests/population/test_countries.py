"""Country profiles: lookup, phone formats, banks and limits."""

from __future__ import annotations

import re

import pytest

from sandbox.population.countries import (
    COUNTRIES,
    DEFAULT_COUNTRY,
    OFFLINE_BANK,
    UnknownCountry,
    get_country,
)
from sandbox.population.places import ADDRESS_BOOKS

EXPECTED = {
    "IN": ("INR", "+91", 10),
    "TT": ("TTD", "+1868", 7),
    "AM": ("AMD", "+374", 8),
    "SL": ("SLE", "+232", 8),
    "SR": ("SRD", "+597", 7),
    "AG": ("XCD", "+1268", 7),
    "PG": ("PGK", "+675", 8),
}


def test_the_seven_countries_with_india_first() -> None:
    assert list(COUNTRIES) == list(EXPECTED)
    assert DEFAULT_COUNTRY == "IN"
    for code, (currency, calling_code, length) in EXPECTED.items():
        profile = COUNTRIES[code]
        assert (profile.currency, profile.calling_code, profile.national_number_length) == (
            currency,
            calling_code,
            length,
        )
        assert profile.minor_units == 2


@pytest.mark.parametrize("code", ["tt", "TT", " Tt ", "am"])
def test_lookup_ignores_case(code: str) -> None:
    assert get_country(code).code == code.strip().upper()


def test_unknown_country_lists_the_valid_codes() -> None:
    with pytest.raises(UnknownCountry) as caught:
        get_country("XX")
    assert isinstance(caught.value, KeyError)
    message = str(caught.value)
    assert "'XX'" in message
    for code in COUNTRIES:
        assert code in message


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_profile_shape(code: str) -> None:
    profile = COUNTRIES[code]
    assert re.fullmatch(r"[A-Z]{3}", profile.currency)
    assert re.fullmatch(r"\+\d{1,4}", profile.calling_code)
    assert profile.faker_locales
    assert re.fullmatch(r"[a-z]{2}", profile.default_language)
    assert all(re.fullmatch(r"[a-z]{2}", language) for language in profile.languages)
    assert len(set(profile.languages)) == len(profile.languages)
    assert 4 <= len(profile.banks) <= 6
    codes = [bank.code for bank in profile.all_banks]
    handles = [bank.psp_handle for bank in profile.all_banks]
    assert len(set(codes)) == len(codes)
    assert len(set(handles)) == len(handles)
    assert profile.all_banks[-1] == OFFLINE_BANK
    for bank in profile.all_banks:
        assert re.fullmatch(r"[A-Z]{4}", bank.code)
        assert re.fullmatch(r"[a-z]{3,20}", bank.psp_handle)
        assert bank.name.startswith("Sandbox ")
    assert code in ADDRESS_BOOKS


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_limits_are_positive_minor_units_in_a_sensible_order(code: str) -> None:
    p = COUNTRIES[code]
    limits = [p.per_txn_limit, p.daily_limit, p.new_vpa_24h_limit]
    limits += [p.autopay_no_pin_limit, p.lite_txn_limit]
    assert all(type(limit) is int and limit > 0 for limit in limits)
    assert p.lite_txn_limit < p.new_vpa_24h_limit < p.autopay_no_pin_limit < p.per_txn_limit
    assert p.per_txn_limit <= p.daily_limit


def test_india_limits_follow_upi() -> None:
    india = get_country("IN")
    assert india.per_txn_limit == 10_000_000
    assert india.daily_limit == 10_000_000
    assert india.new_vpa_24h_limit == 500_000
    assert india.autopay_no_pin_limit == 1_500_000
    assert india.lite_txn_limit == 100_000


def test_india_mobile_format() -> None:
    india = get_country("IN")
    assert india.format_mobile("9876543210") == "+919876543210"
    assert india.mobile_pattern.match("+919876543210")
    assert not india.mobile_pattern.match("+915876543210")
    assert not india.mobile_pattern.match("+91987654321")


@pytest.mark.parametrize("national", ["987654321", "98765432100", "98765x3210", "5876543210"])
def test_format_mobile_refuses_bad_numbers(national: str) -> None:
    with pytest.raises(ValueError, match=r"India|digits"):
        get_country("IN").format_mobile(national)


@pytest.mark.parametrize("code", list(COUNTRIES))
def test_every_country_formats_its_own_numbers(code: str) -> None:
    profile = COUNTRIES[code]
    prefix = profile.mobile_prefixes[0]
    national = prefix + "1" * (profile.national_number_length - len(prefix))
    e164 = profile.format_mobile(national)
    assert e164 == profile.calling_code + national
    assert profile.mobile_pattern.match(e164)
