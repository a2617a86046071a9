"""Every identity row of ``GET /v1/sandbox/magic`` reaches its code, through HTTP, the way the
row says. A row without a check fails (``test_every_row_has_a_check``), and so does a code the
slice lists that is neither reached here nor named in ``identity.magic.COVERED_ELSEWHERE`` by a
test file that exists and names it."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from identity import client as aua_side
from identity import magic
from identity.crypto import encrypt_pid
from identity.keys import AuthKey
from tests.support import uidai
from tests.support.clock import advance
from tests.support.http import SignedUp
from tests.support.identity import (
    ASHA,
    easy,
    encrypt_under_wrong_key,
    generate_vid,
    pid_ts,
    read_otp,
    request_otp,
)

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parents[2]


@dataclass
class World:
    client: httpx.AsyncClient
    partner: SignedUp
    key: AuthKey
    other_key: AuthKey
    reached: set[str]

    async def ts(self, offset: int = 0) -> str:
        return await pid_ts(self.client, self.partner, offset=offset)

    async def otp(self, **kw: Any) -> dict[str, Any]:
        answer = await request_otp(self.client, self.partner, **kw)
        if answer["err"]:
            self.reached.add(answer["err"])
        return answer

    async def auth(self, body: dict[str, Any]) -> dict[str, Any]:
        got = await self.client.post("/v1/identity/auth", json=body, headers=self.partner.headers)
        assert got.status_code == 200, got.text
        answer: dict[str, Any] = got.json()
        if answer["err"]:
            assert answer["hint"], answer
            self.reached.add(answer["err"])
        return answer

    async def ekyc(self, body: dict[str, Any], ra: str = "O") -> dict[str, Any]:
        kyc = {**body, "ra": ra, "lr": "N", "de": "N", "pfr": "N"}
        got = await self.client.post("/v1/identity/ekyc", json=kyc, headers=self.partner.headers)
        assert got.status_code == 200, got.text
        answer: dict[str, Any] = got.json()
        if answer["err"]:
            assert answer["hint"], answer
            self.reached.add(answer["err"])
        return answer

    async def pid(self, *, offset: int = 0, **parts: Any) -> dict[str, Any]:
        return {"ts": await self.ts(offset), "ver": "2.0", **parts}

    async def demo(self, uses: dict[str, str] | None = None, **demo: Any) -> dict[str, Any]:
        return await self.auth(easy(await self.pid(demo=demo), **(uses or {"pi": "y"})))


Check = Callable[[World], Awaitable[None]]


async def unknown(w: World) -> None:
    for uid in (magic.UNKNOWN_UID, magic.BAD_CHECK_DIGIT):
        assert (await w.otp(uid=uid))["actn"] == "A201"
        answer = await w.auth(easy(await w.pid(demo={"pi": {"name": "X"}}), uid=uid, pi="y"))
        assert (answer["err"], answer["actn"]) == ("998", "A201")


def no_mobile(channel: str, err: str) -> Check:
    async def check(w: World) -> None:
        for uid in (magic.LAKSHMI, magic.SUNIL):
            assert (await w.otp(uid=uid, channel=channel))["err"] == err

    return check


async def resend(w: World) -> None:
    assert (await w.otp(txn="r-1"))["ret"] == "y"
    answer = await w.otp(txn="r-2")
    assert answer["err"] == "952"
    assert "Ask again" in answer["hint"]


async def otp_auth(w: World, otp: str, txn: str = "o-1", offset: int = 0) -> dict[str, Any]:
    return await w.auth(easy(await w.pid(offset=offset, pv={"otp": otp}), txn=txn, otp="y"))


async def wrong_otp(w: World) -> None:
    await w.otp(txn="o-1")
    otp = await read_otp(w.client, w.partner)
    wrong = "000000" if otp != "000000" else "111111"
    assert (await otp_auth(w, wrong))["err"] == "400"
    assert (await otp_auth(w, otp, offset=-1))["ret"] == "y"


async def used_up(w: World) -> None:
    assert (await otp_auth(w, "123456"))["err"] == "403"  # none requested
    await w.otp(txn="o-1")
    otp = await read_otp(w.client, w.partner)
    wrong = "000000" if otp != "000000" else "111111"
    for i in range(3):
        assert (await otp_auth(w, wrong, offset=-i - 1))["err"] == "400"
    assert (await otp_auth(w, otp, offset=-5))["err"] == "403"  # fourth try
    await advance(w.client, w.partner, 30)
    await w.otp(txn="o-2")
    otp = await read_otp(w.client, w.partner)
    await advance(w.client, w.partner, 600)
    assert (await otp_auth(w, otp, txn="o-2"))["err"] == "403"  # expired


async def other_txn(w: World) -> None:
    await w.otp(txn="o-1")
    otp = await read_otp(w.client, w.partner)
    assert (await otp_auth(w, otp, txn="o-other"))["err"] == "402"


async def kabir(w: World) -> None:
    bio = [{"type": "FMR", "posh": "LEFT_INDEX", "value": "AAAA"}]
    body = easy(await w.pid(bios=bio), uid=magic.KABIR, bio="y", bt="FMR")
    assert (await w.auth(body))["err"] == "330"


async def bio_mismatch(w: World) -> None:
    got = await w.client.get("/v1/sandbox/personas/asha/biometrics", headers=w.partner.headers)
    record = next(r["value"] for r in got.json()["records"] if r["type"] == "FMR")
    bio = [{"type": "FMR", "posh": "RIGHT_INDEX", "value": record}]  # LEFT_INDEX's record
    assert (await w.auth(easy(await w.pid(bios=bio), bio="y", bt="FMR")))["err"] == "300"


def bio_twice(err: str, kind: str, posh: str) -> Check:
    async def check(w: World) -> None:
        bios = [{"type": kind, "posh": posh, "value": "AAAA"}] * 2
        assert (await w.auth(easy(await w.pid(bios=bios), bio="y", bt=kind)))["err"] == err

    return check


async def bad_bio(w: World) -> None:
    for i, bio in enumerate(
        (
            {"type": "XYZ", "value": "AA=="},
            {"type": "FMR", "posh": "LEFT_TOE", "value": "AA=="},
            {"type": "IIR", "posh": "LEFT_INDEX", "value": "AA=="},
            {"type": "FMR", "posh": "LEFT_INDEX", "value": "not base64!"},
        )
    ):
        pid = await w.pid(bios=[bio])
        answer = await w.auth(easy(pid, txn=f"bad-bio-{i}", bio="y", bt="FMR,IIR"))
        assert answer["err"] == "800", (bio, answer)


async def envelope(w: World, err: str, **over: str) -> None:
    body = {**easy(await w.pid(demo={"pi": {"name": "Asha Verma"}}), pi="y"), **over}
    assert (await w.auth(body))["err"] == err


async def stale(w: World, offset: int, err: str) -> None:
    body = easy(await w.pid(offset=offset, demo={"pi": {"name": "Asha Verma"}}), pi="y")
    assert (await w.auth(body))["err"] == err


async def replay(w: World) -> None:
    body = easy(await w.pid(demo={"pi": {"name": "Asha Verma"}}), pi="y")
    assert (await w.auth(body))["ret"] == "y"
    assert (await w.auth(body))["err"] == "563"


async def hmac_of_another(w: World) -> None:
    ts = await w.ts()
    key = bytes(range(32))
    pid = f'<Pid ts="{ts}" ver="2.0"><Demo><Pi name="Asha Verma"/></Demo></Pid>'.encode()
    sent = encrypt_pid(pid, w.key.certificate, ts=ts, session_key=key)
    other = encrypt_pid(pid.replace(b"Asha", b"Ravi"), w.key.certificate, ts=ts, session_key=key)
    body = {
        **{k: v for k, v in easy({}, pi="y").items() if k != "pid"},
        "skey": {"ci": sent.ci, "value": sent.skey},
        "hmac": other.hmac,
        "data": {"type": "X", "value": sent.data},
    }
    assert (await w.auth(body))["err"] == "564"


def pid_row(err: str, uses: dict[str, str], **parts: Any) -> Check:
    async def check(w: World) -> None:
        answer = await w.auth(easy(await w.pid(**parts), **uses))
        assert answer["err"] == err, answer

    return check


async def by_uid(w: World, uid: str, err: str) -> None:
    answer = await w.auth(easy(await w.pid(demo=ASHA_PI), uid=uid, pi="y"))
    assert answer["err"] == err, answer


async def expired_vid(w: World) -> None:
    made = await generate_vid(w.client, w.partner)
    assert made["ret"] == "y", made
    await advance(w.client, w.partner, 366 * 86_400)
    await by_uid(w, made["vid"], "517")


ASHA_PI = {"pi": {"name": "Asha Verma"}}
CHECKS: dict[str, Check] = {
    "998": unknown,
    "111": no_mobile("01", "111"),
    "110": no_mobile("00", "110"),
    "952": resend,
    "400": wrong_otp,
    "403": used_up,
    "402": other_txn,
    "100": lambda w: _expect(w, "100", pi={"name": "Asha Varma"}),
    "200": lambda w: _expect(w, "200", {"pa": "y"}, pa={"pc": "000000"}),
    "300": bio_mismatch,
    "310": bio_twice("310", "FMR", "LEFT_THUMB"),
    "311": bio_twice("311", "IIR", "LEFT_IRIS"),
    "330": kabir,
    "512": lambda w: envelope(w, "512", rc="N"),
    "540": lambda w: envelope(w, "540", ver="2.0"),
    "561": lambda w: stale(w, -25 * 3600, "561"),
    "562": lambda w: stale(w, 3600, "562"),
    "563": replay,
    "500": lambda w: _sealed(w, "500", w.other_key),
    "501": lambda w: _sealed(w, "501", w.key, ci="20000101"),
    "502": lambda w: _sealed(w, "502", w.key, tamper="data"),
    "503": lambda w: _sealed(w, "503", w.key, tamper="hmac"),
    "564": hmac_of_another,
    "511": pid_row("511", {"pi": "y"}, demo={"pi": {"nmae": "Asha Verma"}}),
    "541": lambda w: _pid_ver(w),
    "552": pid_row("552", {"pi": "y"}, wadh="bm90LTMyLWJ5dGVz", demo=ASHA_PI),
    "567": pid_row("567", {"pi": "y"}, demo={"lang": "06", "pi": {"lname": "Asha"}}),
    "568": pid_row("568", {"pi": "y"}, demo={"lang": "99", "pi": {"name": "Asha Verma"}}),
    "710": pid_row("710", {"pi": "y", "pa": "y"}, demo={"pa": {"pc": "1"}}),
    "720": pid_row("720", {"pi": "y", "pa": "y"}, demo=ASHA_PI),
    "721": pid_row("721", {"pi": "y", "pfa": "y"}, demo=ASHA_PI),
    "740": pid_row("740", {"pi": "y", "otp": "y"}, demo=ASHA_PI),
    "810": pid_row("810", {"pi": "y", "bio": "y", "bt": "FMR"}, demo=ASHA_PI),
    "800": bad_bio,
    "901": pid_row("901", {}, demo=ASHA_PI),
    "550": pid_row("550", {"pa": "y"}, demo={"pa": {"pc": "1"}, **ASHA_PI}),
    "902": pid_row("902", {"pi": "y"}, demo={"pi": {"dob": "1990-13-01"}}),
    "910": pid_row("910", {"pi": "y"}, demo={"pi": {"mv": "0", "name": "Asha Verma"}}),
    "911": pid_row("911", {"pi": "y"}, demo={"pi": {"ms": "X", "name": "Asha Verma"}}),
    "913": pid_row(
        "913", {"pa": "y", "pfa": "y"}, demo={"pa": {"pc": "1"}, "pfa": {"av": "somewhere"}}
    ),
    "514": lambda w: by_uid(w, magic.NOT_A_TOKEN, "514"),
    "515": lambda w: by_uid(w, magic.UNKNOWN_VID, "515"),
    "517": expired_vid,
    "510": lambda w: xml_otp(w, "510", document=b""),
    "530": lambda w: xml_otp(w, "530", ac="public"),
    "531": lambda w: xml_otp(w, "531", sa="subaua0001"),
    "542": lambda w: xml_otp(w, "542", asalk="0" * 40),
    "565": lambda w: xml_otp(w, "565", lk="0" * 40),
    "569": lambda w: xml_signed(w, "569"),
    "570": lambda w: xml_signed(w, "570"),
}


async def xml_otp(w: World, err: str, *, document: bytes | None = None, **change: str) -> None:
    """An XML ``<Otp>`` with one credential changed (URL: ac, asalk; document: sa, lk)."""
    creds = await uidai.aua(w.client, w.partner)
    url = {k: v for k, v in change.items() if k in ("ac", "asalk")}
    doc = replace(creds, **{k: v for k, v in change.items() if k in ("sa", "lk")})
    body = uidai.otp_doc(doc, ASHA, "magic-xml") if document is None else document
    answer = await uidai.post(w.client, "otp", creds, ASHA, body, **url)
    res = await uidai.verified(w.client, answer)
    assert answer.headers["x-sandbox-hint"]
    w.reached.add(str(res.get("err")))


async def xml_signed(w: World, err: str) -> None:
    """569: unsigned after registering; 570: signed by another certificate."""
    creds = await uidai.aua(w.client, w.partner)
    _, pem = uidai.aua_key()
    await uidai.register(w.client, w.partner, pem)
    document = uidai.otp_doc(creds, ASHA, "magic-sig")
    if err == "570":
        other_key, other_pem = uidai.aua_key()
        document = uidai.signed_doc(document, other_key, other_pem)
    answer = await uidai.post(w.client, "otp", creds, ASHA, document)
    w.reached.add(str((await uidai.verified(w.client, answer)).get("err")))


EKYC_WADH = base64.b64encode(hashlib.sha256(b"2.5OYNNN").digest()).decode()


async def ekyc_wadh(w: World) -> None:
    """eKYC rows are walked by their value: the code's row above reaches it through /auth."""
    other = base64.b64encode(hashlib.sha256(b"2.5FYNNN").digest()).decode()
    for wadh in ({}, {"wadh": other}):
        body = easy({**await w.pid(pv={"otp": "123456"}), **wadh}, otp="y")
        assert (await w.ekyc(body))["err"] == "552"


async def ekyc_ra(w: World) -> None:
    body = easy(await w.pid(wadh=EKYC_WADH, demo=ASHA_PI), pi="y")
    assert (await w.ekyc(body))["err"] == "550"


async def xml_kyc(w: World) -> None:
    """A <Kyc> of another version (540) and one whose Rad is no <Auth> (510)."""
    creds = await uidai.aua(w.client, w.partner)
    for document, err in (
        (aua_side.kyc_document(b"<Auth/>", ra="O", ver="2.1"), "540"),
        (aua_side.kyc_document(b"<Otp/>", ra="O"), "510"),
    ):
        answer = await uidai.post(w.client, "kyc", creds, ASHA, document)
        resp = etree.fromstring(answer.content)
        assert (resp.get("status"), resp.get("err")) == ("-1", err)
        assert answer.headers["x-sandbox-hint"]
        kyc_res = base64.b64decode(resp.findtext("kycRes") or "")
        jwks = (await w.client.get("/.well-known/jwks.json")).json()
        w.reached.add(str(aua_side.verify_xml_answer(kyc_res, jwks=jwks).get("err")))


BY_VALUE: dict[str, Check] = {
    "eKYC: a PID without wadh, or one that hashes other terms": ekyc_wadh,
    'eKYC: ra naming a factor the uses lack (ra "O" with otp "n")': ekyc_ra,
    'XML eKYC: a <Kyc> whose ver is not "2.5", or whose Rad is not base64 of an <Auth>': xml_kyc,
}


async def _expect(w: World, err: str, uses: dict[str, str] | None = None, **demo: Any) -> None:
    assert (await w.demo(uses, **demo))["err"] == err


async def _sealed(
    w: World, err: str, key: AuthKey, *, ci: str | None = None, tamper: str = ""
) -> None:
    """An encrypted PID under ``key``, with another ``ci`` or a flipped bit in data or hmac."""
    ts = await w.ts()
    pid = f'<Pid ts="{ts}" ver="2.0"><Demo><Pi name="Asha Verma"/></Demo></Pid>'.encode()
    if key is w.key:
        s = encrypt_pid(pid, key.certificate, ts=ts)
    else:
        s = encrypt_under_wrong_key(pid, key, w.key, ts=ts)
    data, hmac = s.data, s.hmac
    if tamper == "data":
        data = _flip(data)
    if tamper == "hmac":
        hmac = _flip(hmac)
    body = {
        **{k: v for k, v in easy({}, pi="y").items() if k != "pid"},
        "skey": {"ci": ci or min(w.key.accepted_ci), "value": s.skey},
        "hmac": hmac,
        "data": {"type": "X", "value": data},
    }
    assert (await w.auth(body))["err"] == err


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    return base64.b64encode(bytes(raw)).decode()


async def _pid_ver(w: World) -> None:
    pid = await w.pid(demo=ASHA_PI)
    assert (await w.auth(easy({**pid, "ver": "1.6"}, pi="y")))["err"] == "541"


@pytest.mark.parametrize("row", magic.ROWS, ids=lambda r: r[1])
async def test_magic_row_reaches_its_code(
    row: tuple[str, str, str],
    client: httpx.AsyncClient,
    partner: SignedUp,
    fixed_auth_key: AuthKey,
    other_auth_key: AuthKey,
) -> None:
    value, code, _ = row
    world = World(client, partner, fixed_auth_key, other_auth_key, set())
    await BY_VALUE.get(value, CHECKS[code])(world)
    assert code in world.reached, (row, world.reached)


async def test_the_served_rows_are_the_ones_walked_here(client: httpx.AsyncClient) -> None:
    served = (await client.get("/v1/sandbox/magic")).json()
    rows = [(m["value"], m["responseCode"]) for m in served["magic"] if m["kind"] == "identity"]
    assert rows == [(value, code) for value, code, _ in magic.ROWS]
    assert {c: served["codes"][c] for c in magic.IMPLEMENTED} == magic.codes()


def test_every_row_has_a_check_and_every_code_a_test() -> None:
    assert {code for _, code, _ in magic.ROWS} == set(CHECKS)
    assert set(BY_VALUE) <= {value for value, _, _ in magic.ROWS}
    for code, where in magic.COVERED_ELSEWHERE.items():
        path = ROOT / where.rsplit(": ", 1)[1]
        assert path.exists(), f"{code} is said to be reached by {path}, which does not exist"
        assert f'"{code}"' in path.read_text(), f"{path.name} never names {code}"
    assert set(magic.IMPLEMENTED) == set(CHECKS) | set(magic.COVERED_ELSEWHERE)
    assert ASHA == magic.ASHA
