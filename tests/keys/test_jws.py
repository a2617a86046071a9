"""Detached JWS (RFC 7797, b64=false, RS256): what the sandbox signs verifies with an
implementation written here from the RFC and with joserfc's own API, and ``verify_detached``
refuses every tampering with an error that names the failed check."""

from __future__ import annotations

import base64
import json
from typing import Any, cast

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jws as joserfc_jws
from joserfc.jwk import KeySet, RSAKey

from sandbox.keys.jws import (
    CritMissing,
    EncodedPayload,
    JwsError,
    MalformedJws,
    SignatureMismatch,
    UnknownKey,
    UnsupportedAlgorithm,
    verify_detached,
)
from sandbox.keys.ring import KeyRing

PAYLOADS = [
    b'{"ver":"2.0.0","txnid":"0b811819-9044-4856-b0ee-8c88035f8858","name":"\xe0\xa4\x86\xe0\xa4\xb6\xe0\xa4\xbe"}',
    b"",
    b"..dots.and~tildes..",
    b"\xff\xfe not UTF-8",
    b"x" * 300_000,  # past joserfc's default payload cap of 128 kB
]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyRing:
    return KeyRing(tmp_path_factory.mktemp("keys") / "signing.pem")


@pytest.fixture(scope="module")
def partner_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "partner-2024"})


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _rfc7797_verify(value: str, payload: bytes, jwk: dict[str, str]) -> None:
    """RFC 7797 §3 and RFC 7515 §5.2, from the text: the signing input is the protected header
    as sent, a dot, and the payload's own bytes."""
    protected, middle, signature = value.split(".")
    assert middle == ""
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(_unb64(jwk["e"]), "big"), int.from_bytes(_unb64(jwk["n"]), "big")
    )
    numbers.public_key().verify(
        _unb64(signature),
        protected.encode("ascii") + b"." + payload,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def _with_header(value: str, **changes: Any) -> str:
    """``value`` with its protected header changed (and the signature left as it was)."""
    protected, _, signature = value.split(".")
    header = json.loads(_unb64(protected))
    for name, new in changes.items():
        if new is None:
            header.pop(name, None)
        else:
            header[name] = new
    return f"{_b64(json.dumps(header, separators=(',', ':')).encode())}..{signature}"


def _partner_sign(key: RSAKey, payload: bytes, **header: Any) -> str:
    protected = {"alg": "RS256", "kid": key.kid, "b64": False, "crit": ["b64"], **header}
    signing_input = _b64(json.dumps(protected, separators=(",", ":")).encode()) + "."
    assert key.private_key is not None
    signature = key.private_key.sign(
        signing_input.encode() + payload, padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{_b64(signature)}"


def test_the_protected_header_is_exactly_the_specs(keys: KeyRing) -> None:
    protected, middle, _ = keys.sign_detached(b"{}").split(".")
    assert middle == ""
    assert _unb64(protected) == (
        b'{"alg":"RS256","kid":"' + keys.kid.encode() + b'","b64":false,"crit":["b64"]}'
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=["json", "empty", "dots", "binary", "big"])
def test_a_signature_verifies_with_the_rfc_written_out(keys: KeyRing, payload: bytes) -> None:
    (jwk,) = keys.jwks()["keys"]
    _rfc7797_verify(keys.sign_detached(payload), payload, jwk)
    with pytest.raises(InvalidSignature):
        _rfc7797_verify(keys.sign_detached(payload), payload + b" ", jwk)


@pytest.mark.parametrize("payload", PAYLOADS, ids=["json", "empty", "dots", "binary", "big"])
def test_a_signature_verifies_with_joserfc_and_with_verify_detached(
    keys: KeyRing, payload: bytes
) -> None:
    value = keys.sign_detached(payload)
    registry = joserfc_jws.JWSRegistry(algorithms=["RS256"])
    registry.max_payload_length = len(payload) + 1
    verified = joserfc_jws.deserialize_compact(
        value, KeySet.import_key_set(cast(Any, keys.jwks())), payload=payload, registry=registry
    )
    assert verified.payload == payload
    assert verified.protected == {"alg": "RS256", "kid": keys.kid, "b64": False, "crit": ["b64"]}
    assert verify_detached(value, payload, keys.jwks()) == keys.kid


def test_the_signature_is_what_joserfc_makes(keys: KeyRing) -> None:
    # RSASSA-PKCS1-v1_5 is deterministic: the same key, header and payload give the same bytes
    payload = PAYLOADS[0]
    private = RSAKey.import_key(keys.signing_key.private)
    header = {"alg": "RS256", "kid": keys.kid, "b64": False, "crit": ["b64"]}
    made = joserfc_jws.serialize_compact(header, payload, private, algorithms=["RS256"])
    assert joserfc_jws.detach_content(made) == keys.sign_detached(payload)


def test_a_partners_signature_verifies_against_its_jwks_or_its_one_key(
    partner_key: RSAKey,
) -> None:
    payload = b'{"ver":"2.0.0","txnid":"f35761ac-4a18-11e8-96ff-0277a9fbfedc"}'
    value = joserfc_jws.detach_content(
        joserfc_jws.serialize_compact(
            {"alg": "RS256", "kid": partner_key.kid, "b64": False, "crit": ["b64"]},
            payload,
            partner_key,
        )
    )
    public = partner_key.as_dict(private=False)
    assert verify_detached(value, payload, {"keys": [public]}) == "partner-2024"
    assert verify_detached(value, payload, public) == "partner-2024"
    assert verify_detached(value, payload, {k: v for k, v in public.items() if k != "kid"})
    assert verify_detached(value, payload, KeySet([partner_key])) == "partner-2024"
    assert verify_detached(value, payload, RSAKey.import_key(public)) == "partner-2024"


PAYLOAD = b'{"ver":"2.0.0","timestamp":"2024-01-01T00:00:00.000Z"}'


@pytest.mark.parametrize(
    ("tamper", "error", "says"),
    [
        (lambda v, p: (v, p + b" "), SignatureMismatch, "does not match the payload"),
        (lambda v, p: (v, p.replace(b"2024", b"2025")), SignatureMismatch, "sign exactly"),
        (lambda v, p: (v[:-4] + "AAAA", p), SignatureMismatch, "does not match"),
        (lambda v, p: (_with_header(v, typ="JOSE"), p), SignatureMismatch, "does not match"),
        (lambda v, p: (_with_header(v, alg="HS256"), p), UnsupportedAlgorithm, "'HS256'"),
        (lambda v, p: (_with_header(v, alg="none"), p), UnsupportedAlgorithm, "only 'RS256'"),
        (lambda v, p: (_with_header(v, b64=True), p), EncodedPayload, "must be false"),
        (lambda v, p: (_with_header(v, b64=None), p), EncodedPayload, "(absent)"),
        (lambda v, p: (_with_header(v, b64="false"), p), EncodedPayload, "'false'"),
        (lambda v, p: (_with_header(v, crit=None), p), CritMissing, '"crit": ["b64"]'),
        (lambda v, p: (_with_header(v, crit=["exp"]), p), CritMissing, "crit=['exp']"),
        (lambda v, p: (_with_header(v, kid="another"), p), UnknownKey, "'another'"),
        (lambda v, p: (_with_header(v, kid=None), p), UnknownKey, "no kid"),
        (lambda v, p: (v.replace("..", "."), p), MalformedJws, "three parts"),
        (lambda v, p: (v.replace("..", "." + _b64(p) + "."), p), MalformedJws, "not empty"),
        (lambda v, p: ("e30" + v, p), MalformedJws, "not base64url-encoded JSON"),
        (lambda v, p: (_b64(b"[1]") + v[v.index("..") :], p), MalformedJws, "not a JSON object"),
        (lambda v, p: (v + "=", p), MalformedJws, "signature is not base64url"),
        (lambda v, p: ("", p), MalformedJws, "three parts"),
    ],
    ids=[
        "payload-appended",
        "payload-changed",
        "signature-changed",
        "header-member-added",
        "alg-hs256",
        "alg-none",
        "b64-true",
        "b64-absent",
        "b64-string",
        "crit-absent",
        "crit-without-b64",
        "kid-unknown",
        "kid-absent",
        "two-parts",
        "payload-attached",
        "header-not-json",
        "header-not-object",
        "padded-signature",
        "empty",
    ],
)
def test_tampering_is_refused_with_the_check_that_failed(
    keys: KeyRing, tamper: Any, error: type[JwsError], says: str
) -> None:
    value, payload = tamper(keys.sign_detached(PAYLOAD), PAYLOAD)
    with pytest.raises(error) as refused:
        verify_detached(value, payload, keys.jwks())
    assert says in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_a_kid_that_names_another_key_is_refused(keys: KeyRing, partner_key: RSAKey) -> None:
    partner_jwk = partner_key.as_dict(private=False)
    both = {"keys": [*keys.jwks()["keys"], partner_jwk]}
    value = keys.sign_detached(PAYLOAD)

    with pytest.raises(SignatureMismatch, match="'partner-2024'"):
        verify_detached(_with_header(value, kid="partner-2024"), PAYLOAD, both)
    with pytest.raises(UnknownKey, match="the registered key is 'partner-2024'"):
        verify_detached(value, PAYLOAD, partner_jwk)
    with pytest.raises(UnknownKey, match="known: 'partner-2024'"):
        verify_detached(value, PAYLOAD, {"keys": [partner_jwk]})


def test_a_key_that_cannot_verify_rs256_is_refused(keys: KeyRing) -> None:
    value = keys.sign_detached(PAYLOAD)
    ec = {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": keys.kid}
    with pytest.raises(UnknownKey, match="not an RSA JWK"):
        verify_detached(value, PAYLOAD, {"keys": [ec]})


def test_partner_signature_with_extra_header_members(partner_key: RSAKey) -> None:
    # a client may add registered members (typ); the signature still decides
    value = _partner_sign(partner_key, PAYLOAD, typ="JOSE")
    assert verify_detached(value, PAYLOAD, partner_key.as_dict(private=False)) == "partner-2024"
    with pytest.raises(SignatureMismatch):
        verify_detached(value, PAYLOAD + b"\n", partner_key.as_dict(private=False))


def test_the_ring_never_shows_its_private_key(keys: KeyRing) -> None:
    shown = repr(keys) + repr(keys.signing_key) + json.dumps(keys.jwks())
    assert "PRIVATE" not in shown
    assert '"d"' not in shown
    assert "private" not in shown


def test_signatures_are_independent_of_the_ring_instance(keys: KeyRing) -> None:
    again = KeyRing(keys.path)
    assert again.sign_detached(PAYLOAD) == keys.sign_detached(PAYLOAD)
