"""Offline eKYC (paperless), I/O-free: the signed ``OfflinePaperlessKyc`` XML and its zip.

The format follows ``shared/reference/aadhaar.md``, section "Offline eKYC (paperless)": a zip
protected by the resident's 4-digit share code holds ``offlineaadhaar<stamp>.xml``, whose root
``OfflinePaperlessKyc referenceId`` is the number's last 4 digits and the stamp
(``yyyyMMddHHmmssSSS``, IST world time), with ``UidData``: ``Poi`` (dob DD-MM-YYYY, e, gender,
m, name), ``Poa`` (careof ... vtc, empty where unknown) and ``Pht`` (base64 JPEG), and an
enveloped XML signature (rsa-sha256, the certificate in ``KeyInfo``).

The hashes are the reference's: ``m`` is SHA-256 hex of mobile (10 digits) + share code, hashed
again (the hex text) until it has been hashed N times, N the number's last digit (0 and 1: once).
``e`` is SHA-256 hex of the e-mail alone, as the reference says; UIDAI's own files hash the e-mail
with the share code the way they hash the mobile (a difference noted in docs/decisions).

The zip is AES-256 (WinZip AE-2, ``pyzipper``): Python cannot write ZipCrypto, and AES keeps the
file closed to anyone without the share code. 7-Zip, WinZip, macOS Archive Utility, ``bsdtar``
and ``pyzipper`` open it; Info-ZIP ``unzip -P`` does not (it only reads ZipCrypto).
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyzipper
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import XMLVerifier

from identity.models import Resident

IST = timedelta(hours=5, minutes=30)
MAX_XML_BYTES = 4_000_000  # a real file with its photo is ~30 kB
ROOT = "OfflinePaperlessKyc"
POA_ATTRIBUTES = (
    ("careof", "co"),
    ("country", "country"),
    ("dist", "dist"),
    ("house", "house"),
    ("landmark", "lm"),
    ("loc", "loc"),
    ("pc", "pc"),
    ("po", "po"),
    ("state", "state"),
    ("street", "street"),
    ("subdist", "subdist"),
    ("vtc", "vtc"),
)
"""The Poa attributes of the offline file (alphabetical, as UIDAI writes them) and the
``Address`` fields they come from."""


class Unreadable(ValueError):
    """The upload is not an offline eKYC zip, or the share code does not open it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class OfflineFile:
    """What a generation makes: the zip's name and bytes, and its reference id."""

    filename: str
    content: bytes
    reference_id: str


@dataclass(frozen=True, slots=True)
class Checked:
    """What a verifier learns from a file: whether the signature holds, and its data."""

    signature_valid: bool
    reference_id: str
    name: str
    m: str
    e: str
    last_digit: str


def stamp(now_us: int) -> str:
    """World time as the file names and reference ids write it: IST ``yyyyMMddHHmmssSSS``."""
    moment = datetime.fromtimestamp(now_us / 1_000_000, UTC) + IST
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


def reference_id(uid: str, now_us: int) -> str:
    """``referenceId``: the number's last 4 digits and the stamp."""
    return uid[-4:] + stamp(now_us)


def rounds(uid: str) -> int:
    """How many times ``m`` is hashed: the number's last digit, at least once."""
    return max(int(uid[-1]), 1)


def mobile_hash(mobile: str, share_code: str, uid_last_digit: str) -> str:
    """``m``: SHA-256 hex of mobile + share code, hashed (hex text) N times in all."""
    digest = hashlib.sha256((national(mobile) + share_code).encode()).hexdigest()
    for _ in range(rounds(uid_last_digit) - 1):
        digest = hashlib.sha256(digest.encode()).hexdigest()
    return digest


def email_hash(email: str) -> str:
    """``e``: SHA-256 hex of the e-mail, as the reference says (no share code, once)."""
    return hashlib.sha256(email.strip().encode()).hexdigest()


def national(mobile: str) -> str:
    """``+919876500001`` -> ``9876500001``: the 10 digits the hash is made of."""
    return "".join(ch for ch in mobile if ch.isdigit())[-10:]


def offline_xml(
    uid: str, resident: Resident, photo: bytes, *, share_code: str, now_us: int
) -> etree._Element:
    """The unsigned ``OfflinePaperlessKyc`` document of a resident."""
    root = etree.Element(ROOT, referenceId=reference_id(uid, now_us))
    data = etree.SubElement(root, "UidData")
    etree.SubElement(
        data,
        "Poi",
        dob=_offline_date(resident.dob),
        e=email_hash(resident.email) if resident.email else "",
        gender=resident.gender,
        m=mobile_hash(resident.phone, share_code, uid) if resident.phone else "",
        name=resident.name,
    )
    address = resident.address
    etree.SubElement(
        data, "Poa", {attr: getattr(address, field) or "" for attr, field in POA_ATTRIBUTES}
    )
    etree.SubElement(data, "Pht").text = base64.b64encode(photo).decode("ascii")
    return root


def sign(document: etree._Element, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> bytes:
    """The document with an enveloped signature (rsa-sha256, exclusive c14n, the certificate in
    ``KeyInfo``), serialised with an XML declaration."""
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
    )
    signed = signer.sign(document, key=key, cert=[certificate])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def pack(xml: bytes, share_code: str, now_us: int) -> tuple[str, bytes]:
    """The zip's name and bytes: one ``offlineaadhaar<stamp>.xml``, AES-256 under the code."""
    name = f"offlineaadhaar{stamp(now_us)}"
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=zipfile.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(share_code.encode())
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        archive.writestr(f"{name}.xml", xml)
    return f"{name}.zip", buffer.getvalue()


def make(
    uid: str,
    resident: Resident,
    photo: bytes,
    *,
    share_code: str,
    now_us: int,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
) -> OfflineFile:
    document = offline_xml(uid, resident, photo, share_code=share_code, now_us=now_us)
    filename, content = pack(sign(document, key, certificate), share_code, now_us)
    return OfflineFile(filename, content, reference_id(uid, now_us))


def unpack(content: bytes, share_code: str) -> bytes:
    """The XML inside an offline zip; ``Unreadable`` naming the field at fault."""
    try:
        with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
            entries = [i for i in archive.infolist() if i.filename.lower().endswith(".xml")]
            if len(entries) != 1:
                raise Unreadable("file", "the zip must hold exactly one .xml file")
            if entries[0].file_size > MAX_XML_BYTES:  # a zip bomb's claim, checked before
                raise Unreadable("file", f"the XML is larger than {MAX_XML_BYTES} bytes")
            archive.setpassword(share_code.encode())
            try:
                xml: bytes = archive.read(entries[0])
                return xml
            except RuntimeError as wrong:  # pyzipper: "Bad password for file"
                raise Unreadable("shareCode", "the share code does not open the zip") from wrong
    except (
        pyzipper.BadZipFile,
        pyzipper.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
    ) as bad:
        raise Unreadable("file", f"not a readable zip ({bad})") from bad


def check(xml: bytes, certificate: x509.Certificate) -> Checked:
    """Read an offline XML and check its enveloped signature against ``certificate``. The data
    returned is the document's as sent: trust it only when ``signature_valid``."""
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as bad:
        raise Unreadable("file", f"the zip's XML is not well-formed ({bad})") from bad
    poi = root.find("UidData/Poi")
    if etree.QName(root).localname != ROOT or poi is None:
        raise Unreadable("file", f"the zip's XML is not an {ROOT} document")
    reference_id = root.get("referenceId", "")
    try:
        XMLVerifier().verify(xml, x509_cert=certificate)
        valid = True
    except (InvalidSignature, InvalidInput):
        valid = False
    return Checked(
        signature_valid=valid,
        reference_id=reference_id,
        name=poi.get("name", ""),
        m=poi.get("m", ""),
        e=poi.get("e", ""),
        last_digit=reference_id[3:4] or "0",
    )


def _offline_date(dob: str) -> str:
    """``1990-04-12`` -> ``12-04-1990`` (a year alone stays as it is)."""
    if len(dob) != 10:
        return dob
    return f"{dob[8:10]}-{dob[5:7]}-{dob[0:4]}"
