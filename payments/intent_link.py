"""UPI deep links (``upi://pay?...``): build them and read them back, by the NPCI linking spec.

No I/O and no keys here (``payments.intent_keys`` signs and verifies). Section numbers are those
of NPCI's *UPI Linking Specifications* 1.6 ("Common URL specifications for deep linking and
proximity integration"):

- §1.2 *Link specification and parameters*: ``upi://pay?`` then ``name=value`` pairs. ``pa``
  (payee VPA) and ``pn`` (payee name) are mandatory in static and dynamic links; ``am``
  (amount, decimal), ``mam`` (minimum amount), ``cu`` (currency), ``tn`` (note), ``tr``
  (reference, mandatory for merchant and dynamic links), ``mc`` (merchant category code),
  ``tid`` (PSP-generated transaction id), ``url`` (http/https details page) are optional; 1.6
  adds ``mode`` (00 default, 01 QR, 02 secure QR, 04 intent, 05 secure intent...), ``purpose``
  (00 default), ``orgid`` (000000 when the merchant signs, else the signing PSP's org id),
  ``mid``/``msid``/``mtid`` (merchant, store and terminal ids) and ``sign``.
- §1.3 *Signature*: a signed link carries ``sign``, the base64 signature over the link's query
  string without ``sign``. Here the signed bytes are exactly the query string as transmitted
  (everything after ``?``, percent-encoding included, with the ``sign=`` pair removed): a
  verifier never re-encodes anything, so any changed byte breaks the signature.

Rules the sandbox adds so that a parsed link maps one-to-one onto ``POST /v1/upi/pay``: ``am``
and ``mam`` carry at most the currency's minor digits, ``cu`` is the world's currency, ``tn`` is
at most 50 characters and ``tr`` at most 35 letters, digits or ``-_.`` (the UPI refId).
Unknown parameters are kept (real links carry vendor extras) and are covered by the signature.
Empty values (``tid=&url=`` as some PSPs print) count as absent.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from payments.errors import InvalidIntentLink
from payments.models import TXN_ID, VPA

SCHEME = "upi://pay"
MAX_NOTE = 50  # §1.2 tn: a short description; UPI apps show at most 50 characters
MAX_REF = 35  # UPI refId
REF = re.compile(r"^[A-Za-z0-9\-_.]{1,35}$")
PARAM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# The order links are written in (the project's reference, shared/reference/upi.md); ``sign``
# is always last so that the signed text is the prefix of the query before it.
ORDER = (
    "pa",
    "pn",
    "am",
    "mam",
    "cu",
    "tn",
    "tr",
    "mc",
    "tid",
    "url",
    "mode",
    "purpose",
    "orgid",
    "mid",
    "msid",
    "mtid",
)
MODES = {
    "00": "default",
    "01": "QR code",
    "02": "secure QR code (signed)",
    "03": "Bharat QR code",
    "04": "intent",
    "05": "secure intent (signed)",
}
SIGNED_MODES = frozenset({"02", "05"})
MERCHANT_ORGID = "000000"  # §1.2 orgid: the merchant signed the link itself (not its PSP)
# Characters left as they are in a value: RFC 3986 allows them in a query and they carry no
# meaning to a query parser; everything else (space, &, =, +, #, %, non-ASCII) is %-encoded.
_SAFE = "@:/-._~!$'()*,;"


@dataclass(frozen=True, slots=True)
class Link:
    """A link read back: its parameters (decoded) and the text the signature covers."""

    params: dict[str, str]  # decoded values, in link order, empty values dropped
    signed_text: str  # the query string as transmitted, without the sign pair
    sign: str | None


def encode(params: dict[str, str]) -> str:
    """The query string for ``params`` (in ``ORDER``, then any others), no ``sign``."""
    names = [n for n in ORDER if n in params] + [n for n in params if n not in ORDER]
    return "&".join(f"{n}={quote(params[n], safe=_SAFE)}" for n in names if params[n] != "")


def with_signature(query: str, sign: str) -> str:
    """The full link: ``sign`` is base64 and stays as it is (``+/=`` are legal in a query)."""
    return f"{SCHEME}?{query}&sign={sign}"


def _bad(param: str, rule: str, message: str, hint: str) -> InvalidIntentLink:
    field = "link" if param == "link" else f"link.{param}"
    return InvalidIntentLink(field, rule, message, hint=hint)


def split(link: str) -> Link:
    """Read a link's syntax: scheme, ``name=value`` pairs, percent-encoding, duplicates."""
    head, sep, query = link.partition("?")
    scheme, slashes, target = head.partition("://")
    if scheme.lower() != "upi" or not slashes:
        raise _bad(
            "link",
            "scheme",
            f"must start with {SCHEME}? (got '{head[:40]}')",
            "A UPI payment link is upi://pay?pa=...&pn=...; build one with POST /v1/upi/intents.",
        )
    if target.rstrip("/").lower() != "pay":
        raise _bad(
            "link",
            "pay_link",
            f"only upi://pay links are payment intents (got upi://{target[:40]})",
            "Send a upi://pay?... link.",
        )
    if "#" in query:
        raise _bad(
            "link",
            "no_fragment",
            "a UPI link has no #fragment",
            "Remove everything from '#'; a '#' inside a value is written %23.",
        )
    if not sep or not query:
        raise _bad("pa", "required", "the link has no parameters", "Add at least pa and pn.")
    kept: list[str] = []
    params: dict[str, str] = {}
    sign: str | None = None
    for pair in query.split("&"):
        name, eq, raw = pair.partition("=")
        if not eq or not PARAM_NAME.match(name):
            raise _bad(
                "link",
                "name_value_pairs",
                f"'{pair[:40]}' is not a name=value parameter",
                "Parameters are name=value pairs joined by '&'; a '&' inside a value is %26.",
            )
        if name in params or (name == "sign" and sign is not None):
            raise _bad(
                name,
                "not_repeated",
                f"'{name}' appears more than once",
                "Each parameter appears once; remove the repeat.",
            )
        if name == "sign":
            sign = raw
            continue
        kept.append(pair)
        params[name] = _decode(name, raw)
    return Link(
        params={k: v for k, v in params.items() if v != ""},
        signed_text="&".join(kept),
        sign=sign,
    )


def _decode(name: str, raw: str) -> str:
    try:
        value = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        value = "\x00"
    if "\x00" in value or _BAD_PERCENT.search(raw):
        raise _bad(
            name,
            "percent_encoding",
            "is not valid percent-encoded UTF-8 text",
            "Encode each value as UTF-8 and %-escape bytes outside letters and digits "
            "(a space is %20).",
        )
    return value


def amount_minor(text: str, minor_units: int) -> int:
    """``"100.5"`` -> 10050 for 2 minor digits; fewer digits are allowed in a link, more are not.

    Raises ``ValueError`` with the rule's name (``decimal_amount``, ``decimal_places``).
    """
    match = re.fullmatch(r"(0|[1-9][0-9]{0,15})(?:\.([0-9]+))?", text)
    if match is None:
        raise ValueError("decimal_amount")
    frac = match.group(2) or ""
    if len(frac) > minor_units:
        raise ValueError("decimal_places")
    return int(match.group(1) + frac.ljust(minor_units, "0"))


def check(link: Link, *, currency: str, minor_units: int) -> dict[str, int | None]:
    """Apply §1.2's rules (and the sandbox's, above) to every parameter; returns the amounts in
    minor units: ``{"am": ..., "mam": ...}`` (None when absent)."""
    p = link.params
    for name in ("pa", "pn"):  # §1.2: M in static and dynamic links
        if name not in p:
            raise _bad(
                name,
                "required",
                f"'{name}' is mandatory (NPCI linking spec 1.2)",
                "Every upi://pay link names its payee: pa=<vpa>&pn=<name>.",
            )
    if not VPA.match(p["pa"]):
        raise _bad(
            "pa",
            "vpa_format",
            f"'{p['pa'][:60]}' is not a VPA (handle@psp)",
            "pa is the payee's VPA, e.g. meeras.kirana@sandbox.",
        )
    amounts = {name: _amount(p, name, minor_units, currency) for name in ("am", "mam")}
    am, mam = amounts["am"], amounts["mam"]
    if am is not None and mam is not None and mam > am:
        raise _bad(
            "mam",
            "at_most_am",
            f"the minimum amount {p['mam']} is more than the amount {p['am']}",
            "mam is the least the payer may pay; keep it at or below am.",
        )
    if "cu" in p and p["cu"] != currency:
        raise _bad(
            "cu",
            "world_currency",
            f"'{p['cu'][:10]}' is not this world's currency ({currency})",
            f"Write cu={currency}, or leave cu out.",
        )
    _rule(p, "tn", lambda v: len(v) <= MAX_NOTE, "max_length", f"is over {MAX_NOTE} characters")
    _rule(p, "tr", REF.fullmatch, "ref_format", f"must be 1-{MAX_REF} letters, digits or -_.")
    _rule(p, "tid", TXN_ID.fullmatch, "txn_id_format", "must be exactly 35 letters or digits")
    _rule(p, "mc", re.compile(r"[0-9]{4}").fullmatch, "mcc_format", "must be 4 digits (MCC)")
    _rule(
        p,
        "url",
        re.compile(r"https?://[^\s]{1,2000}").fullmatch,
        "http_url",
        "must be an http:// or https:// URL",
    )
    for name in ("mode", "purpose"):
        _rule(p, name, re.compile(r"[0-9]{2}").fullmatch, "two_digits", "must be 2 digits")
    _rule(p, "orgid", re.compile(r"[0-9]{6}").fullmatch, "six_digits", "must be 6 digits")
    for name in ("mid", "msid", "mtid"):
        _rule(
            p,
            name,
            re.compile(r"[A-Za-z0-9]{1,35}").fullmatch,
            "alphanumeric",
            "must be 1-35 letters or digits",
        )
    if link.sign is not None:
        signature_bytes(link.sign)
    return amounts


def _amount(p: dict[str, str], name: str, minor_units: int, currency: str) -> int | None:
    if name not in p:
        return None
    example = "100" + ("." + "0" * minor_units if minor_units else "")
    try:
        value = amount_minor(p[name], minor_units)
    except ValueError as exc:
        rule = str(exc)
        message = (
            f"'{p[name][:20]}' has more than {minor_units} decimal digits ({currency})"
            if rule == "decimal_places"
            else f"'{p[name][:20]}' is not a decimal amount"
        )
        raise _bad(
            name,
            rule,
            message,
            f"Write the amount in {currency} with at most {minor_units} decimals, "
            f"e.g. {name}={example}.",
        ) from exc
    if value <= 0:
        raise _bad(name, "positive", "must be more than zero", f"e.g. {name}={example}.")
    return value


def _rule(
    p: dict[str, str], name: str, ok: Callable[[str], object], rule: str, message: str
) -> None:
    if name in p and not ok(p[name]):
        raise _bad(
            name,
            rule,
            f"'{p[name][:60]}' {message}",
            f"Fix {name} or leave it out (NPCI linking spec 1.2 lists each parameter).",
        )


def signature_bytes(sign: str) -> bytes:
    """The signature ``sign`` carries (§1.3: base64, standard alphabet, padded)."""
    try:
        value = base64.b64decode(unquote(sign), validate=True)
    except (binascii.Error, ValueError) as exc:
        hint = "sign is the base64 signature exactly as POST /v1/upi/intents wrote it."
        if " " in sign:
            hint += " A '+' in it was probably decoded as a space: send the link unchanged."
        raise _bad("sign", "base64", "is not base64", hint) from exc
    if not value:
        raise _bad("sign", "base64", "is empty", "Leave sign out of an unsigned link.")
    return value
