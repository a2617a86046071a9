"""The identity XML wire format as an AUA drives it: AUA credentials, ``<Otp>`` and ``<Auth>``
documents (namespaced or not, pretty-printed or not), and answers whose enveloped signature is
verified against the sandbox's published key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from identity import client as aua_side
from identity.client import NS
from identity.crypto import EncryptedPid
from tests.support.http import SignedUp


@dataclass(frozen=True)
class Aua:
    ac: str
    sa: str
    lk: str
    asalk: str


async def aua(client: httpx.AsyncClient, partner: SignedUp) -> Aua:
    me = await client.get("/v1/partners/me", headers=partner.headers)
    assert me.status_code == 200, me.text
    return Aua(**me.json()["aua"])


def otp_doc(creds: Aua, uid: str, txn: str, ch: str = "01", *, namespaced: bool = False) -> bytes:
    ns = f' xmlns="{NS}"' if namespaced else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Otp{ns} uid="{uid}" ac="{creds.ac}" '
        f'sa=\'{creds.sa}\' ver="2.5" txn="{txn}" lk="{creds.lk}" type="A" '
        f'ts="2026-11-29T19:00:44">\n  <Opts ch="{ch}"/>\n</Otp>\n'
    ).encode()


def auth_doc(
    creds: Aua,
    uid: str,
    txn: str,
    sealed: EncryptedPid,
    *,
    namespaced: bool = True,
    pretty: bool = True,
    device: bool = False,
    **uses: str,
) -> bytes:
    """An ``<Auth>``: by default namespaced, pretty-printed, base64 with line breaks."""
    return aua_side.auth_document(
        sealed,
        uid=uid,
        txn=txn,
        ac=creds.ac,
        sa=creds.sa,
        lk=creds.lk,
        uses=uses,
        namespaced=namespaced,
        pretty=pretty,
        device=device,
    )


async def post(
    client: httpx.AsyncClient,
    path: str,
    creds: Aua,
    uid: str,
    document: bytes,
    **url: str,
) -> httpx.Response:
    """POST ``document`` to ``/uidai/<path>/2.5/{ac}/{uid0}/{uid1}/{asalk}`` (``path`` "" for
    the spec's Auth URL); ``url`` overrides segments (ac, uid0, uid1, asalk)."""
    seg = {"ac": creds.ac, "uid0": uid[0], "uid1": uid[1], "asalk": creds.asalk, **url}
    prefix = f"/uidai/{path}/2.5" if path else "/uidai/2.5"
    target = f"{prefix}/{seg['ac']}/{seg['uid0']}/{seg['uid1']}/{seg['asalk']}"
    answer = await client.post(
        target, content=document, headers={"Content-Type": "application/xml"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    return answer


async def verified(client: httpx.AsyncClient, answer: httpx.Response) -> etree._Element:
    """The answer's root once its signature checks out against the certificate it carries,
    whose key must be the one the sandbox publishes at /.well-known/jwks.json."""
    jwks: dict[str, Any] = (await client.get("/.well-known/jwks.json")).json()
    return aua_side.verify_xml_answer(answer.content, jwks=jwks)


# -- signed requests (a registered AUA certificate) --------------------------------------------


class _Sha1Signer(XMLSigner):
    def check_deprecated_methods(self) -> None:  # old AUA clients still sign rsa-sha1
        pass


def aua_key(days: int = 365) -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test AUA")])
    start = datetime.now(UTC) - timedelta(days=400)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=400 + days))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def signed_doc(document: bytes, key: rsa.RSAPrivateKey, pem: str, *, sha1: bool = False) -> bytes:
    signer = (
        _Sha1Signer(
            signature_algorithm=SignatureMethod.RSA_SHA1, digest_algorithm=DigestAlgorithm.SHA1
        )
        if sha1
        else XMLSigner()
    )
    root = etree.fromstring(document)
    signed: bytes = etree.tostring(signer.sign(root, key=key, cert=pem))
    return signed


async def register(
    client: httpx.AsyncClient, partner: SignedUp, pem: str, use: str = "signature"
) -> None:
    made = await client.post(
        "/v1/partners/me/certificates",
        json={"certificate": pem, "use": use},
        headers=partner.headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["subject"] == "CN=Test AUA"
    assert made.json()["use"] == use
