"""Consent's domain types and rules (no I/O): statuses and their transitions, purposes and the
fair-use rules, the usable consent handed to the FI part, and the consent log's hash chain.

Names and values follow ReBIT NBFC-AA API 2.0.0 (``AA_2_0_0.yaml``): ``ConsentStatus`` of a
handle (``definitions/Consent``), the artefact's ``status`` (``definitions/ConsentArtefact``),
``SignedConsentDetail``'s fields, and the purpose codes of the AA technical specification
(``https://api.rebit.org.in/aa/purpose/<code>.xml``).
"""

from __future__ import annotations

import calendar
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

VERSION = "2.0.0"
AA_ID = "sandbox-aa"  # the AA's id: Notifier.id, DataProvider.id of the artefacts
TIMESTAMP_TOLERANCE_US = 15 * 60 * 1_000_000  # +-15 minutes (aa.md: every body's timestamp)


class ConsentStatus(StrEnum):
    """A consent's one status: PENDING until the customer acts, then an artefact status
    (ACTIVE, PAUSED, REVOKED, EXPIRED) or REJECTED. A PENDING request past its consentExpiry
    is EXPIRED too (it can no longer be approved)."""

    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    PAUSED = "PAUSED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


LIVE = frozenset({ConsentStatus.PENDING, ConsentStatus.ACTIVE, ConsentStatus.PAUSED})


def handle_status(status: str, approved: bool) -> str:
    """``ConsentHandleResponse.ConsentStatus.status``: PENDING, READY (an artefact exists),
    FAILED (rejected) or EXPIRED (a request nobody approved before its consentExpiry)."""
    if status == ConsentStatus.PENDING:
        return "PENDING"
    if status == ConsentStatus.REJECTED:
        return "FAILED"
    if approved:
        return "READY"
    return "EXPIRED"


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    allowed: frozenset[ConsentStatus]
    to: ConsentStatus
    event: str  # platform webhook type


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("approve", frozenset({ConsentStatus.PENDING}), ConsentStatus.ACTIVE, "approved"),
        Transition(
            "reject", frozenset({ConsentStatus.PENDING}), ConsentStatus.REJECTED, "rejected"
        ),
        Transition("pause", frozenset({ConsentStatus.ACTIVE}), ConsentStatus.PAUSED, "paused"),
        Transition("resume", frozenset({ConsentStatus.PAUSED}), ConsentStatus.ACTIVE, "resumed"),
        Transition(
            "revoke",
            frozenset({ConsentStatus.ACTIVE, ConsentStatus.PAUSED}),
            ConsentStatus.REVOKED,
            "revoked",
        ),
    )
}


# -- purposes and fair use -----------------------------------------------------------------------

PURPOSE_URI = "https://api.rebit.org.in/aa/purpose/{code}.xml"


@dataclass(frozen=True, slots=True)
class FairUse:
    """One purpose's limits (Sahamati fair-use guidelines, as ../shared/reference/aa.md gives
    them for 102 and 105; 101, 103 and 104 take 102's limits, the sandbox's assumption)."""

    code: str
    text: str
    fetch_types: frozenset[str]
    max_per_month: float  # Frequency, normalised to fetches per 30 days
    max_data_life_days: float  # DataLife (INF is refused where this is finite)
    max_range_months: int  # FIDataRange.to - FIDataRange.from
    max_range_days: int | None  # a tighter cap in days (105: 1 day)
    max_expiry_months: int  # consentExpiry - consentStart
    max_expiry_days: int | None
    consent_types: frozenset[str]


_ALL_TYPES = frozenset({"PROFILE", "SUMMARY", "TRANSACTIONS"})
_BOTH = frozenset({"ONETIME", "PERIODIC"})


def _periodic(code: str, text: str, fetch_types: frozenset[str] = _BOTH) -> FairUse:
    return FairUse(code, text, fetch_types, 45, 31, 13, None, 12, None, _ALL_TYPES)


PURPOSES: dict[str, FairUse] = {
    p.code: p
    for p in (
        _periodic("101", "Wealth management service"),
        _periodic("102", "Customer spending patterns, budget or other reportings"),
        _periodic("103", "Aggregated statement"),
        _periodic(
            "104", "Explicit consent for monitoring of the accounts", frozenset({"PERIODIC"})
        ),
        FairUse(
            "105",
            "Explicit one-time consent for the accounts",
            frozenset({"ONETIME"}),
            max_per_month=1,
            max_data_life_days=1,
            max_range_months=1,
            max_range_days=1,
            max_expiry_months=1,
            max_expiry_days=1,
            consent_types=frozenset({"PROFILE", "SUMMARY"}),
        ),
    )
}

UNIT_HOURS = {"HOUR": 1, "DAY": 24, "MONTH": 24 * 30, "YEAR": 24 * 365}
UNIT_DAYS = {"DAY": 1, "MONTH": 31, "YEAR": 366}
HOUR_US = 3600 * 1_000_000
FETCH_TYPES_FI = frozenset({"DEPOSIT", "TERM_DEPOSIT", "RECURRING_DEPOSIT"})  # what the FIPs hold


def per_month(unit: str, value: float) -> float:
    """A Frequency as fetches per 30 days."""
    return value * (24 * 30) / UNIT_HOURS[unit]


def frequency_window_us(unit: str) -> int:
    """The sliding window a Frequency counts fetches in (MONTH 30 days, YEAR 365 days)."""
    return UNIT_HOURS[unit] * HOUR_US


def data_life_days(unit: str, value: float) -> float:
    return float("inf") if unit == "INF" else value * UNIT_DAYS[unit]


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months (the 31st of a shorter month becomes its last day)."""
    total = moment.month - 1 + months
    year, month = moment.year + total // 12, total % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# -- accounts ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsentAccount:
    """An account a consent covers: the artefact's ``Accounts`` item plus the sandbox's own
    account number (never sent to the FIU) for the FIP to build statements from."""

    fi_type: str
    fip_id: str  # the bank's code in the world
    acc_type: str  # SAVINGS, CURRENT
    link_ref_number: str
    masked_acc_number: str
    account_number: str

    def wire(self) -> dict[str, str]:
        return {
            "fiType": self.fi_type,
            "fipId": self.fip_id,
            "accType": self.acc_type,
            "linkRefNumber": self.link_ref_number,
            "maskedAccNumber": self.masked_acc_number,
        }

    def stored(self) -> dict[str, str]:
        return {**self.wire(), "accountNumber": self.account_number}

    @classmethod
    def of(cls, row: dict[str, Any]) -> ConsentAccount:
        return cls(
            row["fiType"],
            row["fipId"],
            row["accType"],
            row["linkRefNumber"],
            row["maskedAccNumber"],
            row["accountNumber"],
        )


def mask(number: str) -> str:
    """``XXXXXXXX4020``: all but the last four digits hidden."""
    return "X" * max(len(number) - 4, 0) + number[-4:]


# -- the consent the FI part uses ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsableConsent:
    """An ACTIVE consent artefact checked usable now (``service.usable.usable_consent``): what
    an FI request needs to know of it. Times are world time in microseconds."""

    consent_id: str
    handle: str
    world_id: str
    customer_id: str
    resident_uid: str
    purpose_code: str
    consent_mode: str  # VIEW STORE QUERY STREAM
    fetch_type: str  # ONETIME PERIODIC
    consent_types: tuple[str, ...]  # PROFILE SUMMARY TRANSACTIONS
    fi_types: tuple[str, ...]
    accounts: tuple[ConsentAccount, ...]
    fi_from_us: int  # FIDataRange.from
    fi_to_us: int  # FIDataRange.to
    data_life_unit: str
    data_life_value: int
    frequency_unit: str
    frequency_value: int
    data_filters: tuple[dict[str, str], ...]
    consent_start_us: int
    consent_expiry_us: int
    signed_consent: str
    use_count: int
    last_use_us: int | None

    @property
    def digital_signature(self) -> str:
        """The signature part of ``signedConsent``: what FI/request's
        ``Consent.digitalSignature`` must equal."""
        return self.signed_consent.rsplit(".", 1)[1]

    def data_life_end_us(self, fetched_us: int) -> int | None:
        """Until when the FIU may keep data fetched at ``fetched_us`` (None: no limit, INF)."""
        if self.data_life_unit == "INF":
            return None
        days = data_life_days(self.data_life_unit, self.data_life_value)
        return fetched_us + int(days * 24 * HOUR_US)

    def account(self, link_ref_number: str) -> ConsentAccount | None:
        return next((a for a in self.accounts if a.link_ref_number == link_ref_number), None)


# -- the consent log's hash chain ----------------------------------------------------------------

GENESIS = "0" * 64


def log_hash(prev_hash: str, seq: int, at_us: int, kind: str, data: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON: changing, removing or
    reordering any entry changes every hash after it."""
    entry = json.dumps(
        {"prev": prev_hash, "seq": seq, "at": at_us, "kind": kind, "data": data},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(entry.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    at_us: int
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class LogCheck:
    ok: bool
    entries: int
    broken_at: int | None  # the first seq whose hash or link does not hold
    reason: str | None


def verify_log(entries: list[LogEntry]) -> LogCheck:
    """Recompute the chain: each entry links to the hash before it, has the next seq, and its
    hash is what ``log_hash`` gives for its content."""
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            return LogCheck(False, len(entries), entry.seq, f"seq {entry.seq} != {expected_seq}")
        if entry.prev_hash != prev:
            return LogCheck(False, len(entries), entry.seq, "prev_hash does not link")
        if log_hash(prev, entry.seq, entry.at_us, entry.kind, entry.data) != entry.hash:
            return LogCheck(False, len(entries), entry.seq, "hash does not match the content")
        prev = entry.hash
    return LogCheck(True, len(entries), None, None)


# -- FI sessions ---------------------------------------------------------------------------------


class SessionStatus(StrEnum):
    """An FI session's status (``FIStatusNotification.sessionStatus``)."""

    ACTIVE = "ACTIVE"  # the FIPs' data is ready (or being prepared) and not all delivered
    COMPLETED = "COMPLETED"  # every account's data was delivered by FI/fetch
    EXPIRED = "EXPIRED"  # past its fetch window: the data is gone (DataGone)
    FAILED = "FAILED"  # no FIP could serve it (never, with the sandbox's own FIPs)


class FIStatus(StrEnum):
    """An account's status within a session (``FIStatusResponse.Accounts.FIStatus``)."""

    READY = "READY"
    DENIED = "DENIED"
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    TIMEOUT = "TIMEOUT"


SESSION_TTL_US = 24 * HOUR_US
"""How long a session's data stays fetchable: 24 hours of world time after the FI request (the
AA holds FI data only in transit; the FIU keeps it for the consent's DataLife). After that,
FI/fetch answers DataGone (410) and the session reads EXPIRED."""


@dataclass(frozen=True, slots=True)
class SessionAccount:
    """One account of an FI session: the consent's account and its FIStatus."""

    fip_id: str
    link_ref_number: str
    masked_acc_number: str
    fi_type: str
    fi_status: str
    description: str = ""

    def stored(self) -> dict[str, str]:
        return {
            "fipId": self.fip_id,
            "linkRefNumber": self.link_ref_number,
            "maskedAccNumber": self.masked_acc_number,
            "fiType": self.fi_type,
            "FIStatus": self.fi_status,
            "description": self.description,
        }

    @classmethod
    def of(cls, row: dict[str, Any]) -> SessionAccount:
        return cls(
            row["fipId"],
            row["linkRefNumber"],
            row["maskedAccNumber"],
            row["fiType"],
            row["FIStatus"],
            row.get("description", ""),
        )


def fi_status_response(accounts: tuple[SessionAccount, ...]) -> list[dict[str, Any]]:
    """``FIStatusResponse``: the accounts grouped by FIP, in order of first appearance."""
    by_fip: dict[str, list[dict[str, str]]] = {}
    for a in accounts:
        by_fip.setdefault(a.fip_id, []).append(
            {
                "linkRefNumber": a.link_ref_number,
                "FIStatus": a.fi_status,
                "description": a.description,
            }
        )
    return [{"fipID": fip, "Accounts": items} for fip, items in by_fip.items()]
