"""The syntactic rules of the wire, one annotated type per concept, stated in the OpenAPI.

Every rule a request can break without the world being consulted (the form of an amount, a VPA,
a timestamp, a cursor) is a ``pattern`` (and a ``format`` where JSON Schema has one) of a type
here, so the document tells the whole truth: a generated client or a JSON Schema validator
refuses a bad value before it is sent, and the server refuses exactly what the document does.
What only the world can decide (an id that does not exist, a time in the past) stays in the
services.

Each pattern is registered with a ``Rule``: the name a 422 reports in ``errors[].rule`` and a
message that teaches (``must look like "100.00"``), which ``sandbox.ops.problems`` shows in
place of pydantic's raw "String should match pattern '...'" (the pattern stays in
``constraint``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError


@dataclass(frozen=True)
class Rule:
    """A named syntactic rule: its pattern, what a value must look like, and how to fix one."""

    name: str
    pattern: str
    says: str
    hint: str


_RULES: dict[str, Rule] = {}


def rule(name: str, pattern: str, *, says: str, hint: str) -> Rule:
    """Register (once per pattern) the rule a ``pattern`` states."""
    made = Rule(name, pattern, says, hint)
    _RULES.setdefault(pattern, made)
    return _RULES[pattern]


def rule_of(pattern: str) -> Rule | None:
    """The registered rule of a pattern a value failed, if it is one of ours."""
    return _RULES.get(pattern)


# -- money ---------------------------------------------------------------------------------------

# Every sandbox country's currency has 2 minor digits (sandbox.population.countries); a positive
# amount, at most 16 integer digits (minor units fit a BIGINT), no sign, no exponent.
AMOUNT = rule(
    "decimal_amount",
    r"^(0\.(0[1-9]|[1-9][0-9])|[1-9][0-9]{0,15}\.[0-9]{2})$",
    says='must be a positive amount with exactly 2 decimals, like "100.00"',
    hint='Send the amount as a JSON string with two decimals, e.g. "100.00" (not 100, 100.0 '
    "or 1e2: a float cannot carry a paisa exactly).",
)
Amount = Annotated[
    str,
    Field(
        pattern=AMOUNT.pattern,
        max_length=19,
        description="A positive decimal string with exactly the currency's 2 minor digits, "
        'e.g. "100.00".',
        examples=["100.00"],
    ),
]

# -- UPI ------------------------------------------------------------------------------------------

# NPCI UPI: handle@psp; the PSP handle is letters only.
VPA = rule(
    "vpa_format",
    r"^[a-zA-Z0-9.\-_]{2,256}@[a-zA-Z]{3,65}$",
    says="must be a VPA like asha@sandbox (handle@psp: 2+ of letters, digits, '.', '-', '_', "
    "then '@' and 3+ letters)",
    hint="VPAs look like asha@sandbox; GET /v1/sandbox/personas lists yours.",
)
Vpa = Annotated[
    str,
    Field(
        pattern=VPA.pattern,
        max_length=255,
        description="A VPA (handle@psp).",
        examples=["asha@sandbox"],
    ),
]

# UPI 2.0: txnId is 35 alphanumerics (special characters blocked from 2025).
TXN_ID = rule(
    "txn_id_format",
    r"^[A-Za-z0-9]{35}$",
    says="must be exactly 35 letters or digits",
    hint="Omit txnId to let the switch make one, or send 35 alphanumerics.",
)
TxnId = Annotated[
    str,
    Field(
        pattern=TXN_ID.pattern,
        description="35 letters or digits; generated if absent. Reusing it replays the answer.",
        examples=["SBXA1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6"],
    ),
]

PIN = rule(
    "pin_format",
    r"^[0-9]{4}([0-9]{2})?$",
    says="must be a UPI PIN: 4 or 6 digits",
    hint="Send the payer's 4- or 6-digit UPI PIN as a string (the personas' are documented: "
    "GET /v1/sandbox/personas).",
)
Pin = Annotated[
    str,
    Field(
        pattern=PIN.pattern,
        description="The payer's UPI PIN (4 or 6 digits; the personas' are documented).",
        examples=["1234"],
    ),
]

# -- time -----------------------------------------------------------------------------------------

# RFC 3339 section 5.6 ``date-time``, with two restrictions the sandbox states: upper-case T and
# Z, and seconds 00-59 (no leap second); at most 6 fractional digits (microseconds, the
# sandbox's resolution). A date the calendar lacks (2026-02-30) passes the pattern and is
# refused by ``_real_date`` with the same rule.
RFC3339 = rule(
    "rfc3339",
    r"^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
    says='must be an RFC 3339 date-time with an offset, like "2035-12-31T23:59:59Z"',
    hint='Send an RFC 3339 time with an offset, e.g. "2035-12-31T23:59:59Z" or '
    '"2035-12-31T23:59:59.000+05:30" (world time: GET /v1/sandbox/clock shows it).',
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _real_date(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            RFC3339.name, f"{RFC3339.says}; {value[:10]!r} is not a day of the calendar"
        ) from None
    return value


Rfc3339 = Annotated[
    str,
    Field(
        pattern=RFC3339.pattern,
        description="RFC 3339 date-time with an offset (T and Z upper case, seconds 00-59, at "
        "most 6 fractional digits).",
        json_schema_extra={"format": "date-time"},
    ),
    AfterValidator(_real_date),
]


def epoch_us(value: str) -> int:
    """An ``Rfc3339`` value as microseconds since the epoch."""
    return (datetime.fromisoformat(value) - _EPOCH) // timedelta(microseconds=1)


# -- identifiers ----------------------------------------------------------------------------------

UUID = rule(
    "uuid",
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    says='must be a UUID like "4a4adbbe-29ae-11e8-a8d7-0289437bf331"',
    hint="Make a new UUID (v4) per request, e.g. with uuid.uuid4() or crypto.randomUUID().",
)
Uuid = Annotated[
    str,
    Field(
        pattern=UUID.pattern,
        examples=["4a4adbbe-29ae-11e8-a8d7-0289437bf331"],
        json_schema_extra={"format": "uuid"},
    ),
]

# -- pagination -----------------------------------------------------------------------------------


def cursor_rule(id_pattern: str) -> Rule:
    """The cursors of a listing whose rows have ids matching ``id_pattern`` (a regex without
    anchors): ``<created_us>.<id>`` of the last row of a page (sandbox.kit.pagination)."""
    return rule(
        "cursor",
        rf"^[0-9]{{1,18}}\.({id_pattern})$",
        says="is not a cursor this API returned",
        hint="Pass `nextCursor` from the previous page unchanged.",
    )


def cursor_schema(id_pattern: str) -> dict[str, Any]:
    """Keyword arguments of ``Query(...)`` for a listing's ``cursor`` parameter."""
    return {
        "pattern": cursor_rule(id_pattern).pattern,
        "max_length": 120,
        "description": "`nextCursor` of the previous page, unchanged.",
    }


def matches(made: Rule, value: str) -> bool:
    return re.fullmatch(made.pattern, value) is not None


def explain(error: dict[str, Any]) -> tuple[str, str, str | None]:
    """``(rule, message, hint)`` of one pydantic error: a failed pattern of ours is reported by
    its rule's name and teaching message (and hint); any other error as pydantic words it."""
    kind = str(error.get("type", "invalid"))
    message = str(error.get("msg", "invalid value"))
    if kind == "string_pattern_mismatch":
        made = rule_of(str((error.get("ctx") or {}).get("pattern", "")))
        if made is not None:
            return made.name, made.says, made.hint
    for made in _RULES.values():
        if made.name == kind:  # raised by a validator of this module (e.g. ``_real_date``)
            return kind, message, made.hint
    return kind, message, None


# -- encodings ------------------------------------------------------------------------------------

# Standard base64 (RFC 4648 section 4) in quads, padded; line breaks allowed between quads (as
# every encoder wraps at 64 or 76 characters).
BASE64 = rule(
    "base64",
    r"^(?:[A-Za-z0-9+/]{4}|\r?\n)*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
    says="must be standard base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4)",
    hint="Encode the bytes with standard base64 (base64.b64encode, or `base64 -w0`).",
)
Base64 = Annotated[
    str, Field(pattern=BASE64.pattern, json_schema_extra={"contentEncoding": "base64"})
]

PEM_CERTIFICATE = rule(
    "pem",
    r"^-----BEGIN CERTIFICATE-----\r?\n(?:[A-Za-z0-9+/=]{1,76}\r?\n)+"
    r"-----END CERTIFICATE-----(\r?\n)?$",
    says="must be one X.509 certificate in PEM (-----BEGIN CERTIFICATE----- ... -----END "
    "CERTIFICATE-----, base64 lines in between)",
    hint="Send the certificate file's text as it is (openssl x509 -outform PEM).",
)
