"""Biometrics without hardware: each persona's derived records, published per world, and the
exact matcher behind ``uses.bio`` (300, 330, 800, 810, 310/311, 550 for bt)."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import httpx
import pytest

from identity import biometrics
from identity.errors import AuthRefused
from identity.models import Bio, BioType
from tests.support.http import PROBLEM, SignedUp
from tests.support.identity import ASHA, auth, certificate, easy, encrypted, pid_ts

pytestmark = pytest.mark.anyio
RAVI = "999999990026"
KABIR = "999999990042"
_txns = itertools.count(1)  # a txn per request: two PID ts may meet when a second ticks (563)


async def published(client: httpx.AsyncClient, who: SignedUp, key: str = "asha") -> Any:
    got = await client.get(f"/v1/sandbox/personas/{key}/biometrics", headers=who.headers)
    assert got.status_code == 200, got.text
    return got.json()


def value_of(found: Any, kind: str = "FMR", posh: str = "LEFT_INDEX") -> str:
    return str(next(r["value"] for r in found["records"] if (r["type"], r["posh"]) == (kind, posh)))


async def bio_auth(
    client: httpx.AsyncClient,
    who: SignedUp,
    bios: list[dict[str, str]],
    *,
    uid: str = ASHA,
    bt: str = "FMR",
) -> dict[str, Any]:
    pid = {"ts": await pid_ts(client, who), "ver": "2.0", "bios": bios}
    return await auth(client, who, easy(pid, uid=uid, txn=f"bio-{next(_txns)}", bio="y", bt=bt))


# -- the records ----------------------------------------------------------------------------


def test_every_position_has_its_records_of_a_plausible_size() -> None:
    found = biometrics.records("secret", "prt_1", ASHA)
    assert [(r.type, r.posh) for r in found][:3] == [
        (BioType.FMR, "LEFT_INDEX"),
        (BioType.FIR, "LEFT_INDEX"),
        (BioType.FMR, "LEFT_LITTLE"),
    ]
    assert len(found) == 10 * 2 + 2 + 1
    assert {r.posh for r in found} == set(biometrics.POSITIONS)
    for r in found:
        assert r.data[:4] == biometrics.HEADERS[r.type]
        assert len(r.data) == biometrics.SIZES[r.type]
    assert len({r.data for r in found}) == len(found), "each record is different"


def test_records_are_derived_from_secret_world_uid_and_position() -> None:
    one = biometrics.record("s", "prt_1", ASHA, BioType.FMR, "LEFT_INDEX")
    assert one == biometrics.record("s", "prt_1", ASHA, BioType.FMR, "LEFT_INDEX")
    for other in (
        biometrics.record("t", "prt_1", ASHA, BioType.FMR, "LEFT_INDEX"),
        biometrics.record("s", "prt_2", ASHA, BioType.FMR, "LEFT_INDEX"),
        biometrics.record("s", "prt_1", RAVI, BioType.FMR, "LEFT_INDEX"),
        biometrics.record("s", "prt_1", ASHA, BioType.FMR, "RIGHT_INDEX"),
    ):
        assert other != one
    with pytest.raises(ValueError, match="no IIR record at LEFT_INDEX"):
        biometrics.record("s", "prt_1", ASHA, BioType.IIR, "LEFT_INDEX")


async def test_published_records_are_stable_and_differ_per_world(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    asha = await published(client, partner)
    assert (asha["key"], asha["uid"], asha["biometricsLocked"]) == ("asha", ASHA, False)
    assert "not real minutiae" in asha["note"]
    assert len(asha["records"]) == 23
    assert await published(client, partner) == asha
    assert (await published(client, partner, "kabir"))["biometricsLocked"] is True
    theirs = await published(client, other_partner)
    assert value_of(theirs) != value_of(asha), "persona keys are shared, their records are not"
    # the other partner's record of asha does not authenticate asha in this world
    bio = {"type": "FMR", "posh": "LEFT_INDEX", "value": value_of(theirs)}
    assert (await bio_auth(client, partner, [bio]))["err"] == "300"
    bio["value"] = value_of(asha)
    assert (await bio_auth(client, partner, [bio]))["ret"] == "y"


async def test_an_unknown_persona_is_404_and_the_route_needs_a_key(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    got = await client.get("/v1/sandbox/personas/nobody/biometrics", headers=partner.headers)
    assert got.status_code == 404, got.text
    assert got.headers["content-type"].startswith(PROBLEM)
    assert got.json()["type"] == "/problems/persona-not-found"
    assert "asha" in got.json()["hint"]
    anonymous = await client.get("/v1/sandbox/personas/asha/biometrics")
    assert anonymous.status_code == 401


# -- matching -------------------------------------------------------------------------------


async def test_the_right_record_authenticates_and_any_other_gives_300(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    asha, ravi = await published(client, partner), await published(client, partner, "ravi")
    right = {"type": "FMR", "posh": "LEFT_INDEX", "value": value_of(asha)}
    answer = await bio_auth(client, partner, [right])
    assert answer["ret"] == "y", answer
    for bios, uid in (
        ([{**right, "posh": "RIGHT_INDEX"}], ASHA),  # another finger of hers
        ([{**right, "value": value_of(ravi)}], ASHA),  # another person's finger
        ([right], RAVI),  # her finger for ravi's number
        ([right, {**right, "posh": "LEFT_RING"}], ASHA),  # one of two is wrong
        ([{**right, "value": base64.b64encode(b"FMR\x00junk").decode()}], ASHA),
    ):
        answer = await bio_auth(client, partner, bios, uid=uid)
        assert (answer["ret"], answer["err"]) == ("n", "300"), (bios, answer)
        assert "biometrics" in answer["hint"]


async def test_every_type_and_unknown_finger_positions_match(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    asha = await published(client, partner)
    bios = [
        {"type": "FIR", "posh": "RIGHT_THUMB", "value": value_of(asha, "FIR", "RIGHT_THUMB")},
        {"type": "IIR", "posh": "LEFT_IRIS", "value": value_of(asha, "IIR", "LEFT_IRIS")},
        {"type": "FID", "posh": "FACE", "value": value_of(asha, "FID", "FACE")},
        {"type": "FMR", "posh": "UNKNOWN", "value": value_of(asha, "FMR", "LEFT_MIDDLE")},
    ]
    answer = await bio_auth(client, partner, bios, bt="FMR,FIR,IIR,FID")
    assert answer["ret"] == "y", answer


async def test_kabir_gives_330_before_matching(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    kabir = await published(client, partner, "kabir")
    for value in (value_of(kabir), "AAAA"):
        bio = {"type": "FMR", "posh": "LEFT_INDEX", "value": value}
        assert (await bio_auth(client, partner, [bio], uid=KABIR))["err"] == "330"


@pytest.mark.parametrize(
    ("bios", "bt", "err"),
    [
        ([], "FMR", "810"),  # uses bio=y, no Bio
        ([{"type": "FMR", "posh": "LEFT_INDEX", "value": ""}], "FMR", "810"),
        ([{"type": "FMR", "posh": "LEFT_INDEX", "value": "%%%"}], "FMR", "800"),
        ([{"type": "XYZ", "posh": "LEFT_INDEX", "value": "AAAA"}], "FMR", "800"),
        ([{"type": "FMR", "posh": "LEFT_TOE", "value": "AAAA"}], "FMR", "800"),
        ([{"type": "FID", "posh": "LEFT_IRIS", "value": "AAAA"}], "FID", "800"),
        ([{"type": "FIR", "posh": "LEFT_INDEX", "value": "AAAA"}], "FMR", "550"),
        ([{"type": "FMR", "posh": "LEFT_INDEX", "value": "AAAA"}], "FMR,XYZ", "550"),
        ([{"type": "FMR", "posh": "LEFT_RING", "value": "AAAA"}] * 2, "FMR", "310"),
        ([{"type": "IIR", "posh": "RIGHT_IRIS", "value": "AAAA"}] * 2, "IIR", "311"),
    ],
)
async def test_malformed_or_missing_biometrics(
    client: httpx.AsyncClient, partner: SignedUp, bios: list[dict[str, str]], bt: str, err: str
) -> None:
    pid: dict[str, Any] = {"ts": await pid_ts(client, partner), "ver": "2.0"}
    if bios:
        pid["bios"] = bios
    else:
        pid["demo"] = {"pi": {"name": "Asha Verma"}}
    uses = {"bio": "y", "bt": bt} if bios else {"pi": "y", "bio": "y", "bt": bt}
    answer = await auth(client, partner, easy(pid, txn=f"bio-{next(_txns)}", **uses))
    assert (answer["ret"], answer["err"]) == ("n", err), answer
    assert answer["hint"]


async def test_bio_xml_through_the_real_encryption(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    asha = await published(client, partner)
    ts = await pid_ts(client, partner)
    pid = (
        f'<Pid ts="{ts}" ver="2.0"><Bios><Bio type="FMR" posh="LEFT_INDEX">'
        f"{value_of(asha)}</Bio></Bios></Pid>"
    ).encode()
    body = encrypted(pid, await certificate(client), ts=ts, bio="y", bt="FMR")
    answer = await auth(client, partner, body)
    assert answer["ret"] == "y", answer


def test_unknown_matches_any_finger_and_only_a_finger() -> None:
    def expected(kind: BioType, posh: str) -> bytes:
        return biometrics.record("s", "w", ASHA, kind, posh)

    thumb = expected(BioType.FMR, "RIGHT_THUMB")
    biometrics.match_bios([Bio(BioType.FMR, "UNKNOWN", thumb)], expected)
    with pytest.raises(AuthRefused) as refused:
        biometrics.check_bios([Bio(BioType.IIR, "UNKNOWN", thumb)], "IIR")
    assert refused.value.code == "800"
