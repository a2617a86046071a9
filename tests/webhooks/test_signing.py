"""Sandbox-Signature: ``t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from sandbox.webhooks.signing import HEADER, TOLERANCE_SECONDS, SignatureError, sign, verify

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"sandbox.ping"}'
NOW = 1_760_000_000


def test_header_name() -> None:
    assert HEADER == "Sandbox-Signature"


def test_sign_then_verify_returns_the_timestamp() -> None:
    header = sign(SECRET, NOW, BODY)
    assert verify(SECRET, header, BODY, now=NOW) == NOW
    assert verify(SECRET, header, BODY, now=NOW + TOLERANCE_SECONDS) == NOW


def test_v1_is_an_hmac_sha256_of_timestamp_dot_body() -> None:
    header = sign(SECRET, NOW, BODY)
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"


def test_tampered_body_is_refused() -> None:
    header = sign(SECRET, NOW, BODY)
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(SECRET, header, BODY.replace(b"ping", b"pong"), now=NOW)


def test_wrong_secret_is_refused() -> None:
    header = sign(SECRET, NOW, BODY)
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify("whsec_another_secret", header, BODY, now=NOW)


def test_a_changed_timestamp_breaks_the_signature() -> None:
    v1 = sign(SECRET, NOW, BODY).split(",v1=")[1]
    with pytest.raises(SignatureError):
        verify(SECRET, f"t={NOW + 1},v1={v1}", BODY, now=NOW)


@pytest.mark.parametrize("age", [TOLERANCE_SECONDS + 1, -(TOLERANCE_SECONDS + 1), 86_400])
def test_stale_or_future_timestamps_are_refused(age: int) -> None:
    header = sign(SECRET, NOW - age, BODY)
    with pytest.raises(SignatureError, match="more than 300 s"):
        verify(SECRET, header, BODY, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"t={NOW}",
        "v1=00ff",
        f"t=abc,v1={'0' * 64}",
        f"t=-{NOW},v1={'0' * 64}",
        f"t=²,v1={'0' * 64}",  # a digit to str.isdigit, not to int()
        f"t={NOW},v1=é",  # hmac.compare_digest raises TypeError on non-ASCII str
        f"t={NOW},v2={'0' * 64}",
    ],
)
def test_malformed_headers_raise_signature_error(header: str) -> None:
    with pytest.raises(SignatureError):
        verify(SECRET, header, BODY, now=NOW)


def test_any_matching_v1_is_accepted() -> None:
    good = sign(SECRET, NOW, BODY).split(",v1=")[1]
    header = f"t={NOW}, v1={'0' * 64}, v1={good}"
    assert verify(SECRET, header, BODY, now=NOW) == NOW
