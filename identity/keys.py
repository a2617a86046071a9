"""The authority's auth encryption key and its X.509 certificate (Auth API 2.5 "Skey").

The AUA encrypts each session key under this certificate's RSA-2048 public key and names the
certificate in ``Skey ci`` by its expiry date, ``YYYYMMDD`` (``shared/reference/aadhaar.md``,
section "Auth request"). Clients compute that date in their own zone ("What real AUA clients
send"), so the certificate expires at 12:00 UTC, where the UTC and IST dates agree, and
``accepted_ci`` takes both dates anyway. Creation takes a clock value; where the PEM files live is
the caller's business (the data dir).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

IST = timedelta(hours=5, minutes=30)
AUTH_CN = "India Stack Sandbox Auth"
CERTIFICATE_DAYS = 730


@dataclass(frozen=True, slots=True)
class AuthKey:
    """The authority's auth encryption key pair and its self-signed X.509 certificate."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    # read once: every auth checks its ci against it (issue 7 item 10)
    accepted_ci: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "accepted_ci", accepted_ci(self.certificate))

    def key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @classmethod
    def from_pem(cls, key_pem: bytes, certificate_pem: bytes) -> AuthKey:
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("the auth key must be an RSA private key")
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        public = certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey) or (
            public.public_numbers() != key.public_key().public_numbers()
        ):
            raise ValueError("the auth certificate does not belong to the auth key")
        return cls(key, certificate)


def generate_auth_key(
    now_us: int, *, days: int = CERTIFICATE_DAYS, private_key: rsa.RSAPrivateKey | None = None
) -> AuthKey:
    """A fresh 2048-bit RSA auth key and its self-signed certificate, valid from ``now_us``.

    ``notAfter`` falls at 12:00 UTC (17:30 IST), so a client that computes ``ci`` in UTC and one
    that computes it in IST write the same date. ``private_key`` reuses a key (a renewal).
    """
    now = datetime.fromtimestamp(now_us / 1_000_000, UTC)
    not_after = datetime.combine((now + timedelta(days=days)).date(), time(12, 0), UTC)
    key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, AUTH_CN),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "India Stack Sandbox"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return AuthKey(key, certificate)


def certificate_ci(certificate: x509.Certificate) -> str:
    """``ci`` as the spec defines it: the certificate's expiry date, ``YYYYMMDD`` (UTC)."""
    return certificate.not_valid_after_utc.strftime("%Y%m%d")


def accepted_ci(certificate: x509.Certificate) -> frozenset[str]:
    """The UTC and the IST date of ``notAfter``: clients compute ``ci`` in either zone."""
    not_after = certificate.not_valid_after_utc
    return frozenset({not_after.strftime("%Y%m%d"), (not_after + IST).strftime("%Y%m%d")})
