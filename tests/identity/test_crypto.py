"""Auth 2.5 encryption: a request built from the spec text alone is accepted, and each broken
step is refused with its own code and a hint naming the step.

``spec_encrypt`` below is written from the spec (shared/reference/aadhaar.md, "Auth request"),
not with ``identity.crypto``: PKCS#1 v1.5 padding and the RSA power by hand, AES-GCM through the
low-level Cipher API, base64 with MIME line breaks as Java's encoders write it. The two keys in
``keys/`` are fixed test keys, so the wrong-key case is deterministic: under OpenSSL's implicit
rejection a wrong key yields a synthetic message whose length depends on key and cipher text.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from identity.crypto import encrypt_pid, open_pid
from identity.errors import EncryptionFailed
from identity.keys import AUTH_CN, AuthKey, accepted_ci, generate_auth_key

KEYS = Path(__file__).parent / "keys"
NOW_US = 1_790_000_000_000_000  # 2026-09-21T14:13:20Z
TS = "2026-09-21T19:43:20"
PID = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<Pid ts="2026-09-21T19:43:20" ver="2.0">\n  <Demo><Pi name="Asha Verma"/></Demo>\n</Pid>'
)
SESSION_KEY = bytes(range(32))


def _load(name: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key((KEYS / name).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.fixture(scope="module")
def auth_key() -> AuthKey:
    return generate_auth_key(NOW_US, private_key=_load("auth.pem"))


@pytest.fixture(scope="module")
def other_key() -> AuthKey:
    return generate_auth_key(NOW_US, private_key=_load("other.pem"))


# -- the independent implementation, from the spec text ----------------------------------------


@dataclass(frozen=True)
class Request:
    ci: str
    skey: str
    data: str
    hmac: str


def _mime(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")  # a line break every 76 characters


def _gcm(key: bytes, iv: bytes, aad: bytes, plain: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plain) + encryptor.finalize() + encryptor.tag


def _rsa_pkcs1(certificate: x509.Certificate, message: bytes, seed: int) -> bytes:
    """RSA/ECB/PKCS1Padding: EM = 00 02 PS 00 M with non-zero PS, then EM^e mod n."""
    public = certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    numbers = public.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    rng = random.Random(seed)
    padding = bytes(rng.randrange(1, 256) for _ in range(size - 3 - len(message)))
    em = b"\x00\x02" + padding + b"\x00" + message
    return pow(int.from_bytes(em, "big"), numbers.e, numbers.n).to_bytes(size, "big")


def spec_encrypt(
    pid: bytes,
    certificate: x509.Certificate,
    *,
    ts: str = TS,
    session_key: bytes = SESSION_KEY,
    seed: int = 1,
) -> Request:
    ts_bytes = ts.encode("ascii")
    iv, aad = ts_bytes[-12:], ts_bytes[-16:]
    return Request(
        ci=certificate.not_valid_after_utc.strftime("%Y%m%d"),
        skey=_mime(_rsa_pkcs1(certificate, session_key, seed)),
        data=_mime(ts_bytes + _gcm(session_key, iv, aad, pid)),
        hmac=_mime(_gcm(session_key, iv, aad, hashlib.sha256(pid).digest())),
    )


def _open(key: AuthKey, request: Request) -> bytes:
    return open_pid(key, ci=request.ci, skey=request.skey, data=request.data, hmac=request.hmac).pid


def _refused(key: AuthKey, request: Request) -> EncryptionFailed:
    with pytest.raises(EncryptionFailed) as caught:
        _open(key, request)
    return caught.value


# -- accepted ---------------------------------------------------------------------------------


def test_a_request_built_from_the_spec_text_is_accepted(auth_key: AuthKey) -> None:
    request = spec_encrypt(PID, auth_key.certificate)
    assert "\n" in request.skey  # MIME line breaks, as Java's encoder writes them
    opened = open_pid(
        auth_key, ci=request.ci, skey=request.skey, data=request.data, hmac=request.hmac
    )
    assert opened.pid == PID
    assert opened.ts == TS


def test_base64_with_spaces_is_accepted(auth_key: AuthKey) -> None:
    request = spec_encrypt(PID, auth_key.certificate)
    spaced = replace(request, data=" ".join(request.data[i : i + 10] for i in range(0, 400, 10)))
    assert _open(auth_key, spaced) == PID


@settings(max_examples=25, deadline=None)
@given(
    pid=st.binary(max_size=2048),
    when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
)
def test_the_client_helper_round_trips_any_pid(
    auth_key: AuthKey, pid: bytes, when: datetime
) -> None:
    ts = when.strftime("%Y-%m-%dT%H:%M:%S")
    sent = encrypt_pid(pid, auth_key.certificate, ts=ts)
    opened = open_pid(auth_key, ci=sent.ci, skey=sent.skey, data=sent.data, hmac=sent.hmac)
    assert (opened.ts, opened.pid) == (ts, pid)


# -- each step refused ------------------------------------------------------------------------


def test_a_session_key_under_another_certificate_is_500(
    auth_key: AuthKey, other_key: AuthKey
) -> None:
    request = spec_encrypt(PID, other_key.certificate)
    assert request.ci in auth_key.accepted_ci  # both expire on the same day: only the key differs
    error = _refused(auth_key, request)
    assert error.code == "500"
    assert "auth certificate" in str(error.hint)


def test_an_aes_128_session_key_is_500_with_its_length(auth_key: AuthKey) -> None:
    request = spec_encrypt(PID, auth_key.certificate, session_key=bytes(16))
    error = _refused(auth_key, request)
    assert error.code == "500"
    assert "16 bytes" in error.detail
    assert "32-byte" in str(error.hint)


@pytest.mark.parametrize(("skey", "fragment"), [("not base64!", "not base64"), ("c2hvcnQ=", "256")])
def test_a_malformed_skey_is_500(auth_key: AuthKey, skey: str, fragment: str) -> None:
    error = _refused(auth_key, replace(spec_encrypt(PID, auth_key.certificate), skey=skey))
    assert error.code == "500"
    assert fragment in error.detail


def test_a_wrong_ci_is_501_and_names_the_right_one(auth_key: AuthKey) -> None:
    error = _refused(auth_key, replace(spec_encrypt(PID, auth_key.certificate), ci="20200101"))
    assert error.code == "501"
    expiry = auth_key.certificate.not_valid_after_utc.strftime("%Y%m%d")
    assert expiry in str(error.hint)


def test_ci_may_be_the_utc_or_the_ist_date_of_not_after() -> None:
    key = _load("auth.pem")
    not_after = datetime(2027, 3, 1, 20, 0, tzinfo=UTC)  # 01:30 IST on 2 March
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, AUTH_CN)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_after - timedelta(days=30))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    late = AuthKey(key, certificate)
    assert accepted_ci(certificate) == {"20270301", "20270302"}
    request = spec_encrypt(PID, certificate)
    for ci in ("20270301", "20270302"):
        assert _open(late, replace(request, ci=ci)) == PID
    assert _refused(late, replace(request, ci="20270303")).code == "501"


def test_a_tampered_cipher_text_is_502(auth_key: AuthKey) -> None:
    request = spec_encrypt(PID, auth_key.certificate)
    blob = bytearray(base64.b64decode("".join(request.data.split())))
    blob[30] ^= 0x01
    error = _refused(auth_key, replace(request, data=base64.b64encode(blob).decode()))
    assert error.code == "502"
    assert "IV = last 12 bytes of ts" in str(error.hint)


def test_data_without_the_ts_prefix_is_502(auth_key: AuthKey) -> None:
    request = spec_encrypt(PID, auth_key.certificate)
    blob = base64.b64decode("".join(request.data.split()))
    error = _refused(auth_key, replace(request, data=base64.b64encode(blob[19:]).decode()))
    assert error.code == "502"
    assert "ts" in error.detail


def test_a_tampered_hmac_is_503(auth_key: AuthKey) -> None:
    request = spec_encrypt(PID, auth_key.certificate)
    blob = bytearray(base64.b64decode("".join(request.hmac.split())))
    blob[0] ^= 0x80
    assert _refused(auth_key, replace(request, hmac=base64.b64encode(blob).decode())).code == "503"


def test_an_hmac_with_the_ts_prepended_is_503_and_the_hint_says_so(auth_key: AuthKey) -> None:
    request = spec_encrypt(PID, auth_key.certificate)
    blob = TS.encode() + base64.b64decode("".join(request.hmac.split()))
    error = _refused(auth_key, replace(request, hmac=base64.b64encode(blob).decode()))
    assert error.code == "503"
    assert "only Data carries it" in str(error.hint)


def test_an_hmac_of_other_bytes_is_564(auth_key: AuthKey) -> None:
    request = spec_encrypt(PID, auth_key.certificate)
    other = spec_encrypt(PID.replace(b"\n", b"\r\n"), auth_key.certificate)  # same key and ts
    error = _refused(auth_key, replace(request, hmac=other.hmac))
    assert error.code == "564"
    assert error.extra["err"] == "564"


# -- key material -----------------------------------------------------------------------------


def test_a_new_auth_key_expires_at_noon_utc_and_round_trips_as_pem() -> None:
    key = generate_auth_key(NOW_US, days=365)
    not_after = key.certificate.not_valid_after_utc
    assert (not_after.hour, not_after.minute) == (12, 0)
    assert not_after.date() == datetime(2027, 9, 21).date()
    assert len(key.accepted_ci) == 1  # the UTC and IST dates agree
    common_name = key.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert [a.value for a in common_name] == [AUTH_CN]
    assert key.private_key.key_size == 2048
    loaded = AuthKey.from_pem(key.key_pem(), key.certificate_pem())
    assert loaded.certificate == key.certificate


def test_a_certificate_of_another_key_is_refused_on_load(
    auth_key: AuthKey, other_key: AuthKey
) -> None:
    with pytest.raises(ValueError, match="does not belong"):
        AuthKey.from_pem(auth_key.key_pem(), other_key.certificate_pem())
