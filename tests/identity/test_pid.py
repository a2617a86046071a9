"""The PID block: the envelopes real clients send parse to one Pid; each broken rule, its code."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from identity.errors import InvalidPid, StaleRequest
from identity.models import BioType, Demo, MatchStrategy, Pa, Pfa, Pi, Pid, Pv
from identity.pid import check_ts, parse_pid_json, parse_pid_xml
from identity.pid_rules import TS_FORMAT, parse_ts

NS20 = "http://www.uidai.gov.in/authentication/uid-auth-request/2.0"
NS25 = "http://www.uidai.gov.in/authentication/uid-auth-request/2.5"
TS = "2026-09-21T19:43:20"
WADH = base64.b64encode(hashlib.sha256(b"2.5FYNNN").digest()).decode()

EXPECTED = Pid(
    ts=TS,
    ver="2.0",
    demo=Demo(
        lang="06",
        pi=Pi(ms=MatchStrategy.PARTIAL, mv=80, name="Asha Verma", lname="आशा वर्मा", gender="F"),
    ),
    pv=Pv(otp="123456"),
)

ENVELOPES = {
    "no namespace": (
        f'<Pid ts="{TS}" ver="2.0"><Demo lang="06"><Pi ms="P" mv="80" name="Asha Verma" '
        'lname="आशा वर्मा" gender="F"/></Demo><Pv otp="123456"/></Pid>'
    ),
    "default namespace 2.0, declaration, pretty-printed": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Pid xmlns="{NS20}" ts="{TS}" ver="2.0">\n'
        '    <Demo lang="06">\n'
        '        <Pi ms="P" mv="80" name="Asha Verma" lname="आशा वर्मा" gender="F"/>\n'
        "    </Demo>\n"
        '    <Pv otp="123456"/>\n'
        "</Pid>\n"
    ),
    "default namespace 2.5": (
        f'<Pid xmlns="{NS25}" ts="{TS}" ver="2.0"><Demo lang="06"><Pi ms="P" mv="80" '
        'name="Asha Verma" lname="आशा वर्मा" gender="F"></Pi></Demo><Pv otp="123456"/></Pid>'
    ),
    "prefixed ns2:Pid, unqualified children, single quotes": (
        f"<?xml version='1.0' encoding='UTF-8'?><ns2:Pid xmlns:ns2='{NS20}' ts='{TS}' ver='2.0'>"
        "<Demo lang='06'><Pi ms='P' mv='80' name='Asha Verma' lname='आशा वर्मा' gender='F'/>"
        "</Demo><!-- captured by the AUA app --><Pv otp='123456'/></ns2:Pid>"
    ),
}


@pytest.mark.parametrize("document", ENVELOPES.values(), ids=ENVELOPES.keys())
def test_each_envelope_parses_to_the_same_pid(document: str) -> None:
    assert parse_pid_xml(document.encode("utf-8")) == EXPECTED


def test_the_json_renditions_parse_to_the_same_pid() -> None:
    body: dict[str, Any] = {
        "ts": TS,
        "ver": "2.0",
        "demo": {"lang": "06", "pi": {"ms": "P", "mv": 80, "name": "Asha Verma", "gender": "F"}},
        "pv": {"otp": "123456"},
    }
    body["demo"]["pi"]["lname"] = "आशा वर्मा"
    data = json.dumps(body, ensure_ascii=False).encode()  # "type": "J", as decrypted
    assert parse_pid_json(json.loads(data)) == EXPECTED
    capitalised = {"Pid": {"TS": TS, "Ver": "2.0", "Demo": body["demo"], "PV": body["pv"]}}
    assert parse_pid_json(capitalised) == EXPECTED


def test_every_part_of_a_full_pid() -> None:
    finger = base64.b64encode(b"minutiae").decode()
    pid = parse_pid_xml(
        f"""<Pid ts="{TS}" ver="2.0" wadh="{WADH}">
          <Demo><Pa house="12" street="MG Road" loc="Andheri" pc="400053"/></Demo>
          <Bios dih="x"><Bio type="FMR" posh="LEFT_INDEX" bs="sig">
            {finger[:4]}
            {finger[4:]}
          </Bio></Bios>
          <Pv pin="123456"/>
        </Pid>""".encode()
    )
    assert pid.wadh == WADH
    assert pid.demo == Demo(pa=Pa(house="12", street="MG Road", loc="Andheri", pc="400053"))
    assert [(b.type, b.posh, b.data) for b in pid.bios] == [
        (BioType.FMR, "LEFT_INDEX", b"minutiae")
    ]
    assert pid.pv == Pv(pin="123456")
    pfa = parse_pid_json({"ts": TS, "ver": "2.0", "demo": {"pfa": {"ms": "P", "av": "x"}}})
    assert pfa.demo == Demo(pfa=Pfa(ms=MatchStrategy.PARTIAL, av="x"))


def _pi(attrs: str, demo: str = "") -> bytes:
    return f'<Pid ts="{TS}" ver="2.0"><Demo {demo}><Pi {attrs}/></Demo></Pid>'.encode()


REFUSED = {
    "not XML": (b"<Pid ts=", "511", "well-formed"),
    "a DOCTYPE": (
        b'<!DOCTYPE Pid [<!ENTITY x "y">]><Pid ts="2026-09-21T19:43:20" ver="2.0"/>',
        "511",
        "DOCTYPE",
    ),
    "another root": (b"<Auth/>", "511", "<Auth>"),
    "an unknown attribute": (_pi('nmae="Asha"'), "511", "'nmae'"),
    "an unknown element": (
        f'<Pid ts="{TS}" ver="2.0"><Demo><PI name="x"/></Demo></Pid>'.encode(),
        "511",
        "<PI>",
    ),
    "two Demo": (
        f'<Pid ts="{TS}" ver="2.0"><Demo/><Demo/></Pid>'.encode(),
        "511",
        "2 times",
    ),
    "a ts with an offset": (
        b'<Pid ts="2026-09-21T19:43:20+05:30" ver="2.0"><Pv otp="1"/></Pid>',
        "511",
        "ts",
    ),
    "PID version 2.5": (f'<Pid ts="{TS}" ver="2.5"><Pv otp="1"/></Pid>'.encode(), "541", "ver"),
    "a short wadh": (
        f'<Pid ts="{TS}" ver="2.0" wadh="YWJj"><Pv otp="1"/></Pid>'.encode(),
        "552",
        "wadh",
    ),
    "no auth data": (f'<Pid ts="{TS}" ver="2.0"/>'.encode(), "901", "no Demo"),
    "an unknown lang": (_pi('name="x"', 'lang="99"'), "568", "lang"),
    "lname without lang": (_pi('lname="आशा"'), "567", "lname"),
    "lname in Latin letters": (_pi('lname="Asha"', 'lang="06"'), "567", "lname"),
    "an empty Pi": (_pi('ms="E"'), "710", "Pi"),
    "a bad gender": (_pi('gender="X"'), "511", "gender"),
    "a bad dob": (_pi('dob="1990-02-30"'), "902", "dob"),
    "a two-digit year": (_pi('dob="90"'), "902", "dob"),
    "a bad dobt": (_pi('dob="1990" dobt="X"'), "902", "dobt"),
    "mv 0": (_pi('ms="P" mv="0" name="x"'), "910", "mv"),
    "mv 101": (_pi('ms="P" mv="101" name="x"'), "910", "mv"),
    "lmv abc": (_pi('ms="P" lmv="abc" lname="आशा"', 'lang="06"'), "910", "lmv"),
    "ms X": (_pi('ms="X" name="x"'), "911", "ms"),
    "a bad age": (_pi('age="-3"'), "511", "age"),
    "a bad phone": (_pi('phone="call me"'), "511", "phone"),
    "a bad email": (_pi('email="asha"'), "511", "email"),
    "Pa with ms P": (
        f'<Pid ts="{TS}" ver="2.0"><Demo><Pa ms="P" loc="x"/></Demo></Pid>'.encode(),
        "911",
        "Pa ms",
    ),
    "an empty Pa": (f'<Pid ts="{TS}" ver="2.0"><Demo><Pa/></Demo></Pid>'.encode(), "720", "Pa"),
    "an empty Pfa": (
        f'<Pid ts="{TS}" ver="2.0"><Demo><Pfa ms="P"/></Demo></Pid>'.encode(),
        "721",
        "Pfa",
    ),
    "Pa and Pfa": (
        f'<Pid ts="{TS}" ver="2.0"><Demo><Pa loc="x"/><Pfa av="x"/></Demo></Pid>'.encode(),
        "913",
        "both",
    ),
    "an empty Pv": (f'<Pid ts="{TS}" ver="2.0"><Pv/></Pid>'.encode(), "740", "Pv"),
    "no Bio": (f'<Pid ts="{TS}" ver="2.0"><Bios/></Pid>'.encode(), "810", "Bio"),
    "a Bio without data": (
        f'<Pid ts="{TS}" ver="2.0"><Bios><Bio type="FMR" posh="LEFT_INDEX"/></Bios></Pid>'.encode(),
        "810",
        "LEFT_INDEX",
    ),
    "an unknown Bio type": (
        f'<Pid ts="{TS}" ver="2.0"><Bios><Bio type="DNA">AA==</Bio></Bios></Pid>'.encode(),
        "800",
        "DNA",
    ),
    "Bio data not base64": (
        f'<Pid ts="{TS}" ver="2.0"><Bios><Bio type="FIR">%%%</Bio></Bios></Pid>'.encode(),
        "800",
        "base64",
    ),
}


@pytest.mark.parametrize(("document", "code", "named"), REFUSED.values(), ids=REFUSED.keys())
def test_each_broken_rule_has_its_code_and_names_the_attribute(
    document: bytes, code: str, named: str
) -> None:
    with pytest.raises(InvalidPid) as caught:
        parse_pid_xml(document)
    assert caught.value.code == code
    assert named in caught.value.detail
    assert caught.value.extra["err"] == code


def test_json_values_must_be_strings_or_numbers() -> None:
    with pytest.raises(InvalidPid, match="must be a string"):
        parse_pid_json({"ts": TS, "ver": "2.0", "demo": {"pi": {"name": ["Asha"]}}})
    with pytest.raises(InvalidPid, match="JSON object"):
        parse_pid_json({"ts": TS, "ver": "2.0", "demo": "Asha"})


# 2026-09-21T14:13:20Z is 19:43:20 IST: the PID ts above, written at that moment
NOW_US = 1_790_000_000_000_000


@pytest.mark.parametrize(
    ("ts", "code"),
    [
        (TS, None),
        ("2026-09-20T19:43:21", None),  # 23:59:59 old
        ("2026-09-20T19:43:19", "561"),
        ("2026-09-21T19:48:20", None),  # the allowed skew
        ("2026-09-21T19:48:21", "562"),
    ],
)
def test_the_ts_window(ts: str, code: str | None) -> None:
    if code is None:
        check_ts(ts, NOW_US)
        return
    with pytest.raises(StaleRequest) as caught:
        check_ts(ts, NOW_US)
    assert caught.value.code == code


def _strptime(ts: str) -> datetime | None:
    try:
        return datetime.strptime(ts, TS_FORMAT) if len(ts) == 19 else None
    except ValueError:
        return None


@pytest.mark.parametrize(
    "ts",
    [
        TS,
        "2024-02-29T00:00:00",  # a leap day
        "2023-02-29T00:00:00",  # not one
        "2026-13-01T00:00:00",
        "2026-00-10T00:00:00",
        "2026-09-21T24:00:00",
        "2026-09-21T23:59:60",
        "2026-09- 5T19:43:20",  # strptime takes a space-padded day
        "2026-09-21 19:43:20",
        "2026-09-21T19:43:2",
        "0000-01-01T00:00:00",
        "２０２６-09-21T19:43:20",  # full-width digits, which strptime also reads
    ],
)
def test_parse_ts_reads_what_strptime_reads(ts: str) -> None:
    """The fast path (digits at fixed places, no strptime) changes no answer."""
    assert parse_ts(ts) == _strptime(ts)


@given(st.text(alphabet="0123456789-T: ", min_size=19, max_size=19))
def test_parse_ts_agrees_with_strptime_on_any_19_characters(ts: str) -> None:
    assert parse_ts(ts) == _strptime(ts)


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s != "")


@settings(max_examples=50, deadline=None)
@given(name=_TEXT, mv=st.integers(1, 100), email=_TEXT.map(lambda s: f"{s}@example.com"))
def test_xml_and_json_renditions_agree(name: str, mv: int, email: str) -> None:
    pi = {"ms": "P", "mv": str(mv), "name": name, "email": email}
    root = etree.Element("Pid", ts=TS, ver="2.0")
    etree.SubElement(etree.SubElement(root, "Demo"), "Pi", pi)
    from_xml = parse_pid_xml(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    from_json = parse_pid_json({"ts": TS, "ver": "2.0", "demo": {"pi": {**pi, "mv": mv}}})
    assert from_xml == from_json
    assert from_xml.demo is not None
    assert from_xml.demo.pi == Pi(ms=MatchStrategy.PARTIAL, mv=mv, name=name, email=email)
