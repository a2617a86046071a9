"""FI data encryption (``consent/crypto.py``) against an independent implementation written here
from the spec text (``shared/reference/aa.md``, "FI data encryption"), against a vector made by
Sahamati's reference service rahasya, and each ``InvalidKey`` case.

The independent side uses only the X25519 primitive and AES-GCM of ``cryptography``; HKDF
(RFC 5869) is written out with ``hmac``, and the PEM is parsed by hand (the 12-byte
SubjectPublicKeyInfo prefix of an X25519 key, RFC 8410), so a mistake in the module's HKDF,
nonce handling or key encoding cannot hide behind the same library call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import textwrap
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consent import crypto

NOW_US = 1_780_000_000_000_000  # world time (2026-05-28)
HOUR_US = 3600 * 1_000_000
SPKI_PREFIX = bytes.fromhex("302a300506032b656e032100")  # RFC 8410: SEQ{SEQ{OID 1.3.101.110}, BIT}


# -- the independent implementation, from the spec text ------------------------------------------


def spec_hkdf_sha256(ikm: bytes, salt: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()  # extract
    okm, block, counter = b"", b"", 1
    while len(okm) < length:  # expand, info empty
        block = hmac.new(prk, block + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def spec_pem_to_raw(pem: str) -> bytes:
    lines = [line for line in pem.strip().splitlines() if not line.startswith("-----")]
    der = base64.b64decode("".join(lines))
    assert der[:12] == SPKI_PREFIX, "not an X25519 SubjectPublicKeyInfo"
    assert len(der) == 44
    return der[12:]


def spec_raw_to_pem(raw: bytes) -> str:
    body = base64.b64encode(SPKI_PREFIX + raw).decode()
    return (
        "-----BEGIN PUBLIC KEY-----\n"
        + "\n".join(textwrap.wrap(body, 64))
        + "\n-----END PUBLIC KEY-----\n"
    )


def spec_cipher(
    private: X25519PrivateKey, their_pem: str, our_nonce: bytes, their_nonce: bytes
) -> tuple[AESGCM, bytes]:
    secret = private.exchange(X25519PublicKey.from_public_bytes(spec_pem_to_raw(their_pem)))
    x = bytes(a ^ b for a, b in zip(our_nonce, their_nonce, strict=True))
    key = spec_hkdf_sha256(secret, x[0:20], 32)
    return AESGCM(key), x[20:32]


class SpecFIU:
    """An FIU written from the spec text: its key pair, nonce and KeyMaterial."""

    def __init__(self, expiry: str = "2026-05-29T00:00:00.000Z") -> None:
        self.private = X25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.nonce = os.urandom(32)
        self.key_material: dict[str, Any] = {
            "cryptoAlg": "ECDH",
            "curve": "Curve25519",
            "params": "cipher=AES/GCM/NoPadding;KeyPairGenerator=ECDH",
            "DHPublicKey": {"expiry": expiry, "Parameters": "", "KeyValue": spec_raw_to_pem(raw)},
            "Nonce": base64.b64encode(self.nonce).decode(),
        }

    def decrypt(self, encrypted_fi: str, fip_key_material: dict[str, Any]) -> bytes:
        their_nonce = base64.b64decode(fip_key_material["Nonce"])
        aead, iv = spec_cipher(
            self.private, fip_key_material["DHPublicKey"]["KeyValue"], self.nonce, their_nonce
        )
        return aead.decrypt(iv, base64.b64decode(encrypted_fi), None)

    def encrypt(self, plaintext: bytes, fip_key_material: dict[str, Any]) -> str:
        their_nonce = base64.b64decode(fip_key_material["Nonce"])
        aead, iv = spec_cipher(
            self.private, fip_key_material["DHPublicKey"]["KeyValue"], self.nonce, their_nonce
        )
        return base64.b64encode(aead.encrypt(iv, plaintext, None)).decode()


# -- round trips ---------------------------------------------------------------------------------


def test_an_fiu_written_from_the_spec_decrypts_what_the_sandbox_encrypts() -> None:
    fiu = SpecFIU()
    payload = '<Account type="deposit" narration="₹ नमस्ते"/>'.encode()
    encrypted, ours = crypto.encrypt_for(fiu.key_material, payload, NOW_US)
    assert fiu.decrypt(encrypted, ours) == payload
    # the tag is appended: cipher text = plain text length + 16
    assert len(base64.b64decode(encrypted)) == len(payload) + 16


def test_the_sandbox_decrypts_what_an_fiu_written_from_the_spec_encrypts() -> None:
    fiu = SpecFIU()
    ours = crypto.EphemeralKey.generate(NOW_US)
    encrypted = fiu.encrypt(b"statement bytes", ours.key_material())
    theirs = crypto.parse_key_material(fiu.key_material, NOW_US)
    assert crypto.decrypt(ours, theirs, encrypted) == b"statement bytes"


def test_our_key_material_has_the_spec_shape() -> None:
    ours = crypto.EphemeralKey.generate(NOW_US)
    km = ours.key_material()
    assert km["cryptoAlg"] == "ECDH"
    assert km["curve"] == "X25519"
    assert km["params"] == "cipher=AES/GCM/NoPadding;KeyPairGenerator=ECDH"
    assert len(base64.b64decode(km["Nonce"])) == 32
    assert km["DHPublicKey"]["KeyValue"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert len(spec_pem_to_raw(km["DHPublicKey"]["KeyValue"])) == 32
    # a day of world time, written like rahasya: milliseconds and Z
    assert km["DHPublicKey"]["expiry"] == "2026-05-29T20:26:40.000Z"
    assert crypto.parse_expiry(km["DHPublicKey"]["expiry"]) == NOW_US + 24 * HOUR_US


def test_each_fetch_uses_a_fresh_key_and_nonce() -> None:
    fiu = SpecFIU()
    first = crypto.encrypt_for(fiu.key_material, b"x", NOW_US)
    second = crypto.encrypt_for(fiu.key_material, b"x", NOW_US)
    assert first[1]["Nonce"] != second[1]["Nonce"]
    assert first[1]["DHPublicKey"]["KeyValue"] != second[1]["DHPublicKey"]["KeyValue"]
    assert first[0] != second[0]


def test_a_wrong_nonce_does_not_decrypt() -> None:
    fiu = SpecFIU()
    encrypted, ours = crypto.encrypt_for(fiu.key_material, b"secret", NOW_US)
    fiu.nonce = os.urandom(32)
    with pytest.raises(InvalidTag):
        fiu.decrypt(encrypted, ours)


# -- the reference: a vector made by rahasya (ECDHCryptoUtils.EncryptDataECDH, x25519) -----------
# Made once with rahasya's published jar and BouncyCastle on Java 17 (see docs/decisions, "FI
# encryption"): the FIU key pair and nonce below were generated in Python, rahasya generated the
# FIP key pair and nonce and encrypted PLAINTEXT for the FIU. Test keys, never used elsewhere.

RAHASYA_PLAINTEXT = b'<Account xmlns="http://api.rebit.org.in/FISchema/deposit" type="deposit"/>'
RAHASYA_FIU_PRIVATE = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VuBCIEIECEIXvC3eq5kLZfPn3uOzAN/UFOQPaTsNkYkA1ef/Bp\n"
    "-----END PRIVATE KEY-----\n"
)
RAHASYA_FIU_NONCE = "1JlTDjtgxrnIeEh04BbXU2rz0AT5KUm2H+W53Oow5Mw="
RAHASYA_FIP_PRIVATE = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MFECAQEwBQYDK2VuBCIEIAj9jvn0gD2YyvgkkVUf6np6U897TxkugZOZV9zauWhD\n"
    "gSEAxlrPFLt+Iwqn6EwpGzvF1/55Csjf+MEFkU9K/O/A2mg=\n"
    "-----END PRIVATE KEY-----\n"
)
RAHASYA_FIP_PUBLIC = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VuAyEAxlrPFLt+Iwqn6EwpGzvF1/55Csjf+MEFkU9K/O/A2mg=\n"
    "-----END PUBLIC KEY-----\n"
)
RAHASYA_FIP_NONCE = "m2zZ6ilxc6CHIluMlyxcPIHr8/hzlEwimQLpU6z5NC4="
RAHASYA_ENCRYPTED = (
    "qErfvvYCrnE9Ya1p8OdiTVxPw56okNM2uF85DEuwXjL0mOgRikjn1ytFMbBHzNAOIbIEcFG3FkJFSEYbut1cssRr2xY7"
    "ixn0lk+5A2KQm6Q/T0hfJzjepdOO"
)


def _rahasya_key_material(public_pem: str, nonce: str) -> dict[str, Any]:
    return {
        "cryptoAlg": "ECDH",
        "curve": "X25519",
        "params": "",
        "DHPublicKey": {
            "expiry": "2026-11-30T17:44:26.287Z",
            "Parameters": "",
            "KeyValue": public_pem,
        },
        "Nonce": nonce,
    }


def _private(pem: str) -> X25519PrivateKey:
    """A PKCS#8 X25519 private key, v1 or BouncyCastle's v2 (RFC 5958, with the public key,
    which ``cryptography`` does not read): the 32 raw bytes follow a fixed 16-byte header."""
    der = base64.b64decode("".join(line for line in pem.splitlines() if "-----" not in line))
    assert der[5:16] == bytes.fromhex("300506032b656e04220420"), "not an X25519 PKCS#8 key"
    return X25519PrivateKey.from_private_bytes(der[16:48])


def test_decrypts_what_rahasya_encrypted() -> None:
    fiu = crypto.EphemeralKey(_private(RAHASYA_FIU_PRIVATE), base64.b64decode(RAHASYA_FIU_NONCE), 0)
    rahasya = crypto.parse_key_material(
        _rahasya_key_material(RAHASYA_FIP_PUBLIC, RAHASYA_FIP_NONCE), NOW_US
    )
    assert crypto.decrypt(fiu, rahasya, RAHASYA_ENCRYPTED) == RAHASYA_PLAINTEXT


def test_encrypts_byte_for_byte_like_rahasya_with_the_same_keys_and_nonces() -> None:
    fip = crypto.EphemeralKey(_private(RAHASYA_FIP_PRIVATE), base64.b64decode(RAHASYA_FIP_NONCE), 0)
    fiu_public = crypto.public_key_pem(_private(RAHASYA_FIU_PRIVATE).public_key())
    fiu = crypto.parse_key_material(_rahasya_key_material(fiu_public, RAHASYA_FIU_NONCE), NOW_US)
    assert crypto.encrypt(fip, fiu, RAHASYA_PLAINTEXT) == RAHASYA_ENCRYPTED
    assert crypto.public_key_pem(fip.private_key.public_key()) == RAHASYA_FIP_PUBLIC


# -- InvalidKey ------------------------------------------------------------------------------------


def _with(path: str, value: Any) -> dict[str, Any]:
    km = SpecFIU().key_material
    target: dict[str, Any] = km
    *parents, leaf = path.split(".")
    for part in parents:
        target = target[part]
    if value is None:
        del target[leaf]
    else:
        target[leaf] = value
    return km


@pytest.mark.parametrize(
    ("path", "value", "field", "says"),
    [
        (
            "Nonce",
            base64.b64encode(os.urandom(16)).decode(),
            "KeyMaterial.Nonce",
            "16 bytes instead of 32",
        ),
        ("Nonce", "29512b70-ca84-46b5-9471-63765599cf15", "KeyMaterial.Nonce", "not base64"),
        ("Nonce", None, "KeyMaterial.Nonce", "missing"),
        ("curve", "P-256", "KeyMaterial.curve", "'P-256'"),
        ("cryptoAlg", "RSA", "KeyMaterial.cryptoAlg", "'RSA'"),
        ("params", "cipher=AES/CBC/PKCS5Padding", "KeyMaterial.params", "AES/CBC"),
        (
            "DHPublicKey.KeyValue",
            "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----",
            "KeyMaterial.DHPublicKey.KeyValue",
            "PEM",
        ),
        ("DHPublicKey.KeyValue", "", "KeyMaterial.DHPublicKey.KeyValue", "missing"),
        (
            "DHPublicKey.expiry",
            "2026-05-27T23:59:59.999Z",
            "KeyMaterial.DHPublicKey.expiry",
            "has passed",
        ),
        ("DHPublicKey.expiry", "tomorrow", "KeyMaterial.DHPublicKey.expiry", "not an ISO 8601"),
        ("DHPublicKey", None, "KeyMaterial.DHPublicKey", "missing"),
    ],
)
def test_an_unusable_key_material_is_invalid_key_naming_the_field(
    path: str, value: Any, field: str, says: str
) -> None:
    with pytest.raises(crypto.InvalidKey) as caught:
        crypto.encrypt_for(_with(path, value), b"x", NOW_US)
    assert caught.value.error_code == "InvalidKey"
    assert caught.value.field == field
    assert says in caught.value.detail
    assert caught.value.hint
    assert field in caught.value.message


def test_a_non_x25519_public_key_is_invalid_key() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(crypto.InvalidKey) as caught:
        crypto.encrypt_for(_with("DHPublicKey.KeyValue", pem), b"x", NOW_US)
    assert caught.value.field == "KeyMaterial.DHPublicKey.KeyValue"
    assert "not an X25519" in caught.value.detail


def test_expiry_is_judged_by_world_time() -> None:
    km = SpecFIU(expiry="2026-05-29T03:00:00+05:30").key_material  # 2026-05-28T21:30Z
    crypto.encrypt_for(km, b"x", NOW_US)  # 2026-05-28T20:26:40Z world time: still valid
    later = crypto.parse_expiry("2026-05-28T21:30:00Z")
    with pytest.raises(crypto.InvalidKey, match="has passed"):
        crypto.encrypt_for(km, b"x", later)


@pytest.mark.parametrize(
    "text",
    [
        "2026-05-28T15:30:00Z",
        "2026-05-28T15:30:00.000Z",
        "2026-05-28T21:00:00+05:30",
        "2026-05-28T15:30:00.000+0000",
        "2026-05-28T15:30:00",
    ],
)
def test_expiry_accepts_the_iso_8601_forms_clients_send(text: str) -> None:
    assert crypto.parse_expiry(text) == crypto.parse_expiry("2026-05-28T15:30:00Z")


def test_key_value_as_64_hex_digits_and_pem_without_line_breaks_are_accepted() -> None:
    fiu = SpecFIU()
    raw = spec_pem_to_raw(fiu.key_material["DHPublicKey"]["KeyValue"])
    for value in (raw.hex(), "".join(fiu.key_material["DHPublicKey"]["KeyValue"].split())):
        encrypted, ours = crypto.encrypt_for(_with_key(fiu, value), b"ok", NOW_US)
        assert fiu.decrypt(encrypted, ours) == b"ok"


def _with_key(fiu: SpecFIU, value: str) -> dict[str, Any]:
    km = dict(fiu.key_material)
    km["DHPublicKey"] = {**km["DHPublicKey"], "KeyValue": value}
    return km


def test_a_low_order_public_key_is_invalid_key() -> None:
    zero = spec_raw_to_pem(bytes(32))
    with pytest.raises(crypto.InvalidKey, match="low-order"):
        crypto.encrypt_for(_with("DHPublicKey.KeyValue", zero), b"x", NOW_US)
