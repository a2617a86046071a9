"""eKYC API 2.5 over XML (``/uidai/kyc/2.5/...``): a ``<Kyc>`` around the signed ``<Auth>``
of a test AUA certificate, answered by ``<Resp>`` around the sandbox-signed ``<KycRes>``;
encrypted to the KUA's registered certificate (checked here with an implementation of the
envelope written in the test), the refusals before and after the service."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from lxml import etree
from PIL import Image
from signxml.verifier import XMLVerifier

from identity import client as aua_side
from tests.support.clock import advance
from tests.support.http import SignedUp
from tests.support.identity import ASHA, ASHA_MOBILE, pid_ts, read_otp, request_otp
from tests.support.uidai import Aua, aua, aua_key, post, register, signed_doc

pytestmark = pytest.mark.anyio

DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


async def _cert_pem(client: httpx.AsyncClient) -> str:
    pem: str = (await client.get("/v1/identity/certificate")).json()["certificate"]
    return pem


async def _otp_pid(
    client: httpx.AsyncClient, partner: SignedUp, txn: str, *, terms: str = "2.5OYNNN"
) -> bytes:
    """An OTP PID of asha's carrying the wadh of ``terms`` (ver+ra+rc+lr+de+pfr)."""
    await advance(client, partner, 31)  # one OTP per number per 30 s
    assert (await request_otp(client, partner, txn=txn))["ret"] == "y"
    otp = await read_otp(client, partner)
    ts = await pid_ts(client, partner)
    wadh = base64.b64encode(hashlib.sha256(terms.encode()).digest()).decode()
    return f'<Pid ts="{ts}" ver="2.0" wadh="{wadh}"><Pv otp="{otp}"/></Pid>'.encode()


def _kyc(
    pid: bytes,
    cert_pem: str,
    creds: Aua,
    txn: str,
    sign: Callable[[bytes], bytes] | None,
    **terms: str,
) -> bytes:
    return aua_side.kyc_xml(
        pid,
        cert_pem,
        uid=ASHA,
        txn=txn,
        ac=creds.ac,
        sa=creds.sa,
        lk=creds.lk,
        uses={"otp": "y"},
        ra=terms.pop("ra", "O"),
        sign=sign,
        namespaced=True,
        **terms,
    )


def _resp(answer: httpx.Response) -> tuple[etree._Element, bytes]:
    """The ``<Resp>`` and its kycRes, base64-decoded."""
    resp = etree.fromstring(answer.content)
    assert etree.QName(resp).localname == "Resp"
    return resp, base64.b64decode(resp.findtext("kycRes") or "")


def _verify(document: bytes, jwks: dict[str, Any]) -> etree._Element:
    """signxml on its own: the enveloped signature with the certificate it carries, whose key
    must be the sandbox's published one."""
    root = etree.fromstring(document)
    carried = root.findtext(f"{DSIG}Signature/{DSIG}KeyInfo/{DSIG}X509Data/{DSIG}X509Certificate")
    assert carried
    cert = x509.load_der_x509_certificate(base64.b64decode(carried))
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    n = int.from_bytes(base64.urlsafe_b64decode(jwks["keys"][0]["n"] + "=="), "big")
    assert public.public_numbers().n == n
    result = XMLVerifier().verify(document, x509_cert=cert)
    signed = result.signed_xml  # type: ignore[union-attr]
    assert signed is not None
    return signed


def _open_envelope(sealed: bytes, key: rsa.RSAPrivateKey) -> bytes:
    """The kycRes envelope opened as UIDAI's KUA library reads it: "VERSION_1.0", the KUA's
    294-byte public key, a 32-byte EID, the AES key under RSA-OAEP-SHA-256 (label = EID), then
    AES-256-CFB (IV = EID[:16]) of SHA-256(KycRes) + KycRes."""
    assert sealed[:11] == b"VERSION_1.0"
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert len(spki) == 294
    assert sealed[11:305] == spki
    eid, wrapped, body = sealed[305:337], sealed[337:593], sealed[593:]
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), eid)
    aes_key = key.decrypt(wrapped, oaep)
    assert len(aes_key) == 32
    decryptor = Cipher(algorithms.AES(aes_key), CFB(eid[:16])).decryptor()
    plain = decryptor.update(body) + decryptor.finalize()
    assert plain[:32] == hashlib.sha256(plain[32:]).digest()
    return plain[32:]


async def test_kyc_xml_answers_the_signed_kycres_with_the_residents_data(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    key, pem = aua_key()
    await register(client, partner, pem)  # the Auth inside must now be signed
    jwks = (await client.get("/.well-known/jwks.json")).json()
    pid = await _otp_pid(client, partner, "kx-1")
    document = _kyc(pid, await _cert_pem(client), creds, "kx-1", lambda d: signed_doc(d, key, pem))
    answer = await post(client, "kyc", creds, ASHA, document)
    resp, kyc_res = _resp(answer)
    assert (resp.get("status"), resp.get("ret"), resp.get("err")) == ("0", "y", None)
    assert resp.get("ko") is None  # no encryption certificate registered: in the clear
    assert resp.get("txn") == "UKC:kx-1"
    root = _verify(kyc_res, jwks)
    assert etree.QName(root).localname == "KycRes"
    assert (root.get("ret"), root.get("txn"), root.get("code")) == (
        "y",
        "UKC:kx-1",
        resp.get("code"),
    )
    assert root.get("ttl", "") > root.get("ts", "")
    assert root.get("ts", "").endswith("+05:30")
    # Rar: the signed AuthRes of the authentication underneath
    auth_res = _verify(base64.b64decode(root.findtext("Rar") or ""), jwks)
    assert (etree.QName(auth_res).localname, auth_res.get("ret")) == ("AuthRes", "y")
    assert auth_res.get("info")  # the UID token
    listed = await client.get("/v1/sandbox/personas", headers=partner.headers)
    asha = next(p for p in listed.json()["personas"] if p["uid"] == ASHA)
    data = root.find("UidData")
    assert data is not None
    assert data.get("uid") == ASHA
    poi = data.find("Poi")
    assert poi is not None
    y, m, d = asha["dob"].split("-")
    assert dict(poi.attrib) == {
        "name": asha["name"],
        "dob": f"{d}-{m}-{y}",
        "gender": asha["gender"],
        "phone": ASHA_MOBILE[-10:],
        "email": asha["email"],
    }
    poa = data.find("Poa")
    assert poa is not None
    assert poa.get("pc")
    assert data.find("LData") is None  # lr N
    photo = Image.open(io.BytesIO(base64.b64decode(data.findtext("Pht") or "")))
    assert photo.format == "JPEG"
    # the client helper reads the same answer
    read = aua_side.read_kyc_answer(answer.content, jwks=jwks)
    assert read.find("UidData") is not None
    record = await client.get(
        f"/v1/identity/auth-records/{root.get('code')}", headers=partner.headers
    )
    assert record.json()["txn"] == "UKC:kx-1"


async def test_kyc_xml_is_encrypted_to_the_registered_kua_certificate(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    kua_key, kua_pem = aua_key()
    await register(client, partner, kua_pem, use="encryption")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    cert_pem = await _cert_pem(client)
    pid = await _otp_pid(client, partner, "kx-enc", terms="2.5OYYNN")
    answer = await post(
        client, "kyc", creds, ASHA, _kyc(pid, cert_pem, creds, "kx-enc", None, lr="Y")
    )
    resp, sealed = _resp(answer)
    assert (resp.get("status"), resp.get("ko"), resp.get("ret")) == ("0", "KUA", "y")
    assert b"UidData" not in sealed
    root = _verify(_open_envelope(sealed, kua_key), jwks)
    data = root.find("UidData")
    assert data is not None
    assert data.get("uid") == ASHA
    ldata = data.find("LData")
    assert ldata is not None
    assert ldata.get("lang") == "06"
    assert ldata.get("name")
    # the client helper needs the private key, and opens it with it
    with pytest.raises(aua_side.AnswerNotVerified):
        aua_side.read_kyc_answer(answer.content, jwks=jwks)
    opened = aua_side.read_kyc_answer(answer.content, jwks=jwks, private_key=kua_key)
    assert opened.get("code") == root.get("code")
    # de="Y": the KSA (the sandbox) decrypts on the KUA's behalf: in the clear, ko="KSA"
    pid = await _otp_pid(client, partner, "kx-de", terms="2.5OYNYN")
    delegated = await post(
        client, "kyc", creds, ASHA, _kyc(pid, cert_pem, creds, "kx-de", None, de="Y")
    )
    resp, plain = _resp(delegated)
    assert (resp.get("status"), resp.get("ko"), resp.get("ret")) == ("0", "KSA", "y")
    assert _verify(plain, jwks).find("UidData") is not None
    # a refusal holds no resident data and is never encrypted
    pid = await _otp_pid(client, partner, "kx-no")
    wrong = re.sub(rb'otp="\d{6}"', b'otp="000000"', pid)
    refused = await post(client, "kyc", creds, ASHA, _kyc(wrong, cert_pem, creds, "kx-no", None))
    resp, plain = _resp(refused)
    assert (resp.get("status"), resp.get("ko"), resp.get("ret"), resp.get("err")) == (
        "-1",
        None,
        "n",
        "400",
    )
    assert refused.headers["x-sandbox-hint"]
    root = _verify(plain, jwks)
    assert (root.get("err"), root.find("UidData")) == ("400", None)


async def test_kyc_xml_refusals(client: httpx.AsyncClient, partner: SignedUp) -> None:
    creds = await aua(client, partner)
    jwks = (await client.get("/.well-known/jwks.json")).json()
    cert_pem = await _cert_pem(client)
    pid = await _otp_pid(client, partner, "kx-r")
    good = _kyc(pid, cert_pem, creds, "kx-r", None)

    async def refused(document: bytes) -> tuple[str | None, str | None, str]:
        resp, plain = _resp(await post(client, "kyc", creds, ASHA, document))
        root = _verify(plain, jwks)
        assert resp.get("status") == "-1"
        assert root.get("err") == resp.get("err")
        return resp.get("err"), root.get("txn"), etree.QName(root).localname

    assert await refused(good.replace(b'ver="2.5" ra=', b'ver="2.1" ra=')) == ("540", "", "KycRes")
    assert (await refused(good.replace(b"<Rad>", b"<Rad>!!")))[0] == "510"
    assert (await refused(b'<Kyc ver="2.5" ra="O" rc="Y" lr="N" de="N" pfr="N"/>'))[0] == "510"
    not_auth = aua_side.kyc_document(b"<Otp/>", ra="O")
    assert (await refused(not_auth))[0] == "510"
    assert await refused(good.replace(b'rc="Y" lr=', b'rc="N" lr=')) == (
        "512",
        "UKC:kx-r",
        "KycRes",
    )
    assert (await refused(good.replace(b'ra="O"', b'ra="X"')))[0] == "510"
    assert (await refused(good.replace(b'pfr="N"', b'pfr="Y"')))[0] == "552"  # not the wadh's terms
    # the URL's credentials and the Auth's envelope are checked as for <Auth>
    resp, _ = _resp(await post(client, "kyc", creds, ASHA, good, asalk="nope"))
    assert resp.get("err") == "542"
    # once a signing certificate is registered: the Auth must be signed (569), and a signature
    # on the Kyc itself must be by that certificate (570)
    key, pem = aua_key()
    await register(client, partner, pem)
    assert (await refused(good))[0] == "569"
    other_key, other_pem = aua_key()
    signed_auth = _kyc(pid, cert_pem, creds, "kx-r", lambda d: signed_doc(d, key, pem))
    assert (await refused(signed_doc(signed_auth, other_key, other_pem)))[0] == "570"


async def test_an_encryption_certificate_must_carry_an_rsa_2048_key(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test KUA")])
    weak = rsa.generate_private_key(65537, 1024)  # noqa: S505 - refused, which is the point
    for key in (ec.generate_private_key(ec.SECP256R1()), weak):
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        made = await client.post(
            "/v1/partners/me/certificates",
            json={"certificate": pem, "use": "encryption"},
            headers=partner.headers,
        )
        assert made.status_code == 422, made.text
        assert "RSA-2048" in made.text
