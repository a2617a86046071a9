"""Parse and validate the PID block of Auth API 2.5, in XML or in the sandbox's JSON rendition.

Implements the PID of ``shared/reference/aadhaar.md`` (section "Auth request", bullet "PID") with
the envelope liberties of "What real AUA clients send": no namespace or any default namespace
(``.../uid-auth-request/2.0`` or ``/2.5``), a prefixed ``ns2:Pid`` with unqualified children,
either quote style, a declaration, pretty-printing. Elements are matched on local names.

The XML goes through lxml with entities unresolved, no DTD, no network, and any DOCTYPE refused,
so a hostile document cannot expand entities or reach a file. The JSON rendition is the PID as a
JSON object (``"type": "J"`` data, or the easy path's plain ``"pid": {...}``) with the XML's
element and attribute names in any case: ``{"ts", "ver", "demo": {"lang", "pi": {...}, "pa",
"pfa"}, "bios": [{"type", "posh", "value"}], "pv": {"otp", "pin"}}``.

Both parse into one tree of ``PidNode``, validated once by ``identity.pid_rules`` into
``identity.models.Pid``; each broken rule raises ``InvalidPid`` naming the attribute.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from identity.errors import InvalidPid, StaleRequest
from identity.models import Pid
from identity.pid_rules import ELEMENTS, PidNode, build_pid, parse_ts

IST_OFFSET_US = (5 * 3600 + 30 * 60) * 1_000_000
MAX_AGE_US = 24 * 3600 * 1_000_000  # 561 past this
FUTURE_SKEW_US = 5 * 60 * 1_000_000  # 562 past this: clocks of AUA devices drift a little

# -- the two renditions into one tree ---------------------------------------------------------


def safe_parser() -> etree.XMLParser:
    """lxml without entity expansion, DTDs or network (callers also refuse any DOCTYPE)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


_parsers = threading.local()  # an lxml parser serves one thread at a time


def _thread_parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = safe_parser()
    return parser


def parse_pid_xml(document: bytes) -> Pid:
    """The PID block from XML bytes, exactly as decrypted from ``Data``."""
    try:
        root = etree.fromstring(document, _thread_parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidPid("511", f"the PID is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise InvalidPid("511", "the PID has a DOCTYPE", hint="Send the PID without a DOCTYPE.")
    return build_pid(_from_xml(root))


def _from_xml(element: etree._Element) -> PidNode:
    node = PidNode(etree.QName(element).localname)
    for key, value in element.attrib.items():
        if not str(key).startswith("{"):  # namespaced attributes (xsi:...) are envelope
            node.attrs[str(key)] = str(value)
    text = (element.text or "").strip()
    if text:
        node.attrs["value"] = text
    node.children = [_from_xml(c) for c in element if isinstance(c.tag, str)]
    return node


def parse_pid_json(document: Mapping[str, Any]) -> Pid:
    """The PID block from its JSON object (``{"ts": ..., "demo": ...}``, or ``{"pid": {...}}``)."""
    if len(document) == 1 and str(next(iter(document))).lower() == "pid":
        inner = next(iter(document.values()))
        if isinstance(inner, Mapping):
            document = inner
    return build_pid(_from_json("Pid", document))


def _from_json(name: str, obj: Mapping[str, Any]) -> PidNode:
    node = PidNode(name)
    for key, value in obj.items():
        canonical = ELEMENTS.get(str(key).lower())
        if canonical == "Bios" and isinstance(value, list):
            node.children.append(_from_json("Bios", {"bio": value}))
        elif canonical == "Bio" and isinstance(value, list):
            node.children.extend(_from_json("Bio", _mapping(b, "Bio")) for b in value)
        elif canonical is not None and canonical != name:
            node.children.append(_from_json(canonical, _mapping(value, canonical)))
        elif isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidPid("511", f"{name}.{key} must be a string or a whole number")
        else:
            node.attrs[str(key).lower()] = str(value)
    return node


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidPid("511", f"{name} must be a JSON object")
    return value


def check_ts(ts: str, now_us: int) -> None:
    """561 when the PID ts is more than 24 hours before ``now_us`` (world time), 562 when it is
    more than ``FUTURE_SKEW_US`` after it. ts is IST wall time."""
    when = parse_ts(ts)
    if when is None:
        raise InvalidPid("511", f"Pid ts {ts!r} is not YYYY-MM-DDThh:mm:ss")
    now_ist = datetime(1970, 1, 1) + timedelta(microseconds=now_us + IST_OFFSET_US)
    delta_us = (when - now_ist) // timedelta(microseconds=1)
    if delta_us < -MAX_AGE_US:
        raise StaleRequest("561", f"Pid ts {ts} is more than 24 hours old (now {now_ist:%FT%T})")
    if delta_us > FUTURE_SKEW_US:
        raise StaleRequest("562", f"Pid ts {ts} is in the future (now {now_ist:%FT%T} IST)")
