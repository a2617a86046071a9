"""Identity's domain types: the PID block of Auth API 2.5 and the resident record it is matched to.

``Pid`` mirrors the PID block of the Auth API 2.5 request (``shared/reference/aadhaar.md``,
section "Auth request", bullet "PID"): ts, ver, wadh; Demo (lang, Pi, Pa, Pfa); Bios; Pv. It is
the one shape that both PID renditions (XML and the sandbox's JSON) parse into
(``identity.pid``). ``Resident`` is what demographic matching (``identity.matching``) compares
with; ``Resident.from_row`` reads the resident rows of the population generator. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from sandbox.population.countries import COUNTRIES

PID_VERSION = "2.0"

LANGUAGES: dict[str, str] = {
    "01": "Assamese",
    "02": "Bengali",
    "05": "Gujarati",
    "06": "Hindi",
    "07": "Kannada",
    "11": "Malayalam",
    "12": "Manipuri",
    "13": "Marathi",
    "15": "Oriya",
    "16": "Punjabi",
    "20": "Tamil",
    "21": "Telugu",
    "22": "Urdu",
}
"""Demo ``lang`` codes of Auth API 2.5 (the local language of ``lname``, ``lav``)."""


class MatchStrategy(StrEnum):
    EXACT = "E"
    PARTIAL = "P"


class BioType(StrEnum):
    FMR = "FMR"  # fingerprint minutiae
    FIR = "FIR"  # fingerprint image
    IIR = "IIR"  # iris image
    FID = "FID"  # face image


@dataclass(frozen=True, slots=True)
class Pi:
    """Personal identity: each attribute sent is matched; ``None`` means not sent."""

    ms: MatchStrategy = MatchStrategy.EXACT
    mv: int = 100
    name: str | None = None
    lname: str | None = None
    lmv: int = 100
    gender: str | None = None
    dob: str | None = None
    dobt: str | None = None
    age: int | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Pa:
    """Personal address, matched exactly field by field (case and spacing aside)."""

    co: str | None = None
    house: str | None = None
    street: str | None = None
    lm: str | None = None
    loc: str | None = None
    vtc: str | None = None
    subdist: str | None = None
    dist: str | None = None
    state: str | None = None
    country: str | None = None
    pc: str | None = None
    po: str | None = None


PA_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Pa))


@dataclass(frozen=True, slots=True)
class Pfa:
    """Full address as free text (``av``) and in the local language (``lav``)."""

    ms: MatchStrategy = MatchStrategy.EXACT
    mv: int = 100
    av: str | None = None
    lav: str | None = None
    lmv: int = 100


@dataclass(frozen=True, slots=True)
class Demo:
    lang: str | None = None
    pi: Pi | None = None
    pa: Pa | None = None
    pfa: Pfa | None = None


@dataclass(frozen=True, slots=True)
class Bio:
    type: BioType
    posh: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Pv:
    otp: str | None = None
    pin: str | None = None


@dataclass(frozen=True, slots=True)
class Pid:
    """One PID block, whichever rendition it came in."""

    ts: str
    ver: str = PID_VERSION
    wadh: str | None = None
    demo: Demo | None = None
    bios: tuple[Bio, ...] = ()
    pv: Pv | None = None


@dataclass(frozen=True, slots=True)
class Address:
    """A resident's address in the Pa attribute names (any part may be unknown)."""

    co: str | None = None
    house: str | None = None
    street: str | None = None
    lm: str | None = None
    loc: str | None = None
    vtc: str | None = None
    subdist: str | None = None
    dist: str | None = None
    state: str | None = None
    country: str | None = None
    pc: str | None = None
    po: str | None = None

    def full_text(self) -> str:
        """The address as one line, in Pa order: what Pfa ``av`` is compared with."""
        return ", ".join(p for f in PA_FIELDS if (p := getattr(self, f)))


@dataclass(frozen=True, slots=True)
class Resident:
    """The enrolled data of one resident, as demographic matching sees it."""

    name: str
    gender: str
    dob: str
    """``YYYY-MM-DD``."""
    name_local: str | None = None
    dob_type: str = "V"
    """V verified, D declared, A approximate (Auth API 2.5 ``dobt``)."""
    phone: str | None = None
    email: str | None = None
    address: Address = Address()
    address_local: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Resident:
        """Read a resident row of ``sandbox.population.generator`` (and the residents table).

        The generator's address has house, street, locality, district, state, postcode and a
        country code; they map to Pa's house, street, loc, dist, state, pc and the country's
        name. It has no co, lm, vtc, subdist or po, so sending those gives a mismatch.
        """
        parts: Mapping[str, Any] = row.get("address") or {}
        code = parts.get("country")
        country = COUNTRIES[code].name if code in COUNTRIES else code
        address = Address(
            house=parts.get("house"),
            street=parts.get("street"),
            loc=parts.get("locality"),
            dist=parts.get("district"),
            state=parts.get("state"),
            country=country,
            pc=parts.get("postcode"),
        )
        return cls(
            name=row["name"],
            gender=row["gender"],
            dob=row["dob"],
            name_local=row.get("name_local"),
            dob_type=row.get("dob_type") or "V",
            phone=row.get("mobile"),
            email=row.get("email"),
            address=address,
        )


# -- the HTTP slice: OTP requests, Uses and auth records --------------------------------------

OTP_TTL_US = 10 * 60 * 1_000_000  # an OTP lives 10 minutes of world time
OTP_RESEND_GAP_US = 30 * 1_000_000  # one OTP per number per 30 s of world time (else 952)
OTP_MAX_WRONG = 3  # wrong tries allowed per OTP; after that 403 for its txn
# The OTP sweeper deletes an OTP this long (world time) after it expired: until then a late try
# is told "expired" (403 with the time), after it "no OTP is waiting" (also 403).
OTP_KEEP_AFTER_EXPIRY_US = 60 * 60 * 1_000_000
FIXED_OTP = "123456"  # every OTP of a partner that set fixedOtp


class OtpChannel(StrEnum):
    """OTP API 2.5 ``ch``: 00 SMS and e-mail, 01 SMS only, 02 e-mail only."""

    BOTH = "00"
    SMS = "01"
    EMAIL = "02"


@dataclass(frozen=True, slots=True)
class OtpRequest:
    """One OTP as stored: only its keyed hash, never the digits."""

    id: str
    uid: str
    txn: str
    channel: OtpChannel
    otp_hash: str
    wrong_tries: int
    created_us: int  # world time, as are the others
    expires_us: int
    used_us: int | None = None


@dataclass(frozen=True, slots=True)
class Uses:
    """The factors an auth request declares (Auth API 2.5 ``Uses``)."""

    pi: bool = False
    pa: bool = False
    pfa: bool = False
    bio: bool = False
    bt: str | None = None
    pin: bool = False
    otp: bool = False

    def wire(self) -> dict[str, str]:
        flags = {n: "y" if getattr(self, n) else "n" for n in ("pi", "pa", "pfa", "bio", "pin")}
        return {**flags, "otp": "y" if self.otp else "n", **({"bt": self.bt} if self.bt else {})}


@dataclass(frozen=True, slots=True)
class AuthRecord:
    """One authentication as the partner's audit trail keeps it (no full ID number)."""

    id: str  # the answer's ``code``
    txn: str
    uid_token: str | None
    uid_last4: str
    ret: str  # "y" | "n"
    err: str | None
    actn: str | None
    uses: dict[str, str]
    easy_path: bool
    pid_ts: str | None
    created_us: int  # world time
    replay_key: str | None = None


# -- VIDs --------------------------------------------------------------------------------------

VID_TTL_US = 365 * 86_400 * 1_000_000  # a VID expires a year of world time after it was made


class VidStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"  # by the resident (POST /v1/identity/vids/{vid}/revoke)
    REPLACED = "REPLACED"  # by a newer VID of the same resident


@dataclass(frozen=True, slots=True)
class Vid:
    """A 16-digit Virtual ID standing for one resident's number."""

    vid: str
    uid: str
    status: VidStatus
    created_us: int  # world time, as are the others
    expires_us: int
    revoked_us: int | None = None
