"""The rules of the PID block (Auth API 2.5, section "Auth request", bullet "PID"), applied once
to the tree that either rendition parses into (``identity.pid``).

Each broken rule raises ``InvalidPid`` with the spec's code and names the element and attribute:
511 structure, 541 version, 552 wadh, 567/568 language, 710/720/721/740 empty elements, 800/810
biometrics, 901 no data, 902 dob, 910 mv, 911 ms, 913 Pa with Pfa. Unknown elements and
attributes are refused (511) rather than ignored, so a misspelt attribute is never silently
left unmatched.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from identity.errors import InvalidPid
from identity.models import (
    LANGUAGES,
    PA_FIELDS,
    PID_VERSION,
    Bio,
    BioType,
    Demo,
    MatchStrategy,
    Pa,
    Pfa,
    Pi,
    Pid,
    Pv,
)

TS_FORMAT = "%Y-%m-%dT%H:%M:%S"
_TS_DIGITS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")

_ATTRIBUTES: dict[str, frozenset[str]] = {
    "Pid": frozenset({"ts", "ver", "wadh"}),
    "Demo": frozenset({"lang"}),
    "Pi": frozenset(
        {"ms", "mv", "name", "lname", "lmv", "gender", "dob", "dobt", "age", "phone", "email"}
    ),
    "Pa": frozenset({"ms", *PA_FIELDS}),
    "Pfa": frozenset({"ms", "mv", "av", "lav", "lmv"}),
    "Bios": frozenset({"dih"}),
    "Bio": frozenset({"type", "posh", "bs", "value"}),
    "Pv": frozenset({"otp", "pin"}),
}
_CHILDREN: dict[str, frozenset[str]] = {
    "Pid": frozenset({"Demo", "Bios", "Pv"}),
    "Demo": frozenset({"Pi", "Pa", "Pfa"}),
    "Bios": frozenset({"Bio"}),
}
ELEMENTS = {name.lower(): name for name in _ATTRIBUTES}  # JSON keys in any case -> element
_DOB = re.compile(r"^\d{4}(-\d{2}-\d{2})?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


@dataclass
class PidNode:
    """An element of either rendition: local name, attributes and child elements."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[PidNode] = field(default_factory=list)

    def child(self, name: str) -> PidNode | None:
        found = [c for c in self.children if c.name == name]
        if len(found) > 1:
            raise InvalidPid("511", f"<{name}> appears {len(found)} times in <{self.name}>")
        return found[0] if found else None


def _check_shape(node: PidNode) -> None:
    unknown = set(node.attrs) - _ATTRIBUTES[node.name]
    if unknown:
        raise InvalidPid("511", f"<{node.name}> has unknown attribute {sorted(unknown)[0]!r}")
    for child in node.children:
        if child.name not in _CHILDREN.get(node.name, frozenset()):
            raise InvalidPid("511", f"<{node.name}> cannot contain <{child.name}>")
        _check_shape(child)


def build_pid(node: PidNode) -> Pid:
    if node.name != "Pid":
        raise InvalidPid("511", f"the root element is <{node.name}>, expected <Pid>")
    _check_shape(node)
    ts = node.attrs.get("ts", "")
    if parse_ts(ts) is None:
        raise InvalidPid("511", f"Pid ts {ts!r} is not YYYY-MM-DDThh:mm:ss")
    ver = node.attrs.get("ver")
    if ver != PID_VERSION:
        raise InvalidPid("541", f"Pid ver is {ver!r}, expected {PID_VERSION!r}")
    wadh = node.attrs.get("wadh") or None
    if wadh is not None and len(_b64(wadh, "552", "wadh")) != 32:
        raise InvalidPid("552", "Pid wadh is not base64 of a 32-byte SHA-256 digest")
    demo_node, bios_node, pv_node = node.child("Demo"), node.child("Bios"), node.child("Pv")
    if demo_node is None and bios_node is None and pv_node is None:
        raise InvalidPid("901", "the PID has no Demo, Bios or Pv")
    return Pid(
        ts=ts,
        ver=ver,
        wadh=wadh,
        demo=None if demo_node is None else _demo(demo_node),
        bios=() if bios_node is None else _bios(bios_node),
        pv=None if pv_node is None else _pv(pv_node),
    )


def _demo(node: PidNode) -> Demo:
    lang = node.attrs.get("lang") or None
    if lang is not None and lang not in LANGUAGES:
        raise InvalidPid("568", f"Demo lang {lang!r} is not a supported language code")
    pa_node, pfa_node = node.child("Pa"), node.child("Pfa")
    if pa_node is not None and pfa_node is not None:
        raise InvalidPid("913", "Demo has both Pa and Pfa")
    pi_node = node.child("Pi")
    return Demo(
        lang=lang,
        pi=None if pi_node is None else _pi(pi_node, lang),
        pa=None if pa_node is None else _pa(pa_node),
        pfa=None if pfa_node is None else _pfa(pfa_node, lang),
    )


def _pi(node: PidNode, lang: str | None) -> Pi:
    a = node.attrs
    if not set(a) - {"ms", "mv", "lmv"}:
        raise InvalidPid("710", "Pi has no attribute to match (name, gender, dob, ...)")
    gender = a.get("gender")
    if gender is not None and gender not in {"M", "F", "T"}:
        raise InvalidPid("511", f"Pi gender {gender!r} is not M, F or T")
    dob = a.get("dob")
    if dob is not None and not _valid_dob(dob):
        raise InvalidPid("902", f"Pi dob {dob!r} is not YYYY-MM-DD or YYYY")
    dobt = a.get("dobt")
    if dobt is not None and dobt not in {"V", "D", "A"}:
        raise InvalidPid("902", f"Pi dobt {dobt!r} is not V, D or A")
    age = a.get("age")
    if age is not None and not (age.isdigit() and 0 < int(age) <= 150):
        raise InvalidPid("511", f"Pi age {age!r} is not a whole number of years from 1 to 150")
    phone = a.get("phone")
    if phone is not None and not _PHONE.match(phone):
        raise InvalidPid("511", f"Pi phone {phone!r} is not a phone number")
    email = a.get("email")
    if email is not None and "@" not in email:
        raise InvalidPid("511", f"Pi email {email!r} is not an e-mail address")
    lname = a.get("lname")
    if lname is not None:
        _check_local("Pi", "lname", lname, lang)
    return Pi(
        ms=_ms(a, "Pi"),
        mv=_match_value(a, "Pi", "mv"),
        name=a.get("name"),
        lname=lname,
        lmv=_match_value(a, "Pi", "lmv"),
        gender=gender,
        dob=dob,
        dobt=dobt,
        age=None if age is None else int(age),
        phone=phone,
        email=email,
    )


def _pa(node: PidNode) -> Pa:
    if node.attrs.get("ms", "E") != "E":
        raise InvalidPid("911", f'Pa ms {node.attrs["ms"]!r}: Pa is matched exactly, ms="E"')
    values = {f: v for f in PA_FIELDS if (v := node.attrs.get(f))}
    if not values:
        raise InvalidPid("720", "Pa has no address attribute (house, street, loc, vtc, pc...)")
    return Pa(**values)


def _pfa(node: PidNode, lang: str | None) -> Pfa:
    a = node.attrs
    av, lav = a.get("av") or None, a.get("lav") or None
    if av is None and lav is None:
        raise InvalidPid("721", "Pfa has neither av nor lav")
    if lav is not None:
        _check_local("Pfa", "lav", lav, lang)
    return Pfa(
        ms=_ms(a, "Pfa"),
        mv=_match_value(a, "Pfa", "mv"),
        av=av,
        lav=lav,
        lmv=_match_value(a, "Pfa", "lmv"),
    )


def _bios(node: PidNode) -> tuple[Bio, ...]:
    if not node.children:
        raise InvalidPid("810", "Bios has no Bio element")
    bios = []
    for bio in node.children:
        kind, posh = bio.attrs.get("type", ""), bio.attrs.get("posh", "UNKNOWN")
        if kind not in BioType.__members__:
            raise InvalidPid("800", f"Bio type {kind!r} is not FMR, FIR, IIR or FID")
        value = bio.attrs.get("value", "")
        if not value:
            raise InvalidPid("810", f"Bio {kind} {posh} has no data")
        bios.append(Bio(BioType(kind), posh, _b64(value, "800", f"Bio {kind} {posh}")))
    return tuple(bios)


def _pv(node: PidNode) -> Pv:
    otp, pin = node.attrs.get("otp") or None, node.attrs.get("pin") or None
    if otp is None and pin is None:
        raise InvalidPid("740", "Pv has neither otp nor pin")
    return Pv(otp=otp, pin=pin)


# -- attribute rules --------------------------------------------------------------------------


def _ms(attrs: Mapping[str, str], element: str) -> MatchStrategy:
    ms = attrs.get("ms", "E")
    if ms not in {"E", "P"}:
        raise InvalidPid("911", f"{element} ms {ms!r} is not E or P")
    return MatchStrategy(ms)


def _match_value(attrs: Mapping[str, str], element: str, name: str) -> int:
    value = attrs.get(name, "100")
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 100):
        raise InvalidPid("910", f"{element} {name} {value!r} is not a whole number from 1 to 100")
    return int(value)


def _check_local(element: str, name: str, value: str, lang: str | None) -> None:
    if lang is None:
        raise InvalidPid("567", f"{element} {name} is sent without Demo lang")
    if value.isascii():
        raise InvalidPid(
            "567",
            f"{element} {name} is in Latin letters; it must be in {LANGUAGES[lang]} script",
        )


def _valid_dob(dob: str) -> bool:
    if not _DOB.match(dob):
        return False
    try:
        born = date.fromisoformat(dob) if len(dob) == 10 else date(int(dob), 1, 1)
    except ValueError:
        return False
    return born.year >= 1870


def _b64(value: str, code: str, what: str) -> bytes:
    try:
        return base64.b64decode(b"".join(value.encode("ascii", "replace").split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPid(code, f"{what} is not base64") from None


def parse_ts(ts: str) -> datetime | None:
    """The PID ts (IST wall time, no offset) as a naive datetime, or None when malformed."""
    if len(ts) != 19:
        return None
    try:
        if _TS_DIGITS.fullmatch(ts):  # the usual form, without strptime's cost (~4 per auth)
            return datetime(
                int(ts[:4]), int(ts[5:7]), int(ts[8:10]), int(ts[11:13]), int(ts[14:16]),
                int(ts[17:]),
            )  # fmt: skip
        return datetime.strptime(ts, TS_FORMAT)  # what else strptime takes (" 5" for a day)
    except ValueError:
        return None
