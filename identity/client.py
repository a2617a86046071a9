"""The AUA's side of the identity wire formats, for tests and a future Python client: auth
requests built (the JSON body of ``POST /v1/identity/auth``, the ``<Auth>`` document of
``/uidai/...`` and the ``<Kyc>`` around it, the PID sealed by ``identity.crypto.encrypt_pid``)
and answers verified (the detached JWS of a JSON answer, the enveloped XML signature of
``<AuthRes>``/``<OtpRes>``/``<KycRes>``) and, for eKYC, decrypted with the KUA's private key.

No I/O: the caller fetches the auth certificate (``GET /v1/identity/certificate``) and the JWKS
(``GET /.well-known/jwks.json``) and passes them in. Outside identity's layers: it uses the core's
crypto and the platform's JWS, and nothing on the authority's side depends on it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml.exceptions import SignXMLException
from signxml.verifier import XMLVerifier

from identity.crypto import EncryptedPid, encrypt_pid, open_jwe, open_kyc_res
from identity.pid import safe_parser
from sandbox.keys.jws import Keys, verify_detached

NS = "http://www.uidai.gov.in/authentication/uid-auth-request/2.0"
DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
USES_FLAGS = ("pi", "pa", "pfa", "bio", "pin", "otp")  # written "n" when not given

PidType = Literal["X", "J"]


class AnswerNotVerified(ValueError):
    """An XML answer whose signature, or the key that made it, is not the sandbox's."""


# -- requests ----------------------------------------------------------------------------------


def seal(pid: bytes, certificate_pem: str, *, ts: str) -> EncryptedPid:
    return encrypt_pid(pid, x509.load_pem_x509_certificate(certificate_pem.encode()), ts=ts)


def pid_bytes(pid: bytes | Mapping[str, Any]) -> bytes:
    return pid if isinstance(pid, bytes) else json.dumps(pid).encode()


def ts_of(pid: bytes, pid_type: PidType) -> str:
    """The PID's own ``ts`` attribute (XML) or member (JSON), which ``Data`` must start with."""
    if pid_type == "J":
        ts = json.loads(pid).get("ts")
    else:
        ts = etree.fromstring(pid, safe_parser()).get("ts")
    if not isinstance(ts, str):
        raise ValueError("the PID has no ts: pass ts= or put one in the PID")
    return ts


def json_body(
    sealed: EncryptedPid, *, uid: str, txn: str, uses: Mapping[str, str], pid_type: PidType = "X"
) -> dict[str, Any]:
    """The JSON rendition's auth body around an already sealed PID."""
    return {
        "uid": uid,
        "rc": "Y",
        "ver": "2.5",
        "txn": txn,
        "uses": dict(uses),
        "skey": {"ci": sealed.ci, "value": sealed.skey},
        "hmac": sealed.hmac,
        "data": {"type": pid_type, "value": sealed.data},
    }


def auth_json(
    pid: bytes | Mapping[str, Any],
    certificate_pem: str,
    *,
    uid: str,
    txn: str,
    uses: Mapping[str, str],
    ts: str | None = None,
    pid_type: PidType | None = None,
) -> dict[str, Any]:
    """The complete body of ``POST /v1/identity/auth`` with the PID encrypted. A mapping is sent
    as a JSON PID (type J); bytes are XML (type X) unless ``pid_type`` says J. ``ts`` defaults to
    the PID's own."""
    kind: PidType = pid_type or ("X" if isinstance(pid, bytes) else "J")
    raw = pid_bytes(pid)
    sealed = seal(raw, certificate_pem, ts=ts or ts_of(raw, kind))
    return json_body(sealed, uid=uid, txn=txn, uses=uses, pid_type=kind)


def _wrap(b64: str) -> str:
    """Base64 with line breaks every 64 characters, as Java's MIME encoder writes it."""
    return "\n" + "\n".join(textwrap.wrap(b64, 64)) + "\n"


def auth_document(
    sealed: EncryptedPid,
    *,
    uid: str,
    txn: str,
    ac: str,
    sa: str,
    lk: str,
    uses: Mapping[str, str],
    namespaced: bool = False,
    pretty: bool = False,
    device: bool = False,
    pid_type: PidType = "X",
) -> bytes:
    """An ``<Auth>`` around an already sealed PID; ``pretty`` indents and wraps the base64 as
    Java clients do, ``device`` sends an empty ``<Device>`` instead of ``<Meta/>``."""
    ns = f' xmlns="{NS}"' if namespaced else ""
    nl = "\n  " if pretty else ""
    wrap = _wrap if pretty else (lambda s: s)
    flags = {**dict.fromkeys(USES_FLAGS, "n"), **uses}
    attrs = " ".join(f'{name}="{value}"' for name, value in flags.items())
    meta = '<Device rdsId="" rdsVer="" dpId="" dc="" mi="" mc=""/>' if device else "<Meta/>"
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Auth{ns} uid="{uid}" rc="Y" tid="" ac="{ac}" sa="{sa}" ver="2.5" '
        f'txn="{txn}" lk="{lk}">{nl}<Uses {attrs}/>{nl}{meta}'
        f'{nl}<Skey ci="{sealed.ci}">{wrap(sealed.skey)}</Skey>'
        f'{nl}<Data type="{pid_type}">{wrap(sealed.data)}</Data>'
        f"{nl}<Hmac>{wrap(sealed.hmac)}</Hmac>\n</Auth>\n"
    ).encode()


def auth_xml(
    pid: bytes,
    certificate_pem: str,
    *,
    uid: str,
    txn: str,
    ac: str,
    sa: str,
    lk: str,
    uses: Mapping[str, str],
    namespaced: bool = False,
    ts: str | None = None,
) -> bytes:
    """The complete ``<Auth>`` document for ``/uidai/2.5/...`` with an XML PID encrypted; ``ts``
    defaults to the PID's own."""
    sealed = seal(pid, certificate_pem, ts=ts or ts_of(pid, "X"))
    return auth_document(
        sealed, uid=uid, txn=txn, ac=ac, sa=sa, lk=lk, uses=uses, namespaced=namespaced
    )


def wadh(*, ra: str, rc: str = "Y", lr: str = "N", de: str = "N", pfr: str = "N") -> str:
    """The eKYC PID's wadh: base64(SHA-256(ver+ra+rc+lr+de+pfr)), e.g. of "2.5OYNNN"."""
    terms = f"2.5{ra}{rc}{lr}{de}{pfr}"
    return base64.b64encode(hashlib.sha256(terms.encode()).digest()).decode("ascii")


def kyc_document(
    auth: bytes,
    *,
    ra: str,
    rc: str = "Y",
    lr: str = "N",
    de: str = "N",
    pfr: str = "N",
    ver: str = "2.5",
) -> bytes:
    """``<Kyc ver ra rc lr de pfr><Rad>`` around a complete (signed) ``<Auth>`` document, for
    ``/uidai/kyc/2.5/...`` (eKYC API 2.5, section 3.3)."""
    rad = base64.b64encode(auth).decode("ascii")
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Kyc ver="{ver}" ra="{ra}" rc="{rc}" lr="{lr}" de="{de}" pfr="{pfr}">'
        f"<Rad>{rad}</Rad></Kyc>\n"
    ).encode()


def kyc_xml(
    pid: bytes,
    certificate_pem: str,
    *,
    uid: str,
    txn: str,
    ac: str,
    sa: str,
    lk: str,
    uses: Mapping[str, str],
    ra: str,
    lr: str = "N",
    de: str = "N",
    pfr: str = "N",
    sign: Callable[[bytes], bytes] | None = None,
    namespaced: bool = False,
) -> bytes:
    """The complete ``<Kyc>`` for ``/uidai/kyc/2.5/...``: ``pid`` (XML, carrying the ``wadh``
    of these terms, see ``wadh``) encrypted into an ``<Auth>``, signed by ``sign`` (your AUA
    key; needed once you registered a signing certificate), base64 in ``<Rad>``."""
    auth = auth_xml(
        pid,
        certificate_pem,
        uid=uid,
        txn=txn,
        ac=ac,
        sa=sa,
        lk=lk,
        uses=uses,
        namespaced=namespaced,
    )
    return kyc_document(auth if sign is None else sign(auth), ra=ra, lr=lr, de=de, pfr=pfr)


# -- answers -----------------------------------------------------------------------------------


def verify_json_answer(body: bytes, signature: str, jwks: Keys) -> dict[str, Any]:
    """The parsed answer once its ``x-jws-signature`` verifies under ``jwks``; raises
    ``sandbox.keys.jws.JwsError`` otherwise."""
    verify_detached(signature, body, jwks)
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def verify_xml_answer(
    document: bytes,
    *,
    jwks: Mapping[str, Any] | None = None,
    expected_public_key_pem: str | None = None,
) -> etree._Element:
    """The answer's root once its enveloped signature checks out against the certificate it
    carries, whose public key must be ``expected_public_key_pem`` or one of the JWKS's (the
    sandbox signs XML with the key it publishes at ``/.well-known/jwks.json``). Raises
    ``AnswerNotVerified``."""
    if (jwks is None) == (expected_public_key_pem is None):
        raise TypeError("pass exactly one of jwks and expected_public_key_pem")
    try:
        root = etree.fromstring(document, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise AnswerNotVerified(f"the answer is not well-formed XML: {exc}") from None
    carried = root.findtext(f".//{DSIG}X509Certificate")
    if not carried:
        raise AnswerNotVerified("the answer carries no X509Certificate")
    cert = x509.load_der_x509_certificate(base64.b64decode(carried))
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or public.public_numbers() not in _expected(
        jwks, expected_public_key_pem
    ):
        raise AnswerNotVerified("the answer's certificate does not carry the sandbox's key")
    try:
        result = XMLVerifier().verify(document, x509_cert=cert)
    except SignXMLException as exc:  # InvalidSignature, InvalidDigest, InvalidInput...
        raise AnswerNotVerified(f"the answer's signature does not verify: {exc}") from None
    signed = result.signed_xml  # type: ignore[union-attr]
    # an enveloped signature over the whole answer, not over some element inside it
    if signed is None or etree.QName(signed).localname != etree.QName(root).localname:
        raise AnswerNotVerified("the signature does not cover the answer's root element")
    return root


def read_kyc_answer(
    document: bytes,
    *,
    jwks: Mapping[str, Any] | None = None,
    expected_public_key_pem: str | None = None,
    private_key: rsa.RSAPrivateKey | None = None,
) -> etree._Element:
    """The ``<KycRes>`` of an eKYC ``<Resp>``: base64-decoded, decrypted with ``private_key``
    when it was encrypted to your key (it then starts with "VERSION_1.0"), and its enveloped
    signature verified as ``verify_xml_answer`` does. Raises ``AnswerNotVerified``."""
    try:
        resp = etree.fromstring(document, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise AnswerNotVerified(f"the answer is not well-formed XML: {exc}") from None
    carried = resp.findtext("kycRes")
    if etree.QName(resp).localname != "Resp" or not carried:
        raise AnswerNotVerified("the answer is not a <Resp> with a <kycRes>")
    kyc_res = base64.b64decode("".join(carried.split()))
    if resp.get("ko") == "KUA":
        if private_key is None:
            raise AnswerNotVerified('kycRes is encrypted to your key (ko="KUA"): pass private_key')
        try:
            kyc_res = open_kyc_res(kyc_res, private_key)
        except ValueError as exc:
            raise AnswerNotVerified(f"kycRes did not decrypt: {exc}") from None
    return verify_xml_answer(kyc_res, jwks=jwks, expected_public_key_pem=expected_public_key_pem)


def open_uid_data(answer: Mapping[str, Any], private_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """A JSON eKYC answer's ``uidData``: the object itself, or the JWE to your key opened."""
    data = answer.get("uidData")
    if isinstance(data, str):
        opened: dict[str, Any] = json.loads(open_jwe(data, private_key))
        return opened
    if not isinstance(data, dict):
        raise ValueError("the answer has no uidData (ret n?)")
    return data


def _expected(jwks: Mapping[str, Any] | None, pem: str | None) -> list[rsa.RSAPublicNumbers]:
    if pem is not None:
        key = serialization.load_pem_public_key(pem.encode())
        return [key.public_numbers()] if isinstance(key, rsa.RSAPublicKey) else []
    assert jwks is not None
    return [
        rsa.RSAPublicNumbers(_int(jwk["e"]), _int(jwk["n"]))
        for jwk in jwks.get("keys", [])
        if jwk.get("kty") == "RSA"
    ]


def _int(b64url: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(b64url + "=" * (-len(b64url) % 4)), "big")
