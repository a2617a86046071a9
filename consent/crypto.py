"""End-to-end encryption of FI data: ECDH over X25519, HKDF-SHA256 and AES-256-GCM.

ReBIT NBFC-AA API 2.0.0 ``KeyMaterial`` (FIP_2_0_0.yaml and AA_2_0_0.yaml, definitions
``KeyMaterial``, ``FIRequest.KeyMaterial``, ``FIFetchResponse.FI[].KeyMaterial``) and the
derivation of Sahamati's reference encryption service "rahasya" (``XCipherService``), which FIUs
and ABDM use (``shared/reference/aa.md``, "FI data encryption"):

- each side has an X25519 key pair and a fresh 32-byte nonce; it sends ``KeyMaterial``
  ``{cryptoAlg "ECDH", curve "X25519", params "cipher=AES/GCM/NoPadding;KeyPairGenerator=ECDH",
  DHPublicKey {expiry, Parameters, KeyValue}, Nonce}`` where ``KeyValue`` is the PEM
  SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----") of the public key and ``Nonce`` is the
  base64 of the 32 bytes;
- ``secret`` = X25519(our private key, their public key) (32 raw bytes);
- ``x`` = our nonce XOR their nonce (32 bytes; XOR is symmetric, so both sides agree);
- ``key`` = HKDF-SHA256(ikm = secret, salt = x[0:20], info = none, length 32);
- ``encryptedFI`` = base64(AES-256-GCM(key, iv = x[20:32], no AAD) cipher text + 128-bit tag).

The plain text is the FI document's UTF-8 bytes. (rahasya's own ``/decrypt`` endpoint answers the
plain text base64-encoded; the cipher text here is what it produces and accepts.)

Nothing here does I/O or reads a clock: callers pass world time (``now_us``), so key expiry moves
when a partner advances its world's clock. A partner's ``KeyMaterial`` that cannot be used raises
``InvalidKey`` (the spec's error code) naming the field and how to fix it.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CRYPTO_ALG = "ECDH"
CURVE = "X25519"
CURVES = ("X25519", "Curve25519")  # the spec's enum: both name the same Montgomery curve
PARAMS = "cipher=AES/GCM/NoPadding;KeyPairGenerator=ECDH"
NONCE_BYTES = 32
SALT_BYTES = 20  # x[0:20]
IV_BYTES = 12  # x[20:32]
KEY_BYTES = 32  # AES-256
TAG_BYTES = 16
DEFAULT_KEY_VALIDITY_US = 24 * 3600 * 1_000_000
"""Our ephemeral keys expire a day of world time after they are made."""

_FIELD = "KeyMaterial"


class InvalidKey(ValueError):
    """The ReBIT error ``InvalidKey`` (HTTP 400): a partner's KeyMaterial cannot be used.

    ``field`` is the JSON path of the culprit (``KeyMaterial.Nonce``), ``detail`` what is wrong
    with it and ``hint`` how to fix it; the API layer maps this to the spec's error body with
    ``errorCode`` ``InvalidKey``.
    """

    error_code = "InvalidKey"

    def __init__(self, field: str, detail: str, *, hint: str) -> None:
        super().__init__(f"{field} {detail}")
        self.field = field
        self.detail = detail
        self.hint = hint

    @property
    def message(self) -> str:
        """The spec's ``errorMsg``: what is wrong and how to fix it."""
        return f"{self.field} {self.detail}. {self.hint}"


# -- time ----------------------------------------------------------------------------------------


def format_expiry(at_us: int) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` (UTC, milliseconds): the form rahasya writes and the one
    its older releases insist on when they read an expiry."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_OFFSET_NO_COLON = re.compile(r"([+-]\d\d)(\d\d)$")


def parse_expiry(text: Any, field: str = f"{_FIELD}.DHPublicKey.expiry") -> int:
    """An ISO 8601 date-time (``Z`` or an offset such as ``+05:30`` or ``+0000``; fractions of
    a second optional) as epoch microseconds. A date-time without a zone is read as UTC."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidKey(
            field, "is missing", hint="Send the key's expiry as an ISO 8601 date-time in UTC."
        )
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    cleaned = _OFFSET_NO_COLON.sub(r"\1:\2", cleaned)
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise InvalidKey(
            field,
            f"'{text}' is not an ISO 8601 date-time",
            hint="Write it like 2026-06-01T09:58:50.505Z.",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# -- keys ----------------------------------------------------------------------------------------


def public_key_pem(key: X25519PublicKey) -> str:
    """The PEM SubjectPublicKeyInfo (``-----BEGIN PUBLIC KEY-----``), as rahasya writes it."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(text: Any, field: str = f"{_FIELD}.DHPublicKey.KeyValue") -> X25519PublicKey:
    """An X25519 public key as FIUs send it: PEM SubjectPublicKeyInfo (header lines and line
    breaks optional, as rahasya reads it), or the raw 32 bytes as 64 hex digits (libsodium
    style, which rahasya also accepts)."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidKey(
            field,
            "is missing",
            hint="Send your ephemeral X25519 public key as PEM (-----BEGIN PUBLIC KEY-----).",
        )
    compact = "".join(text.split())
    if re.fullmatch(r"[0-9a-fA-F]{64}", compact):
        return X25519PublicKey.from_public_bytes(bytes.fromhex(compact))
    body = re.sub(r"-----(BEGIN|END)[A-Z ]*-----", "", text)
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
        key = serialization.load_der_public_key(der)
    except (binascii.Error, ValueError) as exc:
        raise InvalidKey(
            field,
            "is not a PEM SubjectPublicKeyInfo public key",
            hint="Send the X25519 public key as PEM (-----BEGIN PUBLIC KEY----- ...), the "
            f"X.509 SubjectPublicKeyInfo encoding ({exc}).",
        ) from None
    if not isinstance(key, X25519PublicKey):
        raise InvalidKey(
            field,
            f"holds a {type(key).__name__.removeprefix('_')}, not an X25519 public key",
            hint="Generate the key pair on curve X25519 (KeyPairGenerator X25519, OID "
            "1.3.101.110).",
        )
    return key


def decode_nonce(text: Any, field: str = f"{_FIELD}.Nonce") -> bytes:
    """The 32 bytes of a base64 ``Nonce``."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidKey(field, "is missing", hint="Send the base64 of 32 random bytes.")
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey(
            field,
            "is not base64",
            hint="Send the base64 (A-Z a-z 0-9 + / and = padding) of 32 random bytes; a UUID "
            "string like the spec's example is not accepted.",
        ) from None
    if len(raw) != NONCE_BYTES:
        raise InvalidKey(
            field,
            f"decodes to {len(raw)} bytes instead of {NONCE_BYTES}",
            hint=f"Send the base64 of exactly {NONCE_BYTES} random bytes (44 characters).",
        )
    return raw


@dataclass(frozen=True, slots=True)
class PartnerKey:
    """A checked ``KeyMaterial`` of the other side: its public key, nonce and expiry."""

    public_key: X25519PublicKey
    nonce: bytes
    expiry_us: int
    curve: str


def parse_key_material(
    body: Any, now_us: int, *, field: str = _FIELD, check_expiry: bool = True
) -> PartnerKey:
    """Check a partner's ``KeyMaterial`` (spec definition ``KeyMaterial``) against world time
    ``now_us``; raise ``InvalidKey`` naming the first field that cannot be used."""
    if not isinstance(body, Mapping):
        raise InvalidKey(field, "is missing or not an object", hint="Send the KeyMaterial object.")
    alg = body.get("cryptoAlg")
    if alg != CRYPTO_ALG:
        raise InvalidKey(
            f"{field}.cryptoAlg",
            f"is {alg!r}, not {CRYPTO_ALG!r}",
            hint=f'ECDH is the only algorithm of the spec: send "cryptoAlg": "{CRYPTO_ALG}".',
        )
    curve = body.get("curve")
    if curve not in CURVES:
        raise InvalidKey(
            f"{field}.curve",
            f"is {curve!r}, not one of {list(CURVES)}",
            hint=f'Send "curve": "{CURVE}" with an X25519 key pair.',
        )
    params = body.get("params")
    if params not in (None, "") and "AES/GCM/NoPadding" not in str(params).replace(" ", ""):
        raise InvalidKey(
            f"{field}.params",
            f"is {params!r}",
            hint=f'Send "params": "{PARAMS}" (or leave it out): the data is AES-256-GCM.',
        )
    dh = body.get("DHPublicKey")
    if not isinstance(dh, Mapping):
        raise InvalidKey(
            f"{field}.DHPublicKey",
            "is missing or not an object",
            hint="Send DHPublicKey {expiry, Parameters, KeyValue}.",
        )
    public_key = load_public_key(dh.get("KeyValue"), f"{field}.DHPublicKey.KeyValue")
    nonce = decode_nonce(body.get("Nonce"), f"{field}.Nonce")
    expiry_us = parse_expiry(dh.get("expiry"), f"{field}.DHPublicKey.expiry")
    if check_expiry and expiry_us <= now_us:
        raise InvalidKey(
            f"{field}.DHPublicKey.expiry",
            f"{dh.get('expiry')} has passed (world time is {format_expiry(now_us)})",
            hint="Generate a fresh ephemeral key pair and nonce for each request, with an "
            "expiry after the world's current time (GET /v1/sandbox/clock shows it).",
        )
    return PartnerKey(public_key, nonce, expiry_us, str(curve))


@dataclass(frozen=True, slots=True)
class EphemeralKey:
    """Our side: an X25519 key pair, a nonce and an expiry. Never stored: one per FI fetch."""

    private_key: X25519PrivateKey
    nonce: bytes
    expiry_us: int

    @classmethod
    def generate(cls, now_us: int, valid_us: int = DEFAULT_KEY_VALIDITY_US) -> EphemeralKey:
        return cls(X25519PrivateKey.generate(), os.urandom(NONCE_BYTES), now_us + valid_us)

    @property
    def public_pem(self) -> str:
        return public_key_pem(self.private_key.public_key())

    def key_material(self) -> dict[str, Any]:
        """Our ``KeyMaterial`` as the spec's JSON."""
        return {
            "cryptoAlg": CRYPTO_ALG,
            "curve": CURVE,
            "params": PARAMS,
            "DHPublicKey": {
                "expiry": format_expiry(self.expiry_us),
                "Parameters": "",
                "KeyValue": self.public_pem,
            },
            "Nonce": base64.b64encode(self.nonce).decode("ascii"),
        }

    def private_pem(self) -> str:
        """PKCS#8 PEM of the private key (for an FIU-side helper or a test; never sent)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")


# -- the derivation ------------------------------------------------------------------------------


def xor_nonces(ours: bytes, theirs: bytes) -> bytes:
    if len(ours) != NONCE_BYTES or len(theirs) != NONCE_BYTES:
        raise ValueError(f"nonces must be {NONCE_BYTES} bytes")
    return bytes(a ^ b for a, b in zip(ours, theirs, strict=True))


def session_key(secret: bytes, xored: bytes) -> tuple[bytes, bytes]:
    """(AES key, IV) from the ECDH secret and the XOR of the nonces."""
    key = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=xored[:SALT_BYTES], info=None
    ).derive(secret)
    return key, xored[SALT_BYTES : SALT_BYTES + IV_BYTES]


def _cipher(ours: EphemeralKey, theirs: PartnerKey) -> tuple[AESGCM, bytes]:
    try:
        secret = ours.private_key.exchange(theirs.public_key)
    except ValueError:  # a low-order point: the shared secret would be all zeros
        raise InvalidKey(
            f"{_FIELD}.DHPublicKey.KeyValue",
            "is a low-order point of X25519 (the shared secret would be all zeros)",
            hint="Send the public key of a freshly generated X25519 key pair.",
        ) from None
    key, iv = session_key(secret, xor_nonces(ours.nonce, theirs.nonce))
    return AESGCM(key), iv


def encrypt(ours: EphemeralKey, theirs: PartnerKey, plaintext: bytes) -> str:
    """base64(AES-256-GCM cipher text with the 16-byte tag appended)."""
    aead, iv = _cipher(ours, theirs)
    return base64.b64encode(aead.encrypt(iv, plaintext, None)).decode("ascii")


def decrypt(ours: EphemeralKey, theirs: PartnerKey, encrypted: str) -> bytes:
    """The inverse of ``encrypt`` (what an FIU does with ``encryptedFI``)."""
    aead, iv = _cipher(ours, theirs)
    try:
        return aead.decrypt(iv, base64.b64decode("".join(encrypted.split())), None)
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise ValueError(
            "encryptedFI does not decrypt with these keys and nonces "
            f"({type(exc).__name__}): check which nonce and public key belong to which side"
        ) from None


@dataclass(frozen=True, slots=True)
class Encryptor:
    """One FIP's encryption for one FI fetch: a fresh key pair and nonce of ours against the
    FIU's checked KeyMaterial. ``key_material`` goes beside the ``data`` it encrypted."""

    ours: EphemeralKey
    theirs: PartnerKey

    @classmethod
    def for_partner(cls, key_material: Any, now_us: int, *, check_expiry: bool = True) -> Encryptor:
        theirs = parse_key_material(key_material, now_us, check_expiry=check_expiry)
        return cls(EphemeralKey.generate(now_us), theirs)

    @property
    def key_material(self) -> dict[str, Any]:
        return self.ours.key_material()

    def encrypt(self, payload: bytes) -> str:
        return encrypt(self.ours, self.theirs, payload)


def encrypt_for(key_material: Any, payload: bytes, now_us: int) -> tuple[str, dict[str, Any]]:
    """Encrypt ``payload`` for the holder of ``key_material`` (checked against world time):
    ``(encryptedFI, our KeyMaterial)``. Raises ``InvalidKey``."""
    encryptor = Encryptor.for_partner(key_material, now_us)
    return encryptor.encrypt(payload), encryptor.key_material


def decrypt_from(ours: EphemeralKey, their_key_material: Any, encrypted: str) -> bytes:
    """The FIU's side of ``encrypt_for``: open an ``encryptedFI`` with the key pair and nonce the
    FIU sent in its FI request (``ours``) and the FIP's ``KeyMaterial`` that came beside the data.
    The FIP key's expiry is not checked: the data has already arrived. Raises ``InvalidKey`` for
    KeyMaterial that cannot be read, ``ValueError`` when the data does not decrypt."""
    theirs = parse_key_material(their_key_material, 0, check_expiry=False)
    return decrypt(ours, theirs, encrypted)
