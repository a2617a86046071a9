"""Identity as a partner drives it over HTTP: OTPs, the inbox, PID timestamps and auth bodies
(the easy path's plain PID, or the PID encrypted with ``identity.crypto.encrypt_pid``)."""

from __future__ import annotations

import base64
import itertools
import json
import re
from datetime import timedelta
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding

from identity.client import PidType, json_body
from identity.crypto import KEY_BYTES, EncryptedPid, encrypt_pid
from identity.keys import AuthKey
from tests.support.clock import now
from tests.support.http import SignedUp

ASHA = "999999990019"
ASHA_MOBILE = "+919876500001"
ASHA_EMAIL = "asha.verma@example.com"
IST = timedelta(hours=5, minutes=30)
_OTP = re.compile(r"\b(\d{6})\b")
_stamps = itertools.count(1)
_issued: set[str] = set()  # every ts handed out in this process


async def request_otp(
    client: httpx.AsyncClient,
    partner: SignedUp,
    *,
    uid: str = ASHA,
    txn: str = "txn-otp-1",
    channel: str = "01",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    sent = await client.post(
        "/v1/identity/otp",
        json={"uid": uid, "txn": txn, "channel": channel},
        headers={**partner.headers, **(headers or {})},
    )
    assert sent.status_code == 200, sent.text
    body: dict[str, Any] = sent.json()
    return body


async def inbox(client: httpx.AsyncClient, partner: SignedUp, to: str) -> list[dict[str, Any]]:
    listed = await client.get("/v1/sandbox/inbox", params={"to": to}, headers=partner.headers)
    assert listed.status_code == 200, listed.text
    messages: list[dict[str, Any]] = listed.json()["messages"]
    return messages


async def read_otp(client: httpx.AsyncClient, partner: SignedUp, to: str = ASHA_MOBILE) -> str:
    """The OTP of the newest message to ``to``."""
    messages = await inbox(client, partner, to)
    assert messages, f"no message to {to}"
    found = _OTP.search(messages[0]["body"])
    assert found is not None, messages[0]
    return found[1]


async def pid_ts(client: httpx.AsyncClient, partner: SignedUp, *, offset: int = 0) -> str:
    """A PID ts (IST wall time) of the partner's world: now plus ``offset`` seconds, minus a few
    seconds that differ on every call, so that two requests never share a ts by accident (a
    replay, 563)."""
    moment = await now(client, partner) + IST + timedelta(seconds=offset - next(_stamps) % 3000)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    while stamp in _issued:  # the clock moved a second between two calls: step back further
        moment -= timedelta(seconds=1)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    _issued.add(stamp)
    return stamp


def easy(
    pid: dict[str, Any], *, uid: str = ASHA, txn: str = "txn-otp-1", **uses: str
) -> dict[str, Any]:
    """An easy-path auth body: the PID as plain JSON."""
    return {"uid": uid, "rc": "Y", "ver": "2.5", "txn": txn, "uses": uses, "pid": pid}


def encrypted(
    pid: bytes,
    certificate: x509.Certificate,
    *,
    ts: str,
    kind: PidType = "X",
    uid: str = ASHA,
    txn: str = "txn-otp-1",
    **uses: str,
) -> dict[str, Any]:
    """An auth body with the PID encrypted as Auth 2.5 says (``kind`` X: XML, J: JSON)."""
    sealed = encrypt_pid(pid, certificate, ts=ts)
    return json_body(sealed, uid=uid, txn=txn, uses=uses, pid_type=kind)


def pid_json(ts: str, **parts: Any) -> bytes:
    return json.dumps({"ts": ts, "ver": "2.0", **parts}).encode()


async def auth(
    client: httpx.AsyncClient, partner: SignedUp, body: dict[str, Any], **headers: str
) -> dict[str, Any]:
    """POST /v1/identity/auth; a processed request must answer 200."""
    answer = await client.post(
        "/v1/identity/auth", json=body, headers={**partner.headers, **headers}
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def certificate(client: httpx.AsyncClient) -> x509.Certificate:
    got = await client.get("/v1/identity/certificate")
    assert got.status_code == 200, got.text
    return x509.load_pem_x509_certificate(got.json()["certificate"].encode())


async def generate_vid(
    client: httpx.AsyncClient,
    partner: SignedUp,
    *,
    uid: str = ASHA,
    txn: str = "txn-vid-1",
    to: str = ASHA_MOBILE,
) -> dict[str, Any]:
    """An OTP for ``uid``, read from ``to``'s inbox, then ``POST /v1/identity/vids`` with it."""
    sent = await request_otp(client, partner, uid=uid, txn=txn)
    assert sent["ret"] == "y", sent
    otp = await read_otp(client, partner, to)
    made = await client.post(
        "/v1/identity/vids", json={"uid": uid, "txn": txn, "otp": otp}, headers=partner.headers
    )
    assert made.status_code == 200, made.text
    answer: dict[str, Any] = made.json()
    return answer


def encrypt_under_wrong_key(
    pid: bytes, wrong: AuthKey, sandbox: AuthKey, *, ts: str
) -> EncryptedPid:
    """``pid`` sealed under ``wrong``'s certificate, such that the sandbox refuses the Skey (500).

    OpenSSL's implicit rejection (PKCS#1 v1.5) turns a foreign Skey into a synthetic message of
    random length rather than an error; about 1 in 245 of those is 32 bytes long and is then
    refused one step later, at the PID's tag (502). Those are drawn again so the test is exact.
    """
    for _ in range(100):
        s = encrypt_pid(pid, wrong.certificate, ts=ts)
        synthetic = sandbox.private_key.decrypt(base64.b64decode(s.skey), padding.PKCS1v15())
        if len(synthetic) != KEY_BYTES:
            return s
    raise AssertionError("100 session keys in a row decrypted to 32 bytes under another key")
