"""Signed XML requests: once a partner registers its signing certificate
(``POST /v1/partners/me/certificates``), ``<Otp>`` and ``<Auth>`` must carry an enveloped
signature by it: 569 unsigned or not verifying, 570 another certificate or the registered one
expired; rsa-sha256 and the old clients' rsa-sha1 both verify."""

from __future__ import annotations

import httpx
import pytest

from identity.crypto import encrypt_pid
from tests.support.http import SignedUp
from tests.support.identity import ASHA, certificate, pid_ts
from tests.support.uidai import (
    Aua,
    aua,
    aua_key,
    auth_doc,
    otp_doc,
    post,
    register,
    signed_doc,
    verified,
)

pytestmark = pytest.mark.anyio


async def _otp(client: httpx.AsyncClient, creds: Aua, document: bytes) -> tuple[str, str | None]:
    res = await verified(client, await post(client, "otp", creds, ASHA, document))
    return str(res.get("ret")), res.get("err")


async def test_a_registered_certificate_makes_signatures_required(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    key, pem = aua_key()
    plain = otp_doc(creds, ASHA, "sig-1", namespaced=True)
    assert await _otp(client, creds, plain) == ("y", None)  # no certificate yet: unsigned is fine
    await register(client, partner, pem)
    assert await _otp(client, creds, otp_doc(creds, ASHA, "sig-2")) == ("n", "569")
    signed = signed_doc(otp_doc(creds, ASHA, "sig-3", namespaced=True), key, pem)
    assert (await _otp(client, creds, signed))[1] in (None, "952")  # verified: reached the service
    tampered = signed.replace(b'txn="sig-3"', b'txn="sig-4"')
    assert await _otp(client, creds, tampered) == ("n", "569")
    other_key, other_pem = aua_key()
    assert await _otp(client, creds, signed_doc(plain, other_key, other_pem)) == ("n", "570")


async def test_a_signed_auth_verifies_with_sha256_and_sha1(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    key, pem = aua_key()
    await register(client, partner, pem)
    for sha1 in (False, True):
        ts = await pid_ts(client, partner)
        pid = f'<Pid ts="{ts}" ver="2.0"><Demo><Pi name="Asha Verma"/></Demo></Pid>'.encode()
        sealed = encrypt_pid(pid, await certificate(client), ts=ts)
        document = signed_doc(auth_doc(creds, ASHA, "sig-a", sealed, pi="y"), key, pem, sha1=sha1)
        res = await verified(client, await post(client, "auth", creds, ASHA, document))
        assert (res.get("ret"), res.get("err")) == ("y", None), sha1


async def test_an_expired_certificate_is_570_and_garbage_is_422(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    creds = await aua(client, partner)
    key, pem = aua_key(days=-1)
    await register(client, partner, pem)
    signed = signed_doc(otp_doc(creds, ASHA, "sig-5"), key, pem)
    assert await _otp(client, creds, signed) == ("n", "570")
    bad = await client.post(
        "/v1/partners/me/certificates", json={"certificate": "nope"}, headers=partner.headers
    )
    assert bad.status_code == 422
