"""FI documents in ReBIT's FI schemas: XML and its JSON rendition. No I/O.

DEPOSIT follows ``shared/specs/fi-schemas/deposit.xsd`` (namespace
``http://api.rebit.org.in/FISchema/deposit``): ``Account{type, maskedAccNumber, version,
linkedAccRef}`` > ``Profile > Holders{type} > Holder{name, dob, mobile, nominee, ...}``,
``Summary{currentBalance, currency, balanceDateTime, type, branch, ifscCode, micrCode,
openingDate, status}``, ``Transactions{startDate, endDate} > Transaction{type, mode, amount,
currentBalance, transactionTimestamp, valueDate, txnId, narration, reference}``.

The JSON rendition is the same tree with attributes as string members and repeated elements as
lists: ``{"Account": {"type": "deposit", ..., "Profile": {"Holders": {"type": "SINGLE",
"Holder": [...]}}, "Summary": {...}, "Transactions": {"startDate", "endDate",
"Transaction": [...]}}}``. Amounts are decimal strings in major units.

TERM_DEPOSIT and RECURRING_DEPOSIT follow the attribute names of ReBIT's term_deposit and
recurring_deposit schemas as FIPs publish them; those XSDs are not in shared/specs, so only the
deposit document is validated by the tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from consent.fip.models import Line

NAMESPACES = {
    "deposit": "http://api.rebit.org.in/FISchema/deposit",
    "term_deposit": "http://api.rebit.org.in/FISchema/term_deposit",
    "recurring_deposit": "http://api.rebit.org.in/FISchema/recurring_deposit",
}
SCHEMA_VERSION = "1.1"


def timestamp(at_us: int) -> str:
    """xs:dateTime in UTC with milliseconds."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def day(at_us: int) -> str:
    """xs:date (UTC)."""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us)).date().isoformat()


@dataclass(frozen=True, slots=True)
class Element:
    """A schema element: its attributes (in schema order) and children (in sequence order);
    a child list renders as repeated elements in XML and as a JSON array."""

    name: str
    attrs: dict[str, str]
    children: tuple[Element | tuple[Element, ...], ...] = ()
    raw: bytes = b""  # a leaf's XML as it reads inside its document, when made (``serialized``)


def serialized(element: Element, kind: str) -> Element:
    """The leaf ``element`` with ``raw``: its XML as ``to_xml`` writes it inside a ``kind``
    document (lxml's own escaping; the document declares the namespace, the leaf does not), so
    a cached line is serialized once, not per fetch."""
    assert not element.children
    ns = NAMESPACES[kind]
    node = etree.Element(f"{{{ns}}}{element.name}", element.attrs, nsmap={None: ns})
    raw = etree.tostring(node, encoding="UTF-8", xml_declaration=False).replace(
        f' xmlns="{ns}"'.encode(), b"", 1
    )
    return Element(element.name, element.attrs, (), raw)


# stands for a list of serialized leaves in the tree lxml writes; "<" is always escaped in
# attribute values and no element has text, so ">MARK<" occurs only where it was put
_MARK = "@@serialized@@"


def _children(node: etree._Element, element: Element, ns: str, spliced: list[bytes]) -> None:
    for child in element.children:
        if isinstance(child, tuple) and child and all(item.raw for item in child):
            node.text = _MARK  # one such list per document (Transactions)
            spliced.append(b"".join(item.raw for item in child))
            continue
        for item in child if isinstance(child, tuple) else (child,):
            # the attributes in one call (lxml keeps the dict's order)
            _children(etree.SubElement(node, f"{{{ns}}}{item.name}", item.attrs), item, ns, spliced)


def _json(element: Element) -> dict[str, Any]:
    out: dict[str, Any] = dict(element.attrs)
    for child in element.children:
        if isinstance(child, tuple):
            if child:
                out[child[0].name] = [_json(item) for item in child]
        else:
            out[child.name] = _json(child)
    return out


def to_xml(account: Element, kind: str) -> bytes:
    ns = NAMESPACES[kind]
    root = etree.Element(f"{{{ns}}}Account", account.attrs, nsmap={None: ns})
    spliced: list[bytes] = []
    _children(root, account, ns, spliced)
    out = bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert len(spliced) <= 1
    for raw in spliced:
        out = out.replace(f">{_MARK}<".encode(), b">" + raw + b"<", 1)
    return out


def to_json(account: Element) -> bytes:
    body = {"Account": _json(account)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def transaction_element(line: Line, money: Callable[[int], str], *, deposit: bool) -> Element:
    """One statement line as a ``Transaction`` (the deposit schema's attributes, or the
    term/recurring deposit schemas')."""
    if deposit:
        return Element(
            "Transaction",
            {
                "type": line.type,
                "mode": line.mode,
                "amount": money(line.amount),
                "currentBalance": money(line.balance),
                "transactionTimestamp": timestamp(line.at_us),
                "valueDate": day(line.at_us),
                "txnId": line.txn_id,
                "narration": line.narration,
                "reference": line.reference,
            },
        )
    return Element(
        "Transaction",
        {
            "txnId": line.txn_id,
            "type": line.type,
            "mode": line.mode,
            "amount": money(line.amount),
            "balance": money(line.balance),
            "transactionDateTime": timestamp(line.at_us),
            "valueDate": day(line.at_us),
            "narration": line.narration,
            "reference": line.reference,
        },
    )


def transactions_element(items: Sequence[Element], start_us: int, end_us: int) -> Element:
    """``Transactions{startDate, endDate}`` holding the ``Transaction`` elements ``items``."""
    return Element(
        "Transactions", {"startDate": day(start_us), "endDate": day(end_us)}, (tuple(items),)
    )
