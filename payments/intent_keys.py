"""The merchant signing key of signed intents and QR codes: make, sign, verify, publish. No I/O.

NPCI linking spec 1.6 §1.3: the merchant signs the link with a key registered at its PSP, and
the payer's PSP app verifies ``sign`` with the matching public key. The spec leaves the curve to
the PSP; signed UPI QR codes in the field carry ``sign=MEQCI...``/``MEUCI...``, which is the
base64 of a DER ECDSA signature over P-256. So the sandbox uses **ECDSA P-256 with SHA-256**
(JOSE ``ES256``), DER-encoded, standard base64 with padding. A PSP app verifies with any
library: ``public_key.verify(base64decode(sign), signed_text, ECDSA(SHA256()))``.

Each world has its own key (``merchant_keys``), made on first use. The private key is PKCS#8
PEM and stays in the database: it is never answered, logged or put in an exception
(``SigningKey`` keeps it out of its repr).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
CURVE = "P-256"


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_pem: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class PublicKey:
    kid: str
    public_pem: str
    created_us: int


@dataclass(frozen=True, slots=True)
class NewKey:
    kid: str
    private_pem: str = field(repr=False)
    public_pem: str


def new_key() -> NewKey:
    """A fresh P-256 key pair; ``kid`` is its JWK thumbprint (RFC 7638), cut to 32 characters."""
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return NewKey(kid=thumbprint(public_pem)[:32], private_pem=private_pem, public_pem=public_pem)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _coordinates(public_pem: str) -> dict[str, str]:
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    numbers = key.public_numbers()
    return {
        "crv": CURVE,
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }


def thumbprint(public_pem: str) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace."""
    canonical = json.dumps(_coordinates(public_pem), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def jwk(key: PublicKey) -> dict[str, Any]:
    """The public key as a JWK (RFC 7517/7518) that a PSP app can load to verify ``sign``."""
    return {"kid": key.kid, **_coordinates(key.public_pem), "use": "sig", "alg": ALGORITHM}


def sign(key: SigningKey, text: str) -> str:
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    der = private.sign(text.encode(), ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(der).decode()


def verify(key: PublicKey, text: str, signature: bytes) -> bool:
    public = serialization.load_pem_public_key(key.public_pem.encode())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    try:
        public.verify(signature, text.encode(), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
