"""Demographic matching: exact and partial thresholds, local-language names, Pa and Pfa, dob and
age, phone and e-mail, and the first failing attribute named."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.matching import match_demographics, normalise, similarity
from identity.models import Address, Demo, MatchStrategy, Pa, Pfa, Pi, Resident
from sandbox.population.personas import PERSONAS

ASHA = next(p for p in PERSONAS if p.key == "asha")
ROW: dict[str, Any] = {
    "name": ASHA.name,
    "name_local": ASHA.name_local,
    "dob": ASHA.dob,
    "gender": ASHA.gender,
    "mobile": "+91" + str(ASHA.mobile),
    "email": ASHA.email,
    "address": {
        "house": "12",
        "street": "Mahatma Gandhi Road",
        "locality": "Andheri",
        "district": "Mumbai Suburban",
        "state": "Maharashtra",
        "postcode": "400053",
        "country": "IN",
    },
}
RESIDENT = Resident.from_row(ROW)
ON = date(2026, 9, 21)  # asha (born 1990-04-12) is 36
P = MatchStrategy.PARTIAL


def _failure(demo: Demo, resident: Resident = RESIDENT) -> tuple[str, str] | None:
    failure = match_demographics(demo, resident, on=ON)
    return None if failure is None else (failure.code, failure.attribute)


def test_the_population_row_maps_to_pa_names() -> None:
    assert RESIDENT.address == Address(
        house="12",
        street="Mahatma Gandhi Road",
        loc="Andheri",
        dist="Mumbai Suburban",
        state="Maharashtra",
        country="India",
        pc="400053",
    )
    assert RESIDENT.dob_type == "V"
    assert RESIDENT.phone == "+919876500001"


@pytest.mark.parametrize("name", ["Asha Verma", "asha  verma", " ASHA VERMA ", "Asha-Verma"])
def test_exact_name_ignores_case_spacing_and_punctuation(name: str) -> None:
    assert _failure(Demo(pi=Pi(name=name))) is None


@pytest.mark.parametrize("name", ["Asha Varma", "Verma Asha", "Asha"])
def test_exact_name_refuses_any_other_name(name: str) -> None:
    assert _failure(Demo(pi=Pi(name=name))) == ("100", "name")


@pytest.mark.parametrize(
    ("name", "score"),
    [("Verma Asha", 100), ("Asa Verma", 2 * 9 / 19 * 100), ("Asha", 2 * 4 / 14 * 100)],
)
def test_partial_name_matches_at_its_score_and_not_one_above(name: str, score: float) -> None:
    assert similarity(name, ASHA.name) == pytest.approx(score)
    at, above = int(score), int(score) + 1
    assert _failure(Demo(pi=Pi(ms=P, mv=at, name=name))) is None
    if above <= 100:
        failure = match_demographics(Demo(pi=Pi(ms=P, mv=above, name=name)), RESIDENT, on=ON)
        assert failure is not None
        assert (failure.code, failure.attribute) == ("100", "name")
        assert f"below mv {above}" in str(failure.hint)


def test_local_language_name_exact_and_partial() -> None:
    assert _failure(Demo(lang="06", pi=Pi(lname="आशा वर्मा"))) is None
    assert _failure(Demo(lang="06", pi=Pi(lname="आशा"))) == ("100", "lname")
    score = similarity("आशा वमा", "आशा वर्मा")
    assert 60 < score < 100
    assert _failure(Demo(lang="06", pi=Pi(ms=P, lmv=int(score), lname="आशा वमा"))) is None
    assert _failure(Demo(lang="06", pi=Pi(ms=P, lmv=int(score) + 1, lname="आशा वमा"))) == (
        "100",
        "lname",
    )


def test_lname_against_a_resident_without_a_local_name() -> None:
    resident = Resident.from_row({**ROW, "name_local": None})
    failure = match_demographics(Demo(lang="06", pi=Pi(lname="आशा वर्मा")), resident, on=ON)
    assert failure is not None
    assert "no local-language name" in str(failure.hint)


def test_normalise_keeps_vowel_signs_and_drops_zero_width_joiners() -> None:
    assert normalise("आशा\u200d  वर्मा!") == "आशा वर्मा"
    assert normalise("आशा") != normalise("आश")


@pytest.mark.parametrize(
    ("pi", "failing"),
    [
        (Pi(gender="F"), None),
        (Pi(gender="M"), "gender"),
        (Pi(dob="1990-04-12"), None),
        (Pi(dob="1990"), None),
        (Pi(dob="1991"), "dob"),
        (Pi(dob="1990-04-13"), "dob"),
        (Pi(dob="1990", dobt="V"), None),
        (Pi(dob="1990", dobt="D"), "dobt"),
        (Pi(age=36), None),
        (Pi(age=35), None),
        (Pi(age=37), None),
        (Pi(age=34), "age"),
        (Pi(age=38), "age"),
        (Pi(phone="9876500001"), None),
        (Pi(phone="+91 98765 00001"), None),
        (Pi(phone="9876500002"), "phone"),
        (Pi(phone="00001"), "phone"),
        (Pi(email="Asha.Verma@Example.com"), None),
        (Pi(email="asha@example.com"), "email"),
    ],
)
def test_pi_attributes(pi: Pi, failing: str | None) -> None:
    assert _failure(Demo(pi=pi)) == (None if failing is None else ("100", failing))


def test_age_counts_completed_years_at_the_pid_date() -> None:
    before_birthday = match_demographics(Demo(pi=Pi(age=34)), RESIDENT, on=date(2026, 4, 11))
    assert before_birthday is None  # 35 until 12 April


def test_pa_is_exact_per_field_and_names_the_field() -> None:
    assert _failure(Demo(pa=Pa(loc="ANDHERI", pc="400053", country="india"))) is None
    assert _failure(Demo(pa=Pa(street="mahatma  gandhi road", state="Maharashtra"))) is None
    assert _failure(Demo(pa=Pa(loc="Andheri", pc="400054"))) == ("200", "pc")
    failure = match_demographics(Demo(pa=Pa(po="Andheri East")), RESIDENT, on=ON)
    assert failure is not None
    assert (failure.code, failure.attribute) == ("200", "po")
    assert "no po enrolled" in str(failure.hint)


FULL = "12, Mahatma Gandhi Road, Andheri, Mumbai Suburban, Maharashtra, India, 400053"


def test_pfa_exact_is_the_whole_address_normalised() -> None:
    assert RESIDENT.address.full_text() == FULL
    assert _failure(Demo(pfa=Pfa(av=FULL.upper().replace(",", " ;")))) is None
    assert _failure(Demo(pfa=Pfa(av="12 Mahatma Gandhi Road, Andheri"))) == ("200", "av")


def test_pfa_partial_uses_mv() -> None:
    av = "12 M G Road Andheri Mumbai Suburban Maharashtra India 400053"
    score = similarity(av, FULL)
    assert 70 < score < 100
    assert _failure(Demo(pfa=Pfa(ms=P, mv=int(score), av=av))) is None
    assert _failure(Demo(pfa=Pfa(ms=P, mv=int(score) + 1, av=av))) == ("200", "av")


def test_pfa_lav_needs_a_local_address() -> None:
    assert _failure(Demo(lang="06", pfa=Pfa(lav="अंधेरी"))) == ("200", "lav")
    resident = Resident(name="x", gender="F", dob="1990-01-01", address_local="१२, अंधेरी, मुंबई")
    assert _failure(Demo(lang="06", pfa=Pfa(lav="१२ अंधेरी मुंबई")), resident) is None


def test_pi_fails_before_pa() -> None:
    assert _failure(Demo(pi=Pi(gender="M"), pa=Pa(pc="1"))) == ("100", "gender")
    assert _failure(Demo(pi=Pi(gender="F"), pa=Pa(pc="1"))) == ("200", "pc")


@given(
    given_name=st.text(max_size=30),
    mv=st.integers(1, 100),
    ms=st.sampled_from(MatchStrategy),
)
def test_the_same_request_always_gets_the_same_answer(
    given_name: str, mv: int, ms: MatchStrategy
) -> None:
    demo = Demo(pi=Pi(ms=ms, mv=mv, name=given_name))
    first = _failure(demo)
    assert _failure(demo) == first
    score = similarity(given_name, ASHA.name)
    assert 0 <= score <= 100
    assert score == similarity(ASHA.name, given_name)
    if ms is MatchStrategy.PARTIAL:
        assert (first is None) == (score >= mv)
    if normalise(given_name) == normalise(ASHA.name):
        assert first is None  # an exact match is a partial match at any mv
