"""Auth API 2.5 encryption of the PID block, the authority's side and the client's; and, at the
end, eKYC answers encrypted to the KUA (the XML kycRes envelope and the JSON JWE).

Implements "Skey", "Data" and "Hmac" of the Auth API 2.5 request (``shared/reference/aadhaar.md``,
section "Auth request"):

- ``Skey`` = a fresh 32-byte AES-256 session key under RSA/ECB/PKCS1Padding with the authority's
  2048-bit auth key; ``ci`` = the auth certificate's expiry date, ``YYYYMMDD``.
- ``Data`` = ts (19 bytes) + AES-256-GCM(PID) + 128-bit tag, with IV = last 12 bytes of ts and
  AAD = last 16 bytes of ts.
- ``Hmac`` = AES-256-GCM (same key, IV, AAD) of SHA-256(PID bytes exactly as sent).

Strict about the cryptography, liberal about the envelope ("What real AUA clients send"): base64
may hold line breaks and spaces, and ``ci`` may be the UTC or the IST date of ``notAfter``. Each
failing step raises ``EncryptionFailed`` with its code (500, 501, 502, 503, 564) and a hint that
names the step. Nothing here does I/O: the caller decides where the key material lives.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from hmac import compare_digest

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwe
from joserfc.jwe import JWERegistry
from joserfc.jwk import RSAKey

try:  # CFB, which the eKYC kycRes envelope uses, moved to "decrepit" in cryptography 47
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from identity.errors import EncryptionFailed
from identity.keys import AuthKey, certificate_ci
from identity.pid_rules import parse_ts

TS_LENGTH = 19  # "YYYY-MM-DDThh:mm:ss"
KEY_BYTES = 32  # AES-256
TAG_BYTES = 16


def b64decode(text: str | bytes, *, code: str, field: str) -> bytes:
    """Base64 as real clients write it: line breaks and spaces anywhere are ignored."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    compact = b"".join(raw.split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise EncryptionFailed(
            code,
            f"{field} is not base64",
            hint=f"{field} must be standard base64 (A-Z a-z 0-9 + / and = padding): {exc}.",
        ) from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _iv_aad(ts: bytes) -> tuple[bytes, bytes]:
    return ts[-12:], ts[-16:]


# -- the authority's side ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenedPid:
    """A decrypted, Hmac-checked PID block: ``ts`` is the prefix of ``Data``, ``pid`` the bytes."""

    ts: str
    pid: bytes


def decrypt_session_key(key: AuthKey, skey: str | bytes, ci: str) -> bytes:
    """Step 1: check ``ci`` (501), then RSA-decrypt the session key (500)."""
    accepted = key.accepted_ci
    if ci.strip() not in accepted:
        raise EncryptionFailed(
            "501",
            f"Skey ci {ci!r} is not the expiry of the sandbox's auth certificate",
            hint=f"Set ci to {certificate_ci(key.certificate)} (the certificate's notAfter, "
            "YYYYMMDD); fetch the current certificate from GET /v1/identity/certificate.",
        )
    encrypted = b64decode(skey, code="500", field="Skey")
    if len(encrypted) != key.private_key.key_size // 8:
        raise EncryptionFailed(
            "500",
            f"Skey is {len(encrypted)} bytes after base64; RSA-2048 gives 256",
            hint="Encrypt the session key with the whole 2048-bit public key of the auth "
            "certificate (RSA/ECB/PKCS1Padding) and send the 256 bytes in base64.",
        )
    # OpenSSL's implicit rejection returns a synthetic message of random length under a wrong
    # key instead of an error; the length check below catches all but ~1 in 245 of those, and
    # the rest fail at the PID's tag (502), whose hint names the key as a cause.
    try:
        session_key = key.private_key.decrypt(encrypted, padding.PKCS1v15())
    except ValueError:
        session_key = b""
    if len(session_key) == 16:
        raise EncryptionFailed(
            "500",
            "the session key is 16 bytes (AES-128); Auth 2.5 needs 32 (AES-256)",
            hint="Generate a 32-byte AES-256 session key (e.g. KeyGenerator AES with 256 bits), "
            "not 16; then encrypt it as before.",
        )
    if len(session_key) != KEY_BYTES:
        raise EncryptionFailed(
            "500",
            "Skey could not be decrypted with the sandbox's auth key",
            hint="Encrypt a fresh 32-byte session key with RSA/ECB/PKCS1Padding under the "
            "sandbox's auth certificate (GET /v1/identity/certificate), not another key.",
        )
    return session_key


def decrypt_pid(session_key: bytes, data: str | bytes) -> OpenedPid:
    """Step 2: split ts from ``Data`` and AES-256-GCM-decrypt the PID (502)."""
    blob = b64decode(data, code="502", field="Data")
    if len(blob) < TS_LENGTH + TAG_BYTES:
        raise EncryptionFailed(
            "502",
            f"Data is {len(blob)} bytes: too short for the 19-byte ts, cipher text and 16-byte tag",
            hint="Prepend the PID's ts (19 bytes, YYYY-MM-DDThh:mm:ss) to the AES-GCM output.",
        )
    ts_bytes, cipher = blob[:TS_LENGTH], blob[TS_LENGTH:]
    try:
        ts = ts_bytes.decode("ascii")
    except UnicodeDecodeError:
        ts = ""
    if not _looks_like_ts(ts):
        raise EncryptionFailed(
            "502",
            "Data does not start with the PID's ts (YYYY-MM-DDThh:mm:ss)",
            hint="Prepend the 19 bytes of the PID's ts to the cipher text before base64.",
        )
    iv, aad = _iv_aad(ts_bytes)
    try:
        pid = AESGCM(session_key).decrypt(iv, cipher, aad)
    except InvalidTag:
        raise EncryptionFailed(
            "502",
            "the PID cipher text did not decrypt (GCM tag check failed)",
            hint="Encrypt the PID with AES-256-GCM under the session key sent in Skey, IV = last "
            f"12 bytes of ts ({ts[-12:]!r}), AAD = last 16 bytes ({ts[-16:]!r}), 128-bit tag "
            "appended.",
        ) from None
    return OpenedPid(ts, pid)


def check_hmac(session_key: bytes, opened: OpenedPid, hmac_value: str | bytes) -> None:
    """Step 3: decrypt the Hmac (503) and compare it with SHA-256 of the PID bytes (564)."""
    blob = b64decode(hmac_value, code="503", field="Hmac")
    iv, aad = _iv_aad(opened.ts.encode("ascii"))
    try:
        digest = AESGCM(session_key).decrypt(iv, blob, aad)
    except InvalidTag:
        extra = (
            " It looks like ts was prepended to the Hmac: only Data carries it."
            if len(blob) == TS_LENGTH + 32 + TAG_BYTES
            else ""
        )
        raise EncryptionFailed(
            "503",
            "the Hmac did not decrypt (GCM tag check failed)",
            hint="Encrypt SHA-256(PID) with AES-256-GCM under the same session key, IV and AAD "
            f"as the PID, 16-byte tag appended.{extra}",
        ) from None
    if not compare_digest(digest, hashlib.sha256(opened.pid).digest()):
        raise EncryptionFailed(
            "564",
            "the Hmac is not SHA-256 of the PID block that was sent",
            hint="Hash the PID bytes exactly as encrypted (declaration, quotes and whitespace "
            "included), and hash the PID, not its cipher text.",
        )


def open_pid(
    key: AuthKey, *, ci: str, skey: str | bytes, data: str | bytes, hmac: str
) -> OpenedPid:
    """All three steps in the spec's order: Skey (500/501), Data (502), Hmac (503/564)."""
    session_key = decrypt_session_key(key, skey, ci)
    opened = decrypt_pid(session_key, data)
    check_hmac(session_key, opened, hmac)
    return opened


def _looks_like_ts(ts: str) -> bool:
    return parse_ts(ts) is not None


# -- the client's side -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncryptedPid:
    """What an AUA puts in ``Skey`` (with ``ci``), ``Data`` and ``Hmac``, base64."""

    skey: str
    ci: str
    data: str
    hmac: str


def encrypt_pid(
    pid: bytes, certificate: x509.Certificate, *, ts: str, session_key: bytes | None = None
) -> EncryptedPid:
    """Encrypt a PID block as an AUA must; ``ts`` is the PID's own ts attribute."""
    ts_bytes = ts.encode("ascii")
    if len(ts_bytes) != TS_LENGTH:
        raise ValueError(f"ts must be YYYY-MM-DDThh:mm:ss (19 characters), got {ts!r}")
    key = os.urandom(KEY_BYTES) if session_key is None else session_key
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise TypeError("the auth certificate must carry an RSA public key")
    iv, aad = _iv_aad(ts_bytes)
    aes = AESGCM(key)
    return EncryptedPid(
        skey=_b64(public_key.encrypt(key, padding.PKCS1v15())),
        ci=certificate_ci(certificate),
        data=_b64(ts_bytes + aes.encrypt(iv, pid, aad)),
        hmac=_b64(aes.encrypt(iv, hashlib.sha256(pid).digest(), aad)),
    )


# -- eKYC answers encrypted to the KUA ---------------------------------------------------------
#
# eKYC API 2.5, section 3.4 (response data format): the answer is ``<Resp status ko ret code txn
# ts err><kycRes>...</kycRes></Resp>`` where kycRes is the signed ``<KycRes>`` "encrypted and
# base64 encoded" with the KUA's public key (ko="KUA"), unless the KUA delegated decryption to
# its KSA (de="Y"). The spec leaves the byte layout to UIDAI's KUA client library; this is the
# layout its ``DataDecryptor`` reads (UIDAI's sample AUA/KUA code), so a KUA's existing
# decryption code works unchanged:
#
#   "VERSION_1.0" (11 bytes) | the KUA's public key, DER SubjectPublicKeyInfo (294 bytes for
#   RSA-2048) | EID, 32 random bytes | the 32-byte AES key under RSA-OAEP (SHA-256, MGF1-SHA-256,
#   label = EID), 256 bytes | AES-256-CFB (128-bit segments, IV = first 16 bytes of EID) of
#   SHA-256(KycRes) + KycRes.
#
# The JSON rendition encrypts ``uidData`` as a compact JWE instead: RSA-OAEP-256 + A256GCM, the
# header's ``x5t#S256`` naming the KUA's certificate.

KYC_HEADER = b"VERSION_1.0"
KYC_EID_BYTES = 32
KYC_IV_BYTES = 16
KYC_DIGEST_BYTES = 32
KYC_JWE_ALG = "RSA-OAEP-256"
KYC_JWE_ENC = "A256GCM"
_KYC_JWE = JWERegistry(algorithms=[KYC_JWE_ALG, KYC_JWE_ENC])


def _kyc_oaep(eid: bytes) -> padding.OAEP:
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=eid
    )


def _public_der(public_key: rsa.RSAPublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def seal_kyc_res(document: bytes, certificate: x509.Certificate) -> bytes:
    """The signed ``<KycRes>`` document in the kycRes envelope for ``certificate``'s key (raw
    bytes; the caller base64-encodes them into ``<kycRes>``)."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise TypeError("the KUA's encryption certificate must carry an RSA public key")
    eid = os.urandom(KYC_EID_BYTES)
    key = os.urandom(KEY_BYTES)
    wrapped = public_key.encrypt(key, _kyc_oaep(eid))
    encryptor = Cipher(algorithms.AES(key), CFB(eid[:KYC_IV_BYTES])).encryptor()
    body = encryptor.update(hashlib.sha256(document).digest() + document) + encryptor.finalize()
    return KYC_HEADER + _public_der(public_key) + eid + wrapped + body


def open_kyc_res(sealed: bytes, private_key: rsa.RSAPrivateKey) -> bytes:
    """The KUA's side of ``seal_kyc_res``: the ``<KycRes>`` document, its SHA-256 checked.
    Raises ``ValueError`` naming the part that is wrong."""
    der = _public_der(private_key.public_key())
    key_bytes = private_key.key_size // 8
    start = len(KYC_HEADER) + len(der)
    if not sealed.startswith(KYC_HEADER):
        raise ValueError(f"the kycRes does not start with {KYC_HEADER!r}: not encrypted")
    if sealed[len(KYC_HEADER) : start] != der:
        raise ValueError("the kycRes was encrypted to another public key than this private key's")
    eid = sealed[start : start + KYC_EID_BYTES]
    wrapped = sealed[start + KYC_EID_BYTES : start + KYC_EID_BYTES + key_bytes]
    cipher_text = sealed[start + KYC_EID_BYTES + key_bytes :]
    key = private_key.decrypt(wrapped, _kyc_oaep(eid))
    decryptor = Cipher(algorithms.AES(key), CFB(eid[:KYC_IV_BYTES])).decryptor()
    plain = decryptor.update(cipher_text) + decryptor.finalize()
    digest, document = plain[:KYC_DIGEST_BYTES], plain[KYC_DIGEST_BYTES:]
    if not compare_digest(digest, hashlib.sha256(document).digest()):
        raise ValueError("the decrypted KycRes does not match its SHA-256: corrupted")
    return document


def certificate_thumbprint(certificate: x509.Certificate) -> str:
    """``x5t#S256``: base64url (no padding) of SHA-256 of the certificate's DER."""
    digest = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def jwe_to(payload: bytes, certificate: x509.Certificate) -> str:
    """``payload`` as a compact JWE (RSA-OAEP-256, A256GCM) to ``certificate``'s key."""
    key = RSAKey.import_key(
        certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    header = {
        "alg": KYC_JWE_ALG,
        "enc": KYC_JWE_ENC,
        "x5t#S256": certificate_thumbprint(certificate),
        "cty": "application/json",
    }
    token: str = jwe.encrypt_compact(header, payload, key, registry=_KYC_JWE)
    return token


def open_jwe(token: str, private_key: rsa.RSAPrivateKey) -> bytes:
    """The KUA's side of ``jwe_to``; raises ``joserfc.errors.JoseError`` if it does not open."""
    key = RSAKey.import_key(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    opened = jwe.decrypt_compact(token, key, registry=_KYC_JWE)
    return opened.plaintext or b""
