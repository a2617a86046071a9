"""The FIPs' data model: FI types, consent types, DataFilter, and one statement line. No I/O.

ReBIT NBFC-AA 2.0.0 (AA_2_0_0.yaml, ``ConsentDetail``): ``consentTypes`` is a subset of PROFILE,
SUMMARY, TRANSACTIONS; ``DataFilter`` is a list of ``{type, operator, value}`` with ``type``
TRANSACTIONTYPE or TRANSACTIONAMOUNT and ``operator`` one of = != > < >= <=.
"""

from __future__ import annotations

import hashlib
import hmac
import operator as op
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

DEPOSIT = "DEPOSIT"
TERM_DEPOSIT = "TERM_DEPOSIT"
RECURRING_DEPOSIT = "RECURRING_DEPOSIT"
FI_TYPES = (DEPOSIT, TERM_DEPOSIT, RECURRING_DEPOSIT)
"""The FI types the sandbox's FIPs hold (the spec's ``FITypes`` enum has many more)."""

CONSENT_TYPES = ("PROFILE", "SUMMARY", "TRANSACTIONS")
FORMATS = ("xml", "json")

# linkRefNumber prefixes, one per FI type (the rest of the ref is a keyed hash: see link_ref)
LINK_PREFIX = {DEPOSIT: "DEP", TERM_DEPOSIT: "TD", RECURRING_DEPOSIT: "RD"}


class FIDataError(ValueError):
    """A request the FIP cannot serve; ``error_code`` is the ReBIT code the API answers."""

    error_code = "InvalidRequest"

    def __init__(self, field: str, detail: str, *, hint: str) -> None:
        super().__init__(f"{field} {detail}")
        self.field = field
        self.detail = detail
        self.hint = hint

    @property
    def message(self) -> str:
        return f"{self.field} {self.detail}. {self.hint}"


class InvalidDataFilter(FIDataError):
    error_code = "InvalidConsentDetail"


class UnknownAccount(FIDataError):
    """A linkRefNumber that is not one of the customer's accounts at this world's FIPs."""

    error_code = "InvalidRequest"


@dataclass(frozen=True, slots=True)
class Line:
    """One statement line. ``amount`` is positive; ``type`` says the direction."""

    txn_id: str
    type: str  # CREDIT, DEBIT (deposit); OPENING, INTEREST, INSTALLMENT, ... (term/recurring)
    mode: str  # CASH, ATM, CARD, UPI, FT, OTHERS
    amount: int  # minor units, > 0
    balance: int  # after the line, minor units
    at_us: int  # world time
    narration: str
    reference: str

    @property
    def signed(self) -> int:
        return -self.amount if self.type == "DEBIT" else self.amount


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": op.eq,
    "!=": op.ne,
    ">": op.gt,
    "<": op.lt,
    ">=": op.ge,
    "<=": op.le,
}


@dataclass(frozen=True, slots=True)
class DataFilter:
    """One rule of ``DataFilter``; a line is kept when every rule holds."""

    type: str  # TRANSACTIONTYPE, TRANSACTIONAMOUNT
    operator: str
    value: str
    minor: int | None = None  # TRANSACTIONAMOUNT: the value in minor units

    def keeps(self, line: Line) -> bool:
        compare = _OPERATORS[self.operator]
        if self.type == "TRANSACTIONTYPE":
            return compare(line.type, self.value)
        assert self.minor is not None
        return compare(line.amount, self.minor)


_AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,15})(\.[0-9]+)?$")


def parse_data_filters(raw: Iterable[Any] | None, minor_units: int) -> tuple[DataFilter, ...]:
    """The consent's ``DataFilter`` list, checked; ``InvalidDataFilter`` names the item."""
    out = []
    for index, item in enumerate(raw or ()):
        field = f"ConsentDetail.DataFilter[{index}]"
        if not isinstance(item, dict):
            raise InvalidDataFilter(field, "is not an object", hint="Send {type, operator, value}.")
        type_, operator, value = item.get("type"), item.get("operator"), item.get("value")
        if type_ not in ("TRANSACTIONTYPE", "TRANSACTIONAMOUNT"):
            raise InvalidDataFilter(
                f"{field}.type",
                f"is {type_!r}",
                hint="DataFilter.type is TRANSACTIONTYPE or TRANSACTIONAMOUNT.",
            )
        if operator not in _OPERATORS:
            raise InvalidDataFilter(
                f"{field}.operator",
                f"is {operator!r}",
                hint="DataFilter.operator is one of = != > < >= <=.",
            )
        text = str(value) if isinstance(value, (str, int)) else ""
        if type_ == "TRANSACTIONTYPE":
            if text not in ("CREDIT", "DEBIT") or operator not in ("=", "!="):
                raise InvalidDataFilter(
                    f"{field}",
                    f"compares the transaction type with {operator!r} {value!r}",
                    hint='Filter the type with "=" or "!=" and the value CREDIT or DEBIT.',
                )
            out.append(DataFilter(type_, operator, text))
            continue
        match = _AMOUNT.match(text)
        if match is None:
            raise InvalidDataFilter(
                f"{field}.value",
                f"{value!r} is not an amount",
                hint='Send the amount as a decimal string in major units, e.g. "20000" or '
                '"149.50".',
            )
        whole, frac = match.group(1), (match.group(2) or ".")[1:]
        if len(frac) > minor_units and set(frac[minor_units:]) != {"0"}:
            raise InvalidDataFilter(
                f"{field}.value",
                f"{value!r} has more than {minor_units} decimals",
                hint=f"The currency has {minor_units} decimals.",
            )
        frac = (frac + "0" * minor_units)[:minor_units]
        minor = int(whole) * 10**minor_units + (int(frac) if frac else 0)
        out.append(DataFilter(type_, operator, text, minor))
    return tuple(out)


def keeps(line: Line, filters: Sequence[DataFilter]) -> bool:
    """Whether every rule of ``filters`` keeps ``line``."""
    return all(f.keeps(line) for f in filters)


def apply_filters(lines: Sequence[Line], filters: Sequence[DataFilter]) -> list[Line]:
    return [line for line in lines if keeps(line, filters)]


def masked(number: str) -> str:
    """``XXXXXXXX4020``: all but the last four digits hidden, as FIPs show it."""
    return "X" * max(len(number) - 4, 0) + number[-4:]


def link_ref(fi_type: str, number: str, key: str) -> str:
    """The ``linkRefNumber`` of an account: stable per world (``key`` is the world's), names its
    FI type, opaque to the FIU (a keyed hash: the account number cannot be read from it, as
    with a real FIP's reference)."""
    mac = hmac.new(key.encode(), f"aa-link|{fi_type}|{number}".encode(), hashlib.sha256)
    return f"{LINK_PREFIX[fi_type]}-{uuid.UUID(mac.hexdigest()[:32])}"
