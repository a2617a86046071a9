"""``KeyRing``: the sandbox's RSA-2048 signing key, kept in one PEM file.

The file is ``<data dir>/keys/signing.pem`` (or ``SANDBOX_SIGNING_KEY_FILE``), PKCS#8, mode
0600. It is loaded when the ring is built if it exists, and otherwise made on first use (the
first signature or JWKS request): generating a key costs ~100 ms, which an app that never signs
(the platform alone, most tests) does not pay.

Creation is safe when several processes start together (``sandbox serve --workers N``, or hosts
sharing the file): each writes its key to a temporary file of its own and ``os.link``s it to the
final name, which fails if the name exists; the losers delete theirs and load the winner's. A
reader therefore never sees a half-written key, and all end with one key.

``kid`` is the key's RFC 7638 JWK thumbprint (SHA-256, base64url): derived from the public key,
the same in every process, and a new key gets a new kid.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from sandbox.keys import jws
from sandbox.settings import Settings

log = logging.getLogger("sandbox.keys")

KEY_BITS = 2048
PUBLIC_EXPONENT = 65537


class KeyFileError(RuntimeError):
    """The key file exists but cannot be the sandbox's signing key."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    jwk: dict[str, str]  # public members only, with kid, use and alg
    private: rsa.RSAPrivateKey = field(repr=False)
    protected: bytes = field(repr=False)  # BASE64URL of the JWS protected header, made once

    @classmethod
    def of(cls, private: rsa.RSAPrivateKey) -> SigningKey:
        public = RSAKey.import_key(private.public_key())
        kid = public.thumbprint()
        jwk = {str(k): str(v) for k, v in public.as_dict(private=False).items()}
        jwk = {"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"], "kid": kid}
        jwk |= {"use": "sig", "alg": jws.ALG}
        return cls(kid, jwk, private, jws.protected_header(kid))


class KeyRing:
    """The signing key of this sandbox and the public keys it publishes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._key: SigningKey | None = None
        if path.exists():  # a broken key file stops the start, not the first signed answer
            self._key = SigningKey.of(_load(path))

    @classmethod
    def for_settings(cls, settings: Settings) -> KeyRing:
        return cls(settings.signing_key_file or settings.data_dir / "keys" / "signing.pem")

    def __repr__(self) -> str:
        return f"KeyRing({str(self.path)!r}, kid={self._key.kid if self._key else None!r})"

    @property
    def signing_key(self) -> SigningKey:
        key = self._key
        if key is None:
            with self._lock:
                if self._key is None:
                    self._key = SigningKey.of(_load_or_create(self.path))
                key = self._key
        return key

    @property
    def kid(self) -> str:
        return self.signing_key.kid

    def sign_detached(self, payload: bytes) -> str:
        """The ``x-jws-signature`` value for ``payload``: ``<protected>..<signature>``."""
        key = self.signing_key
        return jws.sign_detached(payload, key.private, key.protected)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The published public keys, as a JWKS; also what ``jws.verify_detached`` takes."""
        return {"keys": [dict(self.signing_key.jwk)]}


def _load(path: Path) -> rsa.RSAPrivateKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("signing key file %s can be read by others (mode %o)", path, mode & 0o777)
    try:
        key: Any = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_BITS:
        raise KeyFileError(f"{path} must hold an RSA private key of at least {KEY_BITS} bits")
    loaded: rsa.RSAPrivateKey = key
    return loaded


def _load_or_create(path: Path) -> rsa.RSAPrivateKey:
    try:
        return _load(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)  # atomic and exclusive: only one creator wins the name
        except FileExistsError:
            return _load(path)
        _fsync_directory(path.parent)
    finally:
        temporary.unlink(missing_ok=True)
    log.info("created signing key %s (kid %s)", path, SigningKey.of(key).kid)
    return key


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
