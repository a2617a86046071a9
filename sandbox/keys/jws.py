"""Detached JWS with unencoded payload (RFC 7797), RS256 only, as ReBIT AA 2.0.0 prescribes.

The value of ``x-jws-signature`` is ``<protected>..<signature>``: the payload part is empty
(detached, RFC 7515 appendix F) and the signature covers
``ASCII(BASE64URL(UTF8(protected))) || '.' || payload``, the payload's bytes as they are
(``"b64": false``, which ``"crit": ["b64"]`` obliges a verifier to understand).

Signing builds that input itself and signs it with ``cryptography``: joserfc's serializer picks
the attached or detached form by decoding the payload as UTF-8 (bytes that are not UTF-8 raise)
and caps payloads at 128 kB, where an FI statement can be larger. RSASSA-PKCS1-v1_5 is
deterministic, so the result is byte for byte what joserfc produces (the tests check it).
Verifying runs the protocol checks here, so that each failure says what was wrong, and then
joserfc's own ``deserialize_compact`` for the signature.

    JwsError (ValueError)        ``reason`` names the check
    ├── MalformedJws             not ``<protected>..<signature>``, header not base64url JSON
    ├── UnsupportedAlgorithm     ``alg`` is not RS256
    ├── EncodedPayload           ``b64`` is not ``false``
    ├── CritMissing              ``crit`` does not list ``b64``
    ├── UnknownKey               no ``kid``, or none of the keys has it
    └── SignatureMismatch        the signature does not match the payload under that key
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import Key, KeySet, RSAKey
from joserfc.jws import JWSRegistry

ALG = "RS256"
HEADER = "x-jws-signature"
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024  # joserfc's default (128 kB) is below an FI statement's size

_B64URL = re.compile(r"[A-Za-z0-9_-]+")

_REGISTRY = JWSRegistry(algorithms=[ALG])
_REGISTRY.max_payload_length = MAX_PAYLOAD_BYTES

Keys = Mapping[str, Any] | Key | KeySet  # a JWKS ({"keys": [...]}), one JWK, or joserfc's


class JwsError(ValueError):
    """A detached JWS that does not verify."""

    reason: ClassVar[str] = "invalid"


class MalformedJws(JwsError):
    reason = "format"


class UnsupportedAlgorithm(JwsError):
    reason = "alg"


class EncodedPayload(JwsError):
    reason = "b64"


class CritMissing(JwsError):
    reason = "crit"


class UnknownKey(JwsError):
    reason = "kid"


class SignatureMismatch(JwsError):
    reason = "signature"


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def protected_header(kid: str) -> bytes:
    """``BASE64URL(UTF8(protected))`` of the one header the sandbox signs with."""
    header = {"alg": ALG, "kid": kid, "b64": False, "crit": ["b64"]}
    return b64url(json.dumps(header, separators=(",", ":")).encode())


def sign_detached(payload: bytes, key: RSAPrivateKey, protected: bytes) -> str:
    """``<protected>..<signature>`` over ``protected || '.' || payload`` (RFC 7797 §3)."""
    signature = key.sign(protected + b"." + payload, padding.PKCS1v15(), hashes.SHA256())
    return f"{protected.decode()}..{b64url(signature).decode()}"


def verify_detached(value: str, payload: bytes, keys: Keys) -> str:
    """Check a partner's ``x-jws-signature`` over ``payload``; the ``kid`` that verified it.

    ``keys`` is the partner's JWKS (the header's ``kid`` picks the key) or one registered JWK
    (used whatever the ``kid``, unless the JWK names another). Raises a ``JwsError``.
    """
    header = _header(_protected_part(value))
    _check_header(header)
    key = _key_for(header["kid"], keys)
    try:
        jws.deserialize_compact(value.strip(), key, registry=_REGISTRY, payload=payload)
    except BadSignatureError:
        raise SignatureMismatch(
            f"The signature does not match the payload under the key {header['kid']!r}: sign "
            "exactly the bytes of the body you send, with the private key of that kid."
        ) from None
    except JoseError as exc:  # what joserfc checks beyond the above (e.g. an unknown header)
        raise MalformedJws(f"joserfc refused the JWS: {exc.error}: {exc.description}") from None
    except ValueError as exc:  # joserfc: a key that cannot verify RS256
        raise UnknownKey(f"The key {header['kid']!r} cannot verify RS256: {exc}") from None
    return str(header["kid"])


def _protected_part(value: str) -> str:
    parts = value.strip().split(".")
    if len(parts) != 3:
        raise MalformedJws(
            f"A detached JWS has three parts, `<protected>..<signature>`; this one has "
            f"{len(parts)}."
        )
    protected_b64, middle, signature_b64 = parts
    if middle:
        raise MalformedJws(
            "The payload part is not empty: with a detached JWS the body is sent as the HTTP "
            "body and the header is `<protected>..<signature>`."
        )
    for name, part in (("protected header", protected_b64), ("signature", signature_b64)):
        if not _B64URL.fullmatch(part):
            raise MalformedJws(f"The {name} is not base64url without padding.")
    return protected_b64


def _header(protected_b64: str) -> dict[str, Any]:
    try:
        decoded = base64.urlsafe_b64decode(protected_b64 + "=" * (-len(protected_b64) % 4))
        header = json.loads(decoded)
    except (binascii.Error, ValueError):
        raise MalformedJws("The protected header is not base64url-encoded JSON.") from None
    if not isinstance(header, dict):
        raise MalformedJws("The protected header is not a JSON object.")
    return header


def _check_header(header: Mapping[str, Any]) -> None:
    if header.get("alg") != ALG:
        raise UnsupportedAlgorithm(
            f"The protected header's alg is {header.get('alg')!r}; only {ALG!r} is accepted."
        )
    if header.get("b64") is not False:
        raise EncodedPayload(
            f"The protected header's b64 is {header.get('b64', '(absent)')!r}; it must be false: "
            "the payload is signed as it is sent, not base64url-encoded (RFC 7797)."
        )
    crit = header.get("crit")
    if not isinstance(crit, list) or "b64" not in crit:
        raise CritMissing(
            'The protected header must have "crit": ["b64"], so that a verifier that does not '
            f"know RFC 7797 refuses it; it has crit={crit!r}."
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise UnknownKey("The protected header has no kid: name the key that signed it.")


def _key_for(kid: str, keys: Keys) -> Key:
    if isinstance(keys, KeySet):
        known = [k.kid for k in keys.keys]
        found: Any = next((k for k in keys.keys if k.kid == kid), None)
    elif isinstance(keys, Mapping) and "keys" in keys:
        jwks = [k for k in keys["keys"] if isinstance(k, Mapping)]
        known = [k.get("kid") for k in jwks]
        found = next((k for k in jwks if k.get("kid") == kid), None)
    else:
        single = keys if isinstance(keys, Key) else _import(keys)
        if single.kid is not None and single.kid != kid:
            raise UnknownKey(f"The JWS names kid {kid!r}; the registered key is {single.kid!r}.")
        return single
    if found is None:
        names = ", ".join(repr(k) for k in known) or "none"
        raise UnknownKey(f"No key has kid {kid!r} (known: {names}).")
    return found if isinstance(found, Key) else _import(found)


def _import(jwk: Any) -> Key:
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "RSA":
        raise UnknownKey("A key is not an RSA JWK (kty RSA, n, e): RS256 needs one.")
    try:
        return RSAKey.import_key(dict(jwk))
    except (JoseError, ValueError) as exc:
        raise UnknownKey(f"A key is not a usable RSA JWK: {exc}") from None
