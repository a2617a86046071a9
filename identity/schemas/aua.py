"""The partner's certificates: ``POST /v1/partners/me/certificates``, the AUA's signing
certificate (``use`` "signature") or the KUA's encryption certificate (``use`` "encryption")."""

from __future__ import annotations

from typing import Literal, Self

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import Field, field_validator, model_validator

from sandbox.kit.schema import InputModel, OutputModel
from sandbox.kit.wire import PEM_CERTIFICATE

EXAMPLE_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIICtzCCAZ+gAwIBAgIBATANBgkqhkiG9w0BAQsFADAeMRwwGgYDVQQDDBNFeGFt\n"
    "cGxlIEFVQSBzaWduaW5nMCAXDTIwMDEwMTAwMDAwMFoYDzIwOTkxMjMxMDAwMDAw\n"
    "WjAeMRwwGgYDVQQDDBNFeGFtcGxlIEFVQSBzaWduaW5nMIIBIjANBgkqhkiG9w0B\n"
    "AQEFAAOCAQ8AMIIBCgKCAQEAyWJUSsPuS30MRACYNb+OL5PTm3CtT94Bg5nY46jz\n"
    "SBUQVvSlrkHM3vtZZmCotfbotiwBCo+irB3WB3znh18iHmvgYumU/M6DonIdSHrT\n"
    "Ux5q0QFA8RL65pFz8jALNRC3jRQ/BA7p5D2olIno/JgKNbuntAtQPhA6bCMV587U\n"
    "GpxuSo06pL6DwRlAt2LhFZlM8kmHt+n5mh1InI0RnUwMkUdj9yCNaDIyNf7CLIlS\n"
    "KAtfeqeAouSPs9OkhhOsJ0+F6zXTWgrObfLlyFSASpjxhpAOyAVtnnVoB1G1AueO\n"
    "9tBLYg/wTdahDaqtyXkPN8+4s+WmpuTk6ALeT8ptjp+GTwIDAQABMA0GCSqGSIb3\n"
    "DQEBCwUAA4IBAQC6QiUsMs4zIl8hDbTe38zKsjs1DABl3HB4rRAYNksUlxx52me+\n"
    "ejdC5KQ2a+4pthS+4YVZijTD6oZAQb+twl5FG0W1Khw+3fL8SpvK2WqVdJrQbKWj\n"
    "oyo+sdIBcmvqCm++KYmJ4arGQRRm0J7V4mQVQu5GfbIjIkX1rARe4jPsWYaa1oMs\n"
    "M+4BMfAEH7qdltlK5K79Pmtr6o+gAwowQ8V0po25btCZaLm5zQalO747HTmNCXx5\n"
    "R6B7PAMG8lGd9o4lT53SvhQAxbWACRpuhHa0BcF1cC9YkGDd4JPTwnYckFe7cGKF\n"
    "dYeU7LHBWChOm2pbMNUmtI0nncwhEhn0cCX7\n"
    "-----END CERTIFICATE-----\n"
)


ENCRYPTION_KEY_BITS = 2048
"""The eKYC 2.5 kycRes envelope has fixed sizes (a 294-byte public key, a 256-byte wrapped
key): an RSA-2048 key, as UIDAI's own certificates."""


class CertificateIn(InputModel):
    certificate: str = Field(
        max_length=16_384,
        pattern=PEM_CERTIFICATE.pattern,
        description="X.509 PEM (RSA key). With use `signature`: your AUA signing certificate; "
        "once registered, every XML request must carry an enveloped signature by its key (569 "
        "otherwise) with this certificate (570 for another, or once it expired). With use "
        "`encryption`: your KUA encryption certificate (RSA-2048); from then on your eKYC "
        "answers carry the resident's data encrypted to it (a JWE for JSON, the kycRes "
        'envelope for XML), unless the request says de="Y".',
        examples=[EXAMPLE_PEM],
    )
    use: Literal["signature", "encryption"] = Field(
        "signature",
        description="signature: requests are signed with it; encryption: eKYC answers are "
        "encrypted to it. One certificate of each use; a new one replaces the old.",
    )

    @field_validator("certificate")
    @classmethod
    def _pem(cls, value: str) -> str:
        try:
            x509.load_pem_x509_certificate(value.encode())
        except ValueError:
            raise ValueError("not an X.509 certificate in PEM") from None
        return value

    @model_validator(mode="after")
    def _encryption_key(self) -> Self:
        if self.use != "encryption":
            return self
        key = x509.load_pem_x509_certificate(self.certificate.encode()).public_key()
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size != ENCRYPTION_KEY_BITS:
            raise ValueError(
                "an encryption certificate must carry an RSA-2048 public key (the eKYC "
                "kycRes envelope and RSA-OAEP-256 both use it): make one with "
                "`openssl req -x509 -newkey rsa:2048 ...`"
            )
        return self


class CertificateOut(OutputModel):
    use: Literal["signature", "encryption"] = Field(description="What it was registered for.")
    sha256: str = Field(description="SHA-256 of the certificate's DER, hex.")
    subject: str = Field(examples=["CN=Example AUA signing"])
    not_after: str = Field(description="Its expiry (UTC); 570 after it, in world time.")
