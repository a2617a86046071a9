"""Name pools: curated bilingual lists for India and Armenia, seeded Faker pools elsewhere."""

from __future__ import annotations

import pytest

from sandbox.population import names
from sandbox.population.countries import COUNTRIES, get_country


def is_devanagari(text: str) -> bool:
    return all(c == " " or "\u0900" <= c <= "\u097f" for c in text)


def is_armenian(text: str) -> bool:
    return all(c == " " or "\u0530" <= c <= "\u058f" for c in text)


def test_india_list_is_large_enough_and_bilingual() -> None:
    given = names.INDIA_GIVEN_MALE + names.INDIA_GIVEN_FEMALE
    assert len(given) >= 60
    assert len(names.INDIA_GIVEN_MALE) >= 30
    assert len(names.INDIA_GIVEN_FEMALE) >= 30
    assert len(names.INDIA_SURNAMES) >= 40
    for latin, local in given + names.INDIA_SURNAMES:
        assert latin.isascii()
        assert latin.isalpha()
        assert is_devanagari(local), local
    assert len({latin for latin, _ in given}) == len(given)


def test_armenia_list_is_large_enough_and_bilingual() -> None:
    given = names.ARMENIA_GIVEN_MALE + names.ARMENIA_GIVEN_FEMALE
    assert len(given) >= 30
    assert len(names.ARMENIA_SURNAMES) >= 30
    for latin, local in given + names.ARMENIA_SURNAMES:
        assert latin.isascii()
        assert latin.isalpha()
        assert is_armenian(local), local
    for latin, local in names.ARMENIA_SURNAMES:
        assert latin.endswith("yan")
        assert local.endswith("յան")


@pytest.mark.parametrize("code", ["IN", "AM"])
def test_curated_pools_have_local_names(code: str) -> None:
    pools = names.name_pools(get_country(code), seed=1)
    for latin, local in pools.given_male + pools.given_female + pools.surnames:
        assert latin
        assert local


@pytest.mark.parametrize("code", [c for c in COUNTRIES if c not in {"IN", "AM"}])
def test_faker_pools_are_latin_and_deterministic(code: str) -> None:
    country = get_country(code)
    first = names.name_pools(country, seed=5)
    assert first == names.name_pools(country, seed=5)
    assert first != names.name_pools(country, seed=6)
    pairs = first.given_male + first.given_female + first.surnames
    assert len(first.given_male) >= 30
    assert len(first.surnames) >= 30
    for latin, local in pairs:
        assert local is None
        assert names.ascii_slug(latin)


def test_ascii_slug() -> None:
    assert names.ascii_slug("Zoë van Dijk") == "zoevandijk"
    assert names.ascii_slug("O'Brien-Smith") == "obriensmith"
    assert names.ascii_slug("आशा") == ""
