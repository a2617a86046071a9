"""Identity (Aadhaar-like): OTP, authentication (easy path and Auth 2.5 encrypted), eKYC,
authentication records, VIDs, offline eKYC."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC
from typing import Any, Literal

from identity.client import wadh as wadh_of
from sandbox.client import types as t
from sandbox.client._core import Call, Flow, _bytes
from sandbox.client.calls._wire import IST, drop
from sandbox.client.calls.platform import world_now
from sandbox.client.crypto import auth_request


def identity_certificate() -> Call[t.Json]:
    """``GET /v1/identity/certificate``: the certificate PIDs are encrypted under (cached)."""
    return Call("GET", "/v1/identity/certificate", cache="certificate")


def request_otp(uid: str, txn: str, *, channel: str = "01") -> Call[t.OtpAnswer]:
    """``POST /v1/identity/otp`` (OTP API 2.5): channel 01 SMS, 02 e-mail, 00 both. The OTP lands
    in the world's inbox (``read_otp``). ``ret`` n raises ``AadhaarError``."""
    body = {"uid": uid, "txn": txn, "channel": channel}
    return Call("POST", "/v1/identity/otp", body, kind="aadhaar")


def pid_ts() -> Flow[str]:
    """A PID ``ts``: your world's time in IST, ``YYYY-MM-DDThh:mm:ss``."""
    now = yield from world_now()
    return (now.astimezone(UTC) + IST).strftime("%Y-%m-%dT%H:%M:%S")


def auth(body: Mapping[str, Any]) -> Call[t.AuthAnswer]:
    """``POST /v1/identity/auth`` with a body you built (easy path ``pid``, or ``skey``/``hmac``/
    ``data`` from ``crypto.auth_request``). ``ret`` n raises ``AadhaarError``."""
    return Call("POST", "/v1/identity/auth", dict(body), kind="aadhaar")


def auth_otp(uid: str, txn: str, otp: str, *, name: str | None = None) -> Flow[t.AuthAnswer]:
    """OTP authentication (and the name, when given) on the easy path: the PID as plain JSON,
    its ``ts`` your world's time."""
    pid: dict[str, Any] = {"ts": (yield from pid_ts()), "ver": "2.0", "pv": {"otp": otp}}
    uses = {"otp": "y"}
    if name is not None:
        pid["demo"] = {"pi": {"name": name}}
        uses["pi"] = "y"
    body = {"uid": uid, "rc": "Y", "ver": "2.5", "txn": txn, "uses": uses, "pid": pid}
    answer: t.AuthAnswer = yield auth(body)
    return answer


def auth_encrypted(
    uid: str,
    txn: str,
    pid: Mapping[str, Any] | bytes,
    *,
    uses: Mapping[str, str],
    pid_type: Literal["X", "J"] | None = None,
) -> Flow[t.AuthAnswer]:
    """The real Auth 2.5 request: the PID (a mapping: JSON; bytes: XML) encrypted under the
    sandbox's certificate. A JSON PID without ``ts`` gets your world's time."""
    certificate: t.Json = yield identity_certificate()
    if not isinstance(pid, bytes) and "ts" not in pid:
        pid = {"ts": (yield from pid_ts()), "ver": "2.0", **pid}
    body = auth_request(
        pid, certificate["certificate"], uid=uid, txn=txn, uses=uses, pid_type=pid_type
    )
    answer: t.AuthAnswer = yield auth(body)
    return answer


def ekyc(
    uid: str,
    txn: str,
    otp: str,
    *,
    lr: str = "N",
    de: str = "N",
    pfr: str = "N",
    encrypted: bool = False,
) -> Flow[t.EkycAnswer]:
    """eKYC by OTP (``ra`` O): the PID carries the ``wadh`` of these terms and your world's
    ``ts``; ``encrypted`` sends it the Auth 2.5 way. Once you registered an encryption
    certificate, ``uidData`` is a JWE: ``crypto.open_uid_data`` opens it."""
    pid: dict[str, Any] = {
        "ts": (yield from pid_ts()),
        "ver": "2.0",
        "wadh": wadh_of(ra="O", lr=lr, de=de, pfr=pfr),
        "pv": {"otp": otp},
    }
    uses = {"otp": "y"}
    body: dict[str, Any]
    if encrypted:
        certificate: t.Json = yield identity_certificate()
        body = auth_request(pid, certificate["certificate"], uid=uid, txn=txn, uses=uses)
    else:
        body = {"uid": uid, "rc": "Y", "ver": "2.5", "txn": txn, "uses": uses, "pid": pid}
    body.update({"ra": "O", "lr": lr, "de": de, "pfr": pfr})
    answer: t.EkycAnswer = yield ekyc_raw(body)
    return answer


def ekyc_raw(body: Mapping[str, Any]) -> Call[t.EkycAnswer]:
    """``POST /v1/identity/ekyc`` with a body you built."""
    return Call("POST", "/v1/identity/ekyc", dict(body), kind="aadhaar")


def auth_records(
    *,
    uid_token: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[t.Json]:
    params = {"uidToken": uid_token, "from": from_, "to": to, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/identity/auth-records", params=params)


def auth_record(code: str) -> Call[t.Json]:
    return Call("GET", f"/v1/identity/auth-records/{code}")


def generate_vid(uid: str, txn: str, otp: str) -> Call[t.VidAnswer]:
    body = {"uid": uid, "txn": txn, "otp": otp}
    return Call("POST", "/v1/identity/vids", body, kind="aadhaar")


def vid(vid: str) -> Call[t.Json]:
    return Call("GET", f"/v1/identity/vids/{vid}")


def revoke_vid(vid: str, txn: str, otp: str) -> Call[t.VidAnswer]:
    body = {"txn": txn, "otp": otp}
    return Call("POST", f"/v1/identity/vids/{vid}/revoke", body, kind="aadhaar")


def offline_ekyc(uid: str, txn: str, otp: str, share_code: str) -> Call[bytes]:
    """``POST /v1/identity/offline-ekyc``: the zip (AES-256, password ``share_code``)."""
    body = {"uid": uid, "txn": txn, "otp": otp, "shareCode": share_code}
    return Call("POST", "/v1/identity/offline-ekyc", body, read=_bytes)


def verify_offline_ekyc(
    file: bytes, share_code: str, *, mobile: str | None = None, email: str | None = None
) -> Call[t.Json]:
    body = drop(
        {
            "file": base64.b64encode(file).decode("ascii"),
            "shareCode": share_code,
            "mobile": mobile,
            "email": email,
        }
    )
    return Call("POST", "/v1/identity/offline-ekyc/verify", body)
