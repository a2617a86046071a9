"""Demographic matching of a PID's Demo block against a resident (Auth API 2.5 Pi, Pa, Pfa).

Implements the matching rules of ``shared/reference/aadhaar.md`` (section "Auth request", bullet
"PID"): Pi with ``ms`` E (exact) or P (partial, ``mv`` 1-100) including the local-language name
(``lname``/``lmv``), gender, dob with dobt, age, phone, e-mail; Pa exact; Pfa free text with
``ms``/``mv``. The first attribute that fails gives the answer: 100 for Pi, 200 for Pa and Pfa,
with the attribute named. The answer depends only on the PID and the record (age is counted at
the PID's own ts), so the same request always gets the same answer.

How each attribute compares:
- Text is normalised first: Unicode NFC, case folded, punctuation and symbols turned into spaces,
  runs of whitespace folded to one. Combining marks stay, so Devanagari or Tamil names keep their
  vowel signs.
- Exact (ms="E") means equal after normalising. Partial (ms="P") scores the two strings with
  ``rapidfuzz.fuzz.token_sort_ratio`` (0-100: the words are sorted, then the Indel similarity,
  2 * matching characters / total characters, is taken) and matches when the score is at least
  ``mv`` (``lmv`` for ``lname`` and ``lav``). Sorting words makes "Verma Asha" equal "Asha
  Verma"; a dropped or misspelt word lowers the score in proportion to its length. rapidfuzz is
  maintained, deterministic and fast (C++); difflib's ratio is order-sensitive and slower.
- dob "YYYY" compares the year only; dobt, when sent, must equal the record's (V, D or A).
- age matches when the resident's age in completed years on the PID's ts date is within
  ``AGE_TOLERANCE`` years of it: an AUA that asks the resident is off by one around birthdays.
- phone compares digits only; a national number matches the record's international one when it
  ends it (at least ``MIN_PHONE_DIGITS`` digits). e-mail compares case-insensitively.
- Pa compares each attribute sent, in spec order; Pfa ``av`` compares with the record's address
  as one line in Pa order (``Address.full_text``), ``lav`` with the local-language address.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from rapidfuzz import fuzz

from identity.errors import Mismatch
from identity.models import PA_FIELDS, Demo, MatchStrategy, Pa, Pfa, Pi, Resident

AGE_TOLERANCE = 1
MIN_PHONE_DIGITS = 7


def normalise(text: str) -> str:
    """Case folded, punctuation and symbols as spaces, whitespace folded; marks kept."""
    folded = unicodedata.normalize("NFC", text).casefold()
    kept = (_fold(ch, unicodedata.category(ch)) for ch in folded)
    return " ".join("".join(kept).split())


def _fold(ch: str, category: str) -> str:
    if category == "Cf":  # zero-width joiners shape Indic conjuncts; they are not word breaks
        return ""
    return " " if category[0] in "PSZC" else ch


def similarity(given: str, enrolled: str) -> float:
    """The partial-match score, 0-100: ``token_sort_ratio`` of the normalised strings."""
    return float(fuzz.token_sort_ratio(normalise(given), normalise(enrolled), processor=None))


def _text_matches(given: str, enrolled: str | None, ms: MatchStrategy, mv: int) -> bool:
    if enrolled is None:
        return False
    if ms is MatchStrategy.EXACT:
        return normalise(given) == normalise(enrolled)
    return similarity(given, enrolled) >= mv


def match_demographics(demo: Demo, resident: Resident, *, on: date) -> Mismatch | None:
    """The first mismatch of ``demo`` against ``resident`` (Pi before Pa before Pfa), or None.

    ``on`` is the date ages are counted at: the PID ts's date, so a replayed request gets the
    same answer. The caller raises the returned error or answers ``ret="y"``.
    """
    if demo.pi is not None and (failure := _match_pi(demo.pi, resident, on)) is not None:
        return failure
    if demo.pa is not None and (failure := _match_pa(demo.pa, resident)) is not None:
        return failure
    if demo.pfa is not None:
        return _match_pfa(demo.pfa, resident)
    return None


def _pi_mismatch(attribute: str, hint: str) -> Mismatch:
    return Mismatch("100", attribute, f"Pi {attribute} did not match", hint=hint)


def _match_pi(pi: Pi, resident: Resident, on: date) -> Mismatch | None:
    if pi.name is not None and not _text_matches(pi.name, resident.name, pi.ms, pi.mv):
        if pi.ms is MatchStrategy.EXACT:
            return _pi_mismatch("name", 'Send the name exactly as enrolled, or ms="P" with mv.')
        score = similarity(pi.name, resident.name)
        return _pi_mismatch("name", f"Partial score {score:.0f} is below mv {pi.mv}.")
    if pi.lname is not None and not _text_matches(pi.lname, resident.name_local, pi.ms, pi.lmv):
        if resident.name_local is None:
            return _pi_mismatch("lname", "This resident has no local-language name enrolled.")
        return _pi_mismatch("lname", "Send the name in the local script as enrolled, or lower lmv.")
    if pi.gender is not None and pi.gender != resident.gender:
        return _pi_mismatch("gender", "Send the enrolled gender (M, F or T).")
    if pi.dob is not None and pi.dob != resident.dob[: len(pi.dob)]:
        return _pi_mismatch("dob", "Send the enrolled date of birth (YYYY-MM-DD, or just YYYY).")
    if pi.dobt is not None and pi.dobt != resident.dob_type:
        return _pi_mismatch("dobt", "Leave dobt out unless you know how the dob was enrolled.")
    if pi.age is not None and abs(_age(resident.dob, on) - pi.age) > AGE_TOLERANCE:
        return _pi_mismatch("age", f"The age must be within {AGE_TOLERANCE} year of the real one.")
    if pi.phone is not None and not _phone_matches(pi.phone, resident.phone):
        return _pi_mismatch("phone", "Send the enrolled mobile number (national or +country).")
    if pi.email is not None and (
        resident.email is None or pi.email.strip().casefold() != resident.email.casefold()
    ):
        return _pi_mismatch("email", "Send the enrolled e-mail address.")
    return None


def _match_pa(pa: Pa, resident: Resident) -> Mismatch | None:
    for attribute in PA_FIELDS:
        given = getattr(pa, attribute)
        if given is None:
            continue
        enrolled = getattr(resident.address, attribute)
        if not _text_matches(given, enrolled, MatchStrategy.EXACT, 100):
            hint = (
                f"This resident has no {attribute} enrolled: leave it out."
                if enrolled is None
                else f"Send {attribute} as enrolled (case and spacing do not count), or omit it."
            )
            return Mismatch("200", attribute, f"Pa {attribute} did not match", hint=hint)
    return None


def _match_pfa(pfa: Pfa, resident: Resident) -> Mismatch | None:
    if pfa.av is not None:
        enrolled = resident.address.full_text()
        if not _text_matches(pfa.av, enrolled, pfa.ms, pfa.mv):
            score = similarity(pfa.av, enrolled)
            return Mismatch(
                "200",
                "av",
                "Pfa av did not match",
                hint=f'Partial score {score:.0f} against mv {pfa.mv}; with ms="E" the whole '
                "address must be sent (house, street, locality, district, state, country, pc).",
            )
    if pfa.lav is not None and not _text_matches(pfa.lav, resident.address_local, pfa.ms, pfa.lmv):
        return Mismatch(
            "200", "lav", "Pfa lav did not match", hint="Send the local-language address."
        )
    return None


def _age(dob: str, on: date) -> int:
    born = date.fromisoformat(dob)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _phone_matches(given: str, enrolled: str | None) -> bool:
    if enrolled is None:
        return False
    digits = "".join(ch for ch in given if ch.isdigit())
    on_record = "".join(ch for ch in enrolled if ch.isdigit())
    return digits == on_record or (len(digits) >= MIN_PHONE_DIGITS and on_record.endswith(digits))
