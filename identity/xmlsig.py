"""Enveloped XML signatures (XML-DSig with ``signxml``): the sandbox's on ``<AuthRes>``,
``<OtpRes>`` and ``<KycRes>``, and the check of an AUA's signature on its request.

Answers are signed rsa-sha256 with exclusive c14n by the platform's signing key (the one whose
public half is at ``/.well-known/jwks.json``). XML clients verify against an X.509 certificate,
so ``response_certificate`` makes a self-signed one for that key, deterministic (fixed validity
and a serial from the key id, PKCS#1 v1.5 signing is deterministic): the same certificate in
every process, carried in the signature's ``X509Data``. Its public key equals the JWKS key,
which is how a client pins it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2099, 12, 31, 12, tzinfo=UTC)
SUBJECT = "India Stack Sandbox response signing"
REQUEST_METHODS = frozenset({SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA1})
REQUEST_DIGESTS = frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA1})


_certificates: dict[str, str] = {}


def response_certificate(private: rsa.RSAPrivateKey, kid: str) -> str:
    """PEM of the self-signed certificate of the platform signing key (made once per key id)."""
    found = _certificates.get(kid)
    if found is None:
        found = _certificates[kid] = _self_signed(private, kid)
    return found


def _self_signed(private: rsa.RSAPrivateKey, kid: str) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SUBJECT)])
    serial = int.from_bytes(kid.encode()[:19], "big") or 1
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .sign(private, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sign(root: etree._Element, private: rsa.RSAPrivateKey, certificate: str) -> bytes:
    """``root`` with an enveloped signature (rsa-sha256, exclusive c14n), serialised."""
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(root, key=private, cert=certificate)
    out: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8", standalone=True)
    return out


def verify_request(document: bytes, certificate: str) -> None:
    """Raise ``signxml.exceptions.InvalidSignature`` (or ``InvalidInput``) unless ``document``
    carries a valid enveloped signature by ``certificate``'s key (rsa-sha256 or rsa-sha1)."""
    verifier = XMLVerifier()
    verifier.excise_empty_xmlns_declarations = True  # signxml and default namespaces
    verifier.verify(
        document,
        x509_cert=certificate,
        expect_config=SignatureConfiguration(
            signature_methods=REQUEST_METHODS, digest_algorithms=REQUEST_DIGESTS
        ),
    )
