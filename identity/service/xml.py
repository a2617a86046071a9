"""The XML wire format (``/uidai/...``) on the JSON rendition's services: the URL's AUA
credentials select the partner's world, the envelope is checked, and ``<Auth>``, ``<Otp>`` and
``<Kyc>`` run ``identity.service.auth.authenticate``, ``identity.service.otp.request_otp`` and
``identity.service.ekyc.ekyc`` unchanged.

Checked before the services, each a ``ret="n"`` answer that is not kept in ``auth_records``
(there may be no world to keep it in): the URL's ``ac`` (530) and ``asalk`` (542), a document
that is not a readable ``<Auth>``/``<Otp>`` (510), the ``ac`` attribute (530), ``sa`` (531),
``lk`` (565), ``uid0``/``uid1`` against the first two characters of ``uid`` (510), and, once
the partner registered a signing certificate, the request's enveloped signature (569/570).
For ``<Kyc>`` these checks apply to the ``<Auth>`` inside its ``Rad``; besides, the ``<Kyc>``
must be version 2.5 (540) and, if it carries a signature of its own, that one must verify too.

eKYC answers (eKYC API 2.5, section 3.4) go out as ``<Resp status ko ret code txn ts err>`` around
``<kycRes>``: the signed ``<KycRes>`` (with ``<Rar>``, the signed ``<AuthRes>``), base64. On
ret y, when the KUA registered an encryption certificate and de is N, that document is first
sealed to the KUA's key (``identity.crypto.seal_kyc_res``, ko="KUA"); with de Y the KSA (the
sandbox plays it too) has decrypted it for the KUA (ko="KSA"); with no certificate registered it
goes in the clear and ko is absent (the easy path).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml.exceptions import SignXMLException

from identity import xmlsig, xmlwire
from identity.crypto import seal_kyc_res
from identity.errors import AuthRefused
from identity.schemas.aua import CertificateOut
from identity.service import auth, ekyc, otp, prepare
from identity.service.auth import ist
from identity.service.keys import auth_key
from identity.store import certificates
from sandbox.kit.clock import Clock
from sandbox.partners import aua
from sandbox.partners import service as partners
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


@dataclass(frozen=True, slots=True)
class Url:
    """The path segments after the version: ``{ac}/{uid0}/{uid1}/{asalk}``."""

    ac: str
    uid0: str
    uid1: str
    asalk: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The unsigned answer element and, with ret n, the hint (sent as a header)."""

    element: etree._Element
    hint: str | None


Signer = Callable[[etree._Element], bytes]
"""Signs an answer element with the sandbox's key (enveloped XML signature), serialised."""


@dataclass(frozen=True, slots=True)
class KycAnswer:
    """The eKYC answer as sent (``<Resp>`` around ``<kycRes>``) and, with ret n, the hint."""

    document: bytes
    hint: str | None


class Read:
    """The request document, or why it could not be read (answered once the URL checked out)."""

    def __init__(self, document: bytes, root_name: str) -> None:
        self.root_name = root_name
        self.document = document
        self.root: etree._Element | None = None
        self.broken: AuthRefused | None = None
        try:
            self.root = xmlwire.read(document, root_name)
        except AuthRefused as refused:
            self.broken = refused

    def refusal(self, refused: AuthRefused, now_us: int) -> Answer:
        element = xmlwire.refusal(
            f"{self.root_name}Res",
            refused,
            txn=xmlwire.txn_of(self.root),
            code=uuid.uuid4().hex,
            ts=ist(now_us),
        )
        return Answer(element, refused.hint)


async def world_of(db: Database, settings: Settings, url: Url, clock: Clock) -> WorldContext:
    """The world the URL's ``ac`` and ``asalk`` select, or 530 / 542."""
    partner, linked = await partners.find_by_aua(db, settings.secret_key, url.ac, url.asalk)
    if partner is None:
        raise AuthRefused("530", f"no AUA has the code {url.ac!r} (the URL's ac)")
    if not linked:
        raise AuthRefused("542", "the URL's asalk is not the ASA licence key of this ac")
    return WorldContext.of(partner, settings.secret_key, clock)


def _check(world: WorldContext, url: Url, root: etree._Element, secret_key: str) -> str:
    """The envelope's credentials against the partner's; returns the uid."""
    found = xmlwire.envelope(root)
    mine = aua.credentials(secret_key, world.partner.id)
    if found.ac != url.ac:
        raise AuthRefused("530", f"ac {found.ac!r} differs from the URL's ac {url.ac!r}")
    if found.sa != mine.sa:
        raise AuthRefused("531", f"sa {found.sa!r} is not a sub-AUA of {mine.ac!r}")
    if not hmac.compare_digest(found.lk.encode(), mine.lk.encode()):
        raise AuthRefused("565", "lk is not the licence key of this AUA")
    if found.uid[:2] != url.uid0 + url.uid1:
        raise AuthRefused(
            "510",
            f"the URL's uid0/uid1 ({url.uid0}/{url.uid1}) are not the first two characters of uid",
            hint="Put uid[0] and uid[1] in the URL: .../{ac}/{uid[0]}/{uid[1]}/{asalk}.",
        )
    return found.uid


async def _check_signature(
    db: Database, world: WorldContext, read: Read, *, required: bool = True
) -> None:
    """Once the partner registered a certificate: 569 unsigned (when ``required``) or a
    signature that does not verify; 570 a signature carrying another certificate, or the
    registered one expired."""
    registered = await db.read(lambda conn: certificates.get(conn, world.partner.id))
    if registered is None:
        return
    assert read.root is not None
    signature = xmlwire.signature_of(read.root)
    if signature is None and not required:
        return
    if signature is None:
        raise AuthRefused(
            "569", "the request is unsigned, and you registered a signing certificate"
        )
    if registered.not_after_us < world.now_us:
        raise AuthRefused(
            "570",
            "your registered signing certificate has expired (world time)",
            hint="Register a current one: POST /v1/partners/me/certificates.",
        )
    embedded = signature.findtext(f".//{xmlwire.DSIG}X509Certificate")
    if embedded and _der_sha256(embedded) != registered.sha256:
        raise AuthRefused(
            "570", "the signature carries a certificate other than the one you registered"
        )
    try:
        await anyio.to_thread.run_sync(xmlsig.verify_request, read.document, registered.pem)
    except SignXMLException as exc:
        raise AuthRefused(
            "569",
            f"the signature does not verify with your registered certificate: {exc}",
        ) from None


def _der_sha256(b64: str) -> str:
    try:
        return hashlib.sha256(base64.b64decode("".join(b64.split()), validate=True)).hexdigest()
    except ValueError:
        return ""


async def register_certificate(
    db: Database, world: WorldContext, pem: str, use: certificates.Use = "signature"
) -> CertificateOut:
    """Keep the partner's signing (XML requests) or encryption (eKYC answers) certificate."""
    cert = x509.load_pem_x509_certificate(pem.encode())
    der = cert.public_bytes(serialization.Encoding.DER)
    not_after = cert.not_valid_after_utc
    values = {
        "pem": pem,
        "sha256": hashlib.sha256(der).hexdigest(),
        "not_after_us": int(not_after.timestamp() * 1_000_000),
        "created_us": world.now_us,
    }
    await db.write(lambda conn: certificates.put(conn, world.partner.id, use, **values))
    return CertificateOut(
        use=use,
        sha256=str(values["sha256"]),
        subject=cert.subject.rfc4514_string(),
        not_after=not_after.isoformat().replace("+00:00", "Z"),
    )


async def authenticate(
    db: Database,
    settings: Settings,
    clock: Clock,
    world: WorldContext,
    url: Url,
    read: Read,
    *,
    idempotency_key: str | None,
) -> Answer:
    try:
        if read.broken is not None:
            raise read.broken
        assert read.root is not None
        _check(world, url, read.root, settings.secret_key)
        await _check_signature(db, world, read)
        body = xmlwire.auth_request(read.root)
    except AuthRefused as refused:
        return read.refusal(refused, world.now_us)
    key = await auth_key(settings.data_dir, clock)
    prepared = await prepare.prepare(world, body, key)
    answer = await auth.authenticate(db, world, body, prepared, idempotency_key=idempotency_key)
    return Answer(xmlwire.auth_res(answer), answer.hint)


async def request_otp(
    db: Database,
    settings: Settings,
    world: WorldContext,
    url: Url,
    read: Read,
    *,
    idempotency_key: str | None,
) -> Answer:
    try:
        if read.broken is not None:
            raise read.broken
        assert read.root is not None
        _check(world, url, read.root, settings.secret_key)
        await _check_signature(db, world, read)
        body = xmlwire.otp_request(read.root)
    except AuthRefused as refused:
        return read.refusal(refused, world.now_us)
    answer = await otp.request_otp(db, world, body, idempotency_key=idempotency_key)
    return Answer(xmlwire.otp_res(answer, ist(world.now_us)), answer.hint)


def kyc_refusal(answer: Answer, sign: Signer) -> KycAnswer:
    """A ret n ``<KycRes>`` made before the service ran, signed, in its ``<Resp>``."""
    document = sign(answer.element)
    return KycAnswer(xmlwire.kyc_resp(answer.element, document, status="-1", ko=None), answer.hint)


async def kyc(
    db: Database,
    settings: Settings,
    clock: Clock,
    world: WorldContext,
    url: Url,
    read: Read,
    sign: Signer,
    *,
    idempotency_key: str | None,
) -> KycAnswer:
    """``<Kyc ver ra rc lr de pfr><Rad>base64 of the signed Auth</Rad></Kyc>`` (eKYC API 2.5,
    section 3.3) through POST /v1/identity/ekyc's service; the answer as section 3.4 says."""
    txn = ""
    try:
        if read.broken is not None:
            raise read.broken
        assert read.root is not None
        terms = xmlwire.kyc_terms(read.root)
        inner = Read(terms.rad, "Auth")
        if inner.broken is not None:
            raise AuthRefused(
                inner.broken.code,
                f"Rad: {inner.broken.detail}",
                hint="Rad is base64 of the complete signed <Auth> document (Auth API 2.5).",
            )
        assert inner.root is not None
        txn = xmlwire.txn_of(inner.root)
        _check(world, url, inner.root, settings.secret_key)
        await _check_signature(db, world, inner)
        await _check_signature(db, world, read, required=False)
        body = xmlwire.kyc_request(terms, inner.root)
    except AuthRefused as refused:
        element = xmlwire.refusal(
            "KycRes", refused, txn=txn, code=uuid.uuid4().hex, ts=ist(world.now_us)
        )
        return kyc_refusal(Answer(element, refused.hint), sign)
    key = await auth_key(settings.data_dir, clock)
    prepared = await prepare.prepare(world, body, key)
    answer = await ekyc.ekyc(db, world, body, prepared, idempotency_key=idempotency_key)
    rar = base64.b64encode(sign(xmlwire.auth_res(answer))).decode("ascii")
    element = xmlwire.kyc_res(answer, rar=rar)
    document = sign(element)
    if answer.ret != "y":
        return KycAnswer(xmlwire.kyc_resp(element, document, status="-1", ko=None), answer.hint)
    certificate = await ekyc.kua_certificate(db, world)
    ko: str | None = None
    if certificate is not None and ekyc.encrypted_to_kua(body, certificate):
        document, ko = seal_kyc_res(document, certificate), "KUA"
    elif body.de == "Y":
        ko = "KSA"
    return KycAnswer(xmlwire.kyc_resp(element, document, status="0", ko=ko), None)
