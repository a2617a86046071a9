"""Biometrics without hardware: every resident's records, derived, and the sandbox's matcher.

Each resident has 13 positions (the ``posh`` values of Auth API 2.5): 10 fingers, 2 irises and
the face. A finger has an FMR (minutiae) and an FIR (image) record, an iris an IIR, the face an
FID. A record is derived, never stored: an ISO-like 4-byte header (``FMR\\0``, ``FIR\\0``,
``IIR\\0``, ``FAC\\0``) then HMAC-SHA256(secret, "bio|world|uid|type|posh|counter") blocks up to
a plausible size. The bytes are opaque: they are not real minutiae or images and no ISO 19794
reader will parse them. The world id is in the key, so the same persona has other records in
another partner's world (persona keys and numbers are the same everywhere, their biometrics are
not).

Matching is exact: a real matcher scores two captures of the same finger, the sandbox's record
matches when its bytes equal the published record of that type and position (``UNKNOWN``, the
device's "finger not known", matches any finger). No I/O here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from identity.errors import AuthRefused
from identity.models import Bio, BioType

SIDES = ("LEFT", "RIGHT")
FINGERS: tuple[str, ...] = tuple(
    f"{side}_{finger}"
    for side in SIDES
    for finger in ("INDEX", "LITTLE", "MIDDLE", "RING", "THUMB")
)
IRISES: tuple[str, ...] = ("LEFT_IRIS", "RIGHT_IRIS")
FACE = "FACE"
UNKNOWN = "UNKNOWN"
POSITIONS: tuple[str, ...] = (*FINGERS, *IRISES, FACE)

TYPES_OF: dict[str, tuple[BioType, ...]] = {
    **dict.fromkeys(FINGERS, (BioType.FMR, BioType.FIR)),
    **dict.fromkeys(IRISES, (BioType.IIR,)),
    FACE: (BioType.FID,),
}
"""The record types each position has."""

HEADERS: dict[BioType, bytes] = {
    BioType.FMR: b"FMR\x00",
    BioType.FIR: b"FIR\x00",
    BioType.IIR: b"IIR\x00",
    BioType.FID: b"FAC\x00",
}
SIZES: dict[BioType, int] = {
    BioType.FMR: 512,  # a minutiae template is a few hundred bytes
    BioType.FIR: 2048,  # images are larger; kept small enough for a test's PID
    BioType.IIR: 2048,
    BioType.FID: 4096,
}


@dataclass(frozen=True, slots=True)
class Record:
    type: BioType
    posh: str
    data: bytes


def record(secret: str, world_id: str, uid: str, kind: BioType, posh: str) -> bytes:
    """The record of ``uid`` in ``world_id`` for one type and position."""
    if kind not in TYPES_OF.get(posh, ()):
        raise ValueError(f"no {kind} record at {posh}")
    key = secret.encode()
    out = bytearray(HEADERS[kind])
    counter = 0
    while len(out) < SIZES[kind]:
        message = f"bio|{world_id}|{uid}|{kind}|{posh}|{counter}".encode()
        out += hmac.new(key, message, hashlib.sha256).digest()
        counter += 1
    return bytes(out[: SIZES[kind]])


def records(secret: str, world_id: str, uid: str) -> list[Record]:
    """Every record of a resident, in ``POSITIONS`` order (fingers: FMR then FIR)."""
    return [
        Record(kind, posh, record(secret, world_id, uid, kind, posh))
        for posh in POSITIONS
        for kind in TYPES_OF[posh]
    ]


def declared_types(bt: str | None) -> set[BioType]:
    """Uses ``bt`` (``"FMR,FIR"``; commas or spaces) as types; 550 for a name that is none."""
    names = [n for n in (bt or "").replace(",", " ").split() if n]
    unknown = [n for n in names if n not in BioType.__members__]
    if unknown:
        raise AuthRefused(
            "550", f"Uses bt names {unknown[0]!r}", hint="bt lists FMR, FIR, IIR or FID."
        )
    return {BioType(n) for n in names}


def check_bios(bios: Iterable[Bio], bt: str | None) -> None:
    """The rules of the Bios before matching: each type declared in bt (550), a known position
    for its type (800), no finger or iris twice (310, 311)."""
    declared = declared_types(bt)
    seen: set[str] = set()
    for bio in bios:
        if bio.type not in declared:
            raise AuthRefused(
                "550",
                f"the PID has a {bio.type} Bio but Uses bt is {bt!r}",
                hint=f"Add {bio.type} to bt in Uses.",
            )
        finger_type = bio.type in (BioType.FMR, BioType.FIR)
        if not (bio.type in TYPES_OF.get(bio.posh, ()) or (finger_type and bio.posh == UNKNOWN)):
            raise AuthRefused(
                "800",
                f"Bio posh {bio.posh!r} is not a position of a {bio.type} record",
                hint="Fingers (FMR, FIR): LEFT_INDEX ... RIGHT_THUMB or UNKNOWN; irises (IIR): "
                "LEFT_IRIS, RIGHT_IRIS; the face (FID): FACE.",
            )
        if bio.posh in seen and bio.posh != UNKNOWN:
            code = "311" if bio.type is BioType.IIR else "310"
            raise AuthRefused(code, f"Bio posh {bio.posh} is sent twice")
        seen.add(bio.posh)


def match_bios(bios: Iterable[Bio], expected: Callable[[BioType, str], bytes]) -> None:
    """300 unless every Bio equals the resident's record (``expected(type, posh)``) at its
    position, or, for ``UNKNOWN``, at one of the ten fingers."""
    for bio in bios:
        places = FINGERS if bio.posh == UNKNOWN else (bio.posh,)
        if not any(hmac.compare_digest(bio.data, expected(bio.type, p)) for p in places):
            raise AuthRefused(
                "300",
                f"the {bio.type} record at {bio.posh} does not match the resident's",
                hint="Send the record published for this resident and position "
                "(GET /v1/sandbox/personas/{key}/biometrics), or capture it with "
                "`sandbox rd-service`; the sandbox's matcher is exact.",
            )
