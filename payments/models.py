"""UPI domain types and rules: transactions, mandates and notices, response codes, magic
values, limits, identifiers, the mandate state machine. No I/O.

Response codes and their meanings follow NPCI's UPI error and response code list (see
``shared/reference/upi.md``); the sandbox implements the subset in ``CODES``.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from sandbox.kit import wire
from sandbox.kit.ids import TIME_DIGITS, base36, random_below, random_digits, time_prefix

# The wire types' own patterns (stated in the OpenAPI): one rule, whichever layer checks it.
TXN_ID = re.compile(wire.TXN_ID.pattern)  # 35 alphanumerics (special characters blocked 2025)
VPA = re.compile(wire.VPA.pattern)
DAY_US = 86_400_000_000
CLEARING = "CLEARING"  # the switch's settlement account: holds money between debit and credit
# The world's boundary: money entering or leaving the world (a top-up by a partner, a payout to
# a bank outside the sandbox) would post against it, so that conservation still holds. No flow
# posts to it yet, which is why the ledger check's externalInflows is "0.00" today.
EXTERNAL = "EXTERNAL"
COLLECT_EXPIRY_SECONDS = 480
COLLECT_EXPIRY_MIN_SECONDS = 60  # PSPs allow from a minute up to 60 days
COLLECT_EXPIRY_MAX_SECONDS = 60 * 86_400
PIN_SET_OTP = "123456"  # the issuer OTP that sets a first UPI PIN (ReqSetCre) in the sandbox


class Status(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    DEEMED = "DEEMED"


FINAL = frozenset({Status.SUCCESS, Status.FAILURE})


class MandateStatus(StrEnum):
    """A UPI AutoPay mandate's state (NPCI ReqMandate CREATE / UPDATE / REVOKE)."""

    PENDING_APPROVAL = "PENDING_APPROVAL"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    DECLINED = "DECLINED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


# States that lapse to EXPIRED once world time passes the mandate's validUntil.
MANDATE_LIVE = frozenset(
    {MandateStatus.PENDING_APPROVAL, MandateStatus.ACTIVE, MandateStatus.PAUSED}
)


class Decline(NamedTuple):
    """Why a check refused: the UPI response code and a human detail (unpacks as a pair)."""

    code: str
    detail: str


# -- what the switch knows and keeps -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
    """A VPA as the switch resolves it: its account, bank and PIN (``None``s: no account)."""

    vpa: str
    name: str
    account_number: str | None
    account_type: str | None
    account_status: str | None
    bank_code: str | None
    bank_online: bool
    ifsc: str | None
    pin_hash: str | None
    registered_us: int
    is_merchant: bool
    merchant_category: str | None


@dataclass(frozen=True, slots=True)
class Transaction:
    """One UPI transaction (PAY, COLLECT, REFUND or MANDATE), as ``upi_transactions`` keeps it.

    Amounts are minor units; times are world time in epoch microseconds.
    """

    txn_id: str
    rrn: str
    type: str  # PAY, COLLECT, REFUND, MANDATE
    status: str  # a Status
    response_code: str
    payer_vpa: str
    payer_account: str | None
    payee_vpa: str
    payee_account: str | None
    amount: int
    currency: str
    note: str | None = None
    ref_id: str | None = None
    original_txn_id: str | None = None  # refunds: the payment refunded
    refunded: int = 0  # payments: how much of it was refunded so far
    mandate_id: str | None = None  # MANDATE: the UMN executed
    settle_at_us: int | None = None  # deemed: when it settles
    settlement: str | None = None  # deemed: TCC or RET, decided with the payment
    expires_us: int | None = None  # collect: when it lapses (U69)
    created_us: int = 0
    updated_us: int = 0


@dataclass(frozen=True, slots=True)
class Mandate:
    """A UPI AutoPay mandate; ``status`` as stored (``status_now`` tells its state now)."""

    umn: str
    status: str  # a MandateStatus
    payer_vpa: str
    payee_vpa: str
    amount_limit: int
    currency: str
    recurrence: str  # ONETIME, DAILY, WEEKLY, MONTHLY, AS_PRESENTED
    purpose: str | None
    valid_from_us: int
    valid_until_us: int
    created_us: int
    updated_us: int


@dataclass(frozen=True, slots=True)
class Notice:
    """A pre-debit notice of a mandate; ``txn_id`` is set once an execution honoured it."""

    id: str
    umn: str
    seq_number: int
    amount: int
    notified_us: int
    execute_after_us: int
    txn_id: str | None = None
    executed_us: int | None = None


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    meaning: str
    hint: str


def _codes(*rows: tuple[str, str, str]) -> dict[str, Code]:
    return {c: Code(c, m, h) for c, m, h in rows}


CODES: dict[str, Code] = _codes(
    ("00", "Success", "Nothing to fix."),
    ("01", "Pending", "Wait for the payer's approval or the expiry; poll the status."),
    ("RB", "Deemed: the credit timed out", "Do not retry; poll the status until TCC or RET."),
    ("ZH", "Invalid VPA", "Check the address with POST /v1/upi/vpa/validate."),
    ("XH", "Remitter account does not exist", "Pay from an existing persona's VPA."),
    ("XI", "Beneficiary account does not exist", "Pay to an existing persona's VPA."),
    ("XY", "Remitter bank (CBS) offline", "The payer's bank is down; try another payer."),
    ("Y1", "Beneficiary bank (CBS) offline", "The payee's bank is down; the debit was reversed."),
    ("AM", "MPIN not set", "Set the UPI PIN first with POST /v1/upi/pin."),
    ("ZR", "Invalid or incorrect OTP", 'Send the sandbox OTP "123456" to set a first UPI PIN.'),
    ("ZM", "Invalid MPIN", "Send the persona's documented UPI PIN (GET /v1/sandbox/personas)."),
    (
        "Z6",
        "Number of PIN tries exceeded",
        "The PIN is locked until the next world day; advance the clock or reset the world.",
    ),
    ("YE", "Remitter account frozen", "Pay from an account that is not frozen."),
    ("YF", "Beneficiary account frozen", "The debit was reversed; pay another payee."),
    ("ZX", "Remitter account dormant", "Pay from an active account."),
    ("ZY", "Beneficiary account dormant", "The debit was reversed; pay an active account."),
    ("Z8", "Per-transaction limit exceeded", "Send a smaller amount (see the country's limits)."),
    ("ZU", "Bank limit exceeded (daily)", "The payer's daily total is used up; advance a day."),
    ("Z9", "Insufficient funds", "Pay less than the payer's balance (balance enquiry shows it)."),
    ("Z7", "Transaction frequency limit exceeded", "Magic amount: use another amount."),
    ("U16", "Risk threshold exceeded", "Magic amount: use another amount."),
    ("U30", "Debit has failed", "Magic amount: use another amount."),
    ("K1", "Suspected fraud, risk decline", "Magic payee: pay another payee."),
    ("ZE", "Transaction not permitted to VPA", "Magic payee: pay another payee."),
    ("ZG", "VPA restricted by customer", "Magic payee: pay another payee."),
    ("B3", "Transaction not permitted to the account", "Magic payee: pay another payee."),
    ("ZA", "Transaction declined by customer", "The payer declined the collect request."),
    ("U69", "Collect request expired", "Send a new collect request; approve it sooner."),
    ("U08", "System exception", "Magic amount: use another amount."),
    ("QA", "Mandate paused", "Resume the mandate before executing it."),
    ("QB", "Mandate already honoured for this notice", "Send a new pre-debit notice."),
    ("QC", "Mandate revoked", "Create a new mandate."),
    ("QD", "Mandate expired", "Create a new mandate."),
)


def status_of(code: str) -> Status:
    if code == "00":
        return Status.SUCCESS
    if code == "RB":
        return Status.DEEMED
    if code == "01":
        return Status.PENDING
    return Status.FAILURE


# -- magic values: every implemented decline can be forced on purpose ------------------------


@dataclass(frozen=True, slots=True)
class Magic:
    kind: str  # "amount" (the minor-unit part of the amount), "payee", "payer"
    value: str
    code: str
    description: str


MAGIC_PAYEES: dict[str, str] = {
    "noaccount@sandbox": "XI",
    "fraud@sandbox": "K1",
    "blocked@sandbox": "ZE",
    "restricted@sandbox": "ZG",
    "notpermitted@sandbox": "B3",
}
# The minor-unit part of an amount (".16" of "100.16") that forces a code; for currencies
# without minor units the last two digits of the whole amount count instead.
MAGIC_CENTS: dict[int, str] = {
    7: "Z7",
    8: "U08",
    16: "U16",
    30: "U30",
    91: "RB",  # deemed, settles later as TCC (credit confirmed)
    92: "RB",  # deemed, settles later as RET (returned to the payer)
}
DEEMED_SETTLE_SECONDS = 300
# How a deemed (RB) magic amount settles DEEMED_SETTLE_SECONDS later: TCC credits the payee,
# RET returns the money to the payer. Decided with the payment and stored on it.
DEEMED_SETTLEMENT: dict[int, str] = {91: "TCC", 92: "RET"}
MAGIC_PAYER_VPA_NO_ACCOUNT = "ghost@sandbox"  # a VPA whose account was closed: XH
# Magic payees the switch refuses before any debit: all but XI, which the beneficiary bank
# answers after the debit (then reversed), exactly like a payee whose account is missing.
MAGIC_PAYEES_BEFORE_DEBIT = frozenset(vpa for vpa, code in MAGIC_PAYEES.items() if code != "XI")


def magic_table() -> list[Magic]:
    """Everything that forces an outcome, for GET /v1/sandbox/magic and the docs."""
    rows = [
        Magic("payee", vpa, code, f"any payment to {vpa} fails with {code}")
        for vpa, code in MAGIC_PAYEES.items()
    ]
    rows.append(
        Magic("payer", MAGIC_PAYER_VPA_NO_ACCOUNT, "XH", "payments from this VPA fail with XH")
    )
    for cents, code in MAGIC_CENTS.items():
        what = {
            91: "deemed (RB); TCC credits the payee 300 s of world time later",
            92: "deemed (RB); RET returns the money to the payer 300 s of world time later",
        }.get(cents, f"fails with {code} before any debit")
        rows.append(
            Magic("amount", f"*.{cents:02d}", code, f"an amount ending in .{cents:02d}: {what}")
        )
    persona_rows = [
        ("pooja@sandbox", "Z9", "low balance (1.00): larger payments fail with Z9"),
        ("farhan@sandbox", "YE / YF", "frozen account: YE as payer, YF (debit reversed) as payee"),
        ("dev@sandbox", "ZX / ZY", "dormant account: ZX as payer, ZY (debit reversed) as payee"),
        ("sanjay@sandbox", "XY / Y1", "offline bank: XY as payer, Y1 (debit reversed) as payee"),
        ("arjun@sandbox", "AM", "UPI PIN not set: payments from him fail with AM"),
        ("any OTP but 123456", "ZR", "setting a first UPI PIN with another OTP fails with ZR"),
        ("any payer", "ZM / Z6", "a wrong PIN gives ZM; the third in a world day gives Z6"),
        ("neha@sandbox", "Z8", "new VPA: over the first-24-hours cap fails with Z8"),
        ("any payer", "Z8 / ZU", "over the per-transaction limit: Z8; over the daily limit: ZU"),
        ("unknown VPA", "ZH", "a VPA that does not exist: ZH"),
    ]
    rows.extend(Magic("persona", v, c, d) for v, c, d in persona_rows)
    action_rows = [
        ("POST /v1/upi/collect", "01", "a collect request waits for the payer: PENDING 01"),
        ("POST /v1/upi/collect/{txnId}/decline", "ZA", "the payer declines the collect: ZA"),
        ("advance the clock past expiresAt", "U69", "an unanswered collect expires: U69"),
        ("execute a paused mandate", "QA", "POST /v1/upi/mandates/{umn}/pause, then execute"),
        ("execute one notice twice", "QB", "a notice (or period) already paid: QB"),
        ("execute a revoked mandate", "QC", "POST /v1/upi/mandates/{umn}/revoke, then execute"),
        ("execute after validUntil", "QD", "advance the clock past the mandate's validUntil"),
    ]
    rows.extend(Magic("action", v, c, d) for v, c, d in action_rows)
    return rows


def magic_amount_code(amount: int) -> str | None:
    """The code a magic amount forces: its last two digits count, whatever the currency's
    exponent (the minor-unit part, or the whole amount's last two digits without one)."""
    return MAGIC_CENTS.get(amount % 100)


def deemed_settlement(amount: int) -> str:
    """TCC or RET: how a deemed payment of ``amount`` settles."""
    return DEEMED_SETTLEMENT.get(amount % 100, "TCC")


# -- identifiers -------------------------------------------------------------------------------

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # ASCII order: ids compare as their numbers
_TXN_RANDOM_DIGITS = 32 - TIME_DIGITS


def new_txn_id(now_us: int) -> str:
    """35 alphanumerics: SBX (the sandbox's PSP code), the machine time ``now_us`` in
    milliseconds (9 base-36 digits, the most significant first), then 23 random base-36
    digits (119 bits). Ids made later sort after earlier ones, so the inserts of a payment's
    transaction row and ledger legs append to the right-most leaf of the indexes keyed by it
    instead of dirtying a random page of each (decisions doc: "Pages per payment")."""
    return "SBX" + time_prefix(now_us, _ALNUM) + random_digits(_TXN_RANDOM_DIGITS, _ALNUM)


def txn_id_at(now_us: int, random_bits: int) -> str:
    """``new_txn_id``'s shape from given random bits (the preload draws them from a seed)."""
    return "SBX" + time_prefix(now_us, _ALNUM) + base36(random_bits, _TXN_RANDOM_DIGITS, _ALNUM)


_HOUR_US = 3600 * 1_000_000


@functools.lru_cache(maxsize=64)
def _rrn_hour(hour: int) -> str:
    """YDDDHH of the world hour ``hour`` (hours since the epoch)."""
    t = datetime.fromtimestamp(hour * 3600, tz=UTC)
    return f"{t.year % 10}{t.timetuple().tm_yday:03d}{t.hour:02d}"


def new_rrn(world_now_us: int) -> str:
    """12 digits shaped like an RRN: YDDDHH (last digit of the year, day of year, hour) + 6."""
    return f"{_rrn_hour(world_now_us // _HOUR_US)}{random_below(10**6):06d}"


def world_day(world_now_us: int) -> int:
    return world_now_us // DAY_US


# -- UPI AutoPay mandates: identifiers, recurrence periods, the payer's state changes ---------

NOTICE_US = DAY_US  # AutoPay rule: the pre-debit notice goes out at least 24 h before the debit
UMN_HANDLE = "@sandbox"
_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ACTIVE, PAUSED = MandateStatus.ACTIVE, MandateStatus.PAUSED
PENDING = MandateStatus.PENDING_APPROVAL


@dataclass(frozen=True, slots=True)
class Change:
    """A state change by the payer: the states it is allowed from, the state and event after."""

    allowed: frozenset[str]
    after: MandateStatus
    event: str


CHANGES = {  # ReqMandate UPDATE (pause, resume), REVOKE; the payer's decline of a CREATE
    "decline": Change(frozenset({PENDING}), MandateStatus.DECLINED, "mandate.declined"),
    "pause": Change(frozenset({ACTIVE}), PAUSED, "mandate.paused"),
    "resume": Change(frozenset({PAUSED}), ACTIVE, "mandate.resumed"),
    "revoke": Change(frozenset({ACTIVE, PAUSED}), MandateStatus.REVOKED, "mandate.revoked"),
}
APPROVE = Change(frozenset({PENDING}), ACTIVE, "mandate.approved")


def status_now(mandate: Mandate, now_us: int) -> str:
    """The mandate's state at ``now_us``: a live one past validUntil reads as EXPIRED."""
    if mandate.status in MANDATE_LIVE and mandate.valid_until_us < now_us:
        return MandateStatus.EXPIRED.value
    return str(mandate.status)


def new_umn() -> str:
    return "".join(secrets.choice(_LOWER_ALNUM) for _ in range(32)) + UMN_HANDLE  # 40 characters


def new_notice_id() -> str:
    return "pdn_" + "".join(secrets.choice(_LOWER_ALNUM) for _ in range(20))


def period_of(recurrence: str, valid_from_us: int, at_us: int) -> int | None:
    """The recurrence period an execution at ``at_us`` falls in (one honoured debit each);
    ``None`` for AS_PRESENTED, which may be debited whenever it is presented (and notified)."""
    if recurrence == "ONETIME":
        return 0
    if recurrence == "DAILY":
        return world_day(at_us)
    if recurrence == "WEEKLY":
        return (at_us - valid_from_us) // (7 * DAY_US)
    if recurrence == "MONTHLY":
        moment = _EPOCH + timedelta(microseconds=at_us)
        return moment.year * 12 + moment.month
    return None
