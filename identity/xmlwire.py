"""The XML wire format of Auth API 2.5, OTP API 2.5 and eKYC API 2.5: ``<Auth>``, ``<Otp>`` and
``<Kyc>`` read into the JSON rendition's models (``AuthIn``, ``OtpIn``, ``EkycIn``), answers
written as ``<AuthRes>``, ``<OtpRes>`` and ``<KycRes>`` inside eKYC's ``<Resp>``. No I/O:
``identity.service.xml`` runs the same services as the JSON routes.

Liberal about the envelope, as ``shared/reference/aadhaar.md`` ("What real AUA clients send")
asks: no namespace or any, prefixes, either quote style, a declaration, pretty-printing, ``Meta``
or ``Device``, base64 with line breaks. Elements are matched on local names. Parsed with
``identity.pid.safe_parser`` (no entities, DTD or network; a DOCTYPE is refused). Anything
unreadable is a 510 (``AuthRefused``) naming what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from pydantic import ValidationError

from identity.errors import AuthRefused
from identity.pid import safe_parser
from identity.schemas.auth import AuthIn, AuthOut
from identity.schemas.ekyc import EkycIn, EkycOut, UidDataOut
from identity.schemas.otp import OtpIn, OtpOut

_SPACE = re.compile(r"\s+")
_NS_SIG = "http://www.w3.org/2000/09/xmldsig#"
DSIG = f"{{{_NS_SIG}}}"


@dataclass(frozen=True, slots=True)
class Envelope:
    """The attributes the adapter checks before the service sees the request."""

    uid: str
    txn: str
    ac: str
    sa: str
    lk: str


def read(document: bytes, root_name: str) -> etree._Element:
    """The root element, which must be ``root_name`` (any namespace), or a 510."""
    if not document.strip():
        raise AuthRefused("510", f"the body is empty: send an <{root_name}> document")
    try:
        root = etree.fromstring(document, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise AuthRefused("510", f"the body is not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise AuthRefused("510", "the document has a DOCTYPE", hint="Send it without a DOCTYPE.")
    if etree.QName(root).localname != root_name:
        raise AuthRefused(
            "510", f"the root element is <{etree.QName(root).localname}>, not <{root_name}>"
        )
    return root


def txn_of(root: etree._Element | None) -> str:
    return "" if root is None else str(root.get("txn") or "")


def _child(root: etree._Element, *names: str) -> etree._Element | None:
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname in names:
            return child
    return None


def _required(root: etree._Element, name: str) -> etree._Element:
    found = _child(root, name)
    if found is None:
        raise AuthRefused("510", f"<{etree.QName(root).localname}> has no <{name}> element")
    return found


def _text(element: etree._Element) -> str:
    """Base64 content with its line breaks and spaces taken out."""
    return _SPACE.sub("", element.text or "")


def _attrs(element: etree._Element) -> dict[str, str]:
    return {str(k): str(v) for k, v in element.attrib.items() if not str(k).startswith("{")}


def envelope(root: etree._Element) -> Envelope:
    a = _attrs(root)
    missing = [name for name in ("uid", "txn", "ac", "lk") if not a.get(name)]
    if missing:
        raise AuthRefused("510", f"<{etree.QName(root).localname}> lacks {', '.join(missing)}")
    return Envelope(a["uid"], a["txn"], a["ac"], a.get("sa") or a["ac"], a["lk"])


def _model(model: Any, fields: dict[str, Any], what: str) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        raise AuthRefused("510", f"<{what}> {where}: {first['msg']}") from None


def auth_request(root: etree._Element) -> AuthIn:
    """``<Auth>`` as the JSON rendition's ``AuthIn``: Uses, Skey, Data and Hmac required."""
    result: AuthIn = _model(AuthIn, _auth_fields(root), "Auth")
    return result


def _auth_fields(root: etree._Element) -> dict[str, Any]:
    a = _attrs(root)
    uses = _required(root, "Uses")
    skey = _required(root, "Skey")
    data = _required(root, "Data")
    hmac = _required(root, "Hmac")
    return {
        "uid": a.get("uid"),
        "rc": a.get("rc", ""),
        "ver": a.get("ver", ""),
        "txn": a.get("txn"),
        "uses": _attrs(uses),
        "skey": {"ci": skey.get("ci", ""), "value": _text(skey)},
        "data": {"type": data.get("type", "X"), "value": _text(data)},
        "hmac": _text(hmac),
    }


# -- eKYC API 2.5 ------------------------------------------------------------------------------

KYC_VERSION = "2.5"


@dataclass(frozen=True, slots=True)
class KycTerms:
    """``<Kyc ver ra rc lr de pfr><Rad>`` (eKYC API 2.5, section 3.3): the attributes and the
    decoded ``Rad``, the resident's complete, signed ``<Auth>`` document."""

    attrs: dict[str, str]
    rad: bytes


def kyc_terms(root: etree._Element) -> KycTerms:
    """The ``<Kyc>`` envelope: ver must be 2.5 (540), ``Rad`` present and base64 (510)."""
    a = _attrs(root)
    if a.get("ver") != KYC_VERSION:
        raise AuthRefused(
            "540",
            f"Kyc ver is {a.get('ver')!r}, expected {KYC_VERSION!r}",
            hint=f'Set ver="{KYC_VERSION}" on <Kyc> (eKYC API 2.5).',
        )
    rad = _required(root, "Rad")
    text = _text(rad)
    if not text:
        raise AuthRefused(
            "510", "<Rad> is empty", hint="Put base64 of the signed <Auth> document in <Rad>."
        )
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise AuthRefused(
            "510",
            "<Rad> is not base64",
            hint="Rad holds the complete signed <Auth> document, base64-encoded.",
        ) from None
    return KycTerms(a, decoded)


def kyc_request(terms: KycTerms, auth_root: etree._Element) -> EkycIn:
    """``<Kyc>`` with its ``<Auth>`` as the JSON rendition's ``EkycIn``. The Kyc's rc is the
    consent that counts: anything but Y replaces the Auth's (512 from the service)."""
    a = terms.attrs
    fields = {
        **_auth_fields(auth_root),
        **{name: a.get(name, "") for name in ("ra", "lr", "de", "pfr")},
    }
    if a.get("rc") != "Y":
        fields["rc"] = a.get("rc", "")
    result: EkycIn = _model(EkycIn, fields, "Kyc")
    return result


def otp_request(root: etree._Element) -> OtpIn:
    """``<Otp>`` as ``OtpIn``; the channel is ``<Opts ch>`` (00 without it)."""
    a = _attrs(root)
    opts = _child(root, "Opts")
    channel = (opts.get("ch") if opts is not None else None) or "00"
    if a.get("ver") not in (None, "2.5"):
        raise AuthRefused("540", f"Otp ver is {a.get('ver')!r}, expected '2.5'")
    result: OtpIn = _model(
        OtpIn, {"uid": a.get("uid"), "txn": a.get("txn"), "channel": channel}, "Otp"
    )
    return result


def _element(name: str, attrs: dict[str, str | None]) -> etree._Element:
    root = etree.Element(name)
    for key, value in attrs.items():
        if value is not None:
            root.set(key, value)
    return root


def auth_res(answer: AuthOut | EkycOut) -> etree._Element:
    """``<AuthRes ret code txn ts err? actn? info?>``; ``info`` is your UID token."""
    return _element(
        "AuthRes",
        {
            "ret": answer.ret,
            "code": answer.code,
            "txn": answer.txn,
            "ts": answer.ts,
            "err": answer.err,
            "actn": answer.actn,
            "info": answer.info.uid_token,
        },
    )


def kyc_res(answer: EkycOut, *, rar: str | None) -> etree._Element:
    """``<KycRes ret code txn ts ttl err? actn?>`` with ``<Rar>`` (base64 of the signed
    ``<AuthRes>``) and, on ret y, ``<UidData uid>`` holding ``Poi``, ``Poa``, ``LData`` (with
    lr Y) and ``Pht`` (base64 JPEG), as eKYC API 2.5 section 3.4 lays them out."""
    root = _element(
        "KycRes",
        {
            "ret": answer.ret,
            "code": answer.code,
            "txn": answer.txn,
            "ts": answer.ts,
            "ttl": answer.ttl,
            "err": answer.err,
            "actn": answer.actn,
        },
    )
    if rar is not None:
        etree.SubElement(root, "Rar").text = rar
    data = answer.uid_data
    if isinstance(data, UidDataOut):
        uid_data = etree.SubElement(root, "UidData", uid=data.uid)
        _child_with(uid_data, "Poi", data.poi.model_dump(by_alias=True))
        _child_with(uid_data, "Poa", data.poa.model_dump(by_alias=True))
        if data.ldata is not None:
            _child_with(uid_data, "LData", data.ldata.model_dump(by_alias=True))
        etree.SubElement(uid_data, "Pht").text = data.pht
    return root


def _child_with(parent: etree._Element, name: str, attrs: dict[str, Any]) -> None:
    child = etree.SubElement(parent, name)
    for key, value in attrs.items():
        if value is not None:
            child.set(key, str(value))


def kyc_resp(kyc_res_root: etree._Element, kyc_res: bytes, *, status: str, ko: str | None) -> bytes:
    """The eKYC answer as sent: ``<Resp status ko ret code txn ts err><kycRes>`` (section 3.4),
    ``kyc_res`` being the signed ``<KycRes>`` document, encrypted or not, base64 here. status
    "0" on ret y, "-1" on ret n (whose kycRes is never encrypted: it holds no resident data)."""
    a = kyc_res_root.attrib
    resp = _element(
        "Resp",
        {
            "status": status,
            "ko": ko,
            "ret": a.get("ret"),
            "code": a.get("code"),
            "txn": a.get("txn"),
            "ts": a.get("ts"),
            "err": a.get("err"),
        },
    )
    etree.SubElement(resp, "kycRes").text = base64.b64encode(kyc_res).decode("ascii")
    out: bytes = etree.tostring(resp, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def otp_res(answer: OtpOut, ts: str) -> etree._Element:
    """``<OtpRes ret code txn ts err? actn? info?>``; ``info`` names where the OTP went."""
    sent = ",".join(m for m in (answer.masked_mobile, answer.masked_email) if m)
    return _element(
        "OtpRes",
        {
            "ret": answer.ret,
            "code": answer.code,
            "txn": answer.txn,
            "ts": ts,
            "err": answer.err,
            "actn": answer.actn,
            "info": sent or None,
        },
    )


def refusal(
    root_name: str, refused: AuthRefused, *, txn: str, code: str, ts: str
) -> etree._Element:
    """A ``ret="n"`` answer made before any service ran (510, 530, 542, 565...)."""
    return _element(
        root_name,
        {"ret": "n", "code": code, "txn": txn, "ts": ts, "err": refused.code, "actn": refused.actn},
    )


def signature_of(root: etree._Element) -> etree._Element | None:
    """The request's enveloped ``ds:Signature``, if it has one."""
    for child in root:
        if isinstance(child.tag, str) and child.tag == f"{{{_NS_SIG}}}Signature":
            return child
    return None
