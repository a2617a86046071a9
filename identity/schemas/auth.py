"""Auth API 2.5, JSON rendition: ``POST /v1/identity/auth``.

The request carries the spec's Auth attributes (uid, rc, ver, txn), ``Uses``, and either the
encrypted PID (``skey`` with ``ci``, ``hmac``, ``data`` of type X for PID XML or J for PID JSON)
or, on the easy path, the PID as plain JSON (``pid``). Exactly one of the two.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from identity.schemas.common import TXN_FIELD, UID_FIELD
from sandbox.kit.schema import InputModel, OutputModel

YesNo = Literal["y", "n"]

EASY_EXAMPLE: dict[str, Any] = {
    "uid": "999999990019",
    "rc": "Y",
    "ver": "2.5",
    "txn": "demo-txn-001",
    "uses": {"pi": "y", "otp": "y"},
    "pid": {
        "ts": "2026-11-29T19:33:11",
        "ver": "2.0",
        "demo": {"pi": {"name": "Asha Verma", "gender": "F"}},
        "pv": {"otp": "123456"},
    },
}


class UsesIn(InputModel):
    pi: YesNo = Field("n", description="Pi (name, gender, dob, phone, e-mail) is matched.")
    pa: YesNo = Field("n", description="Pa (structured address) is matched.")
    pfa: YesNo = Field("n", description="Pfa (free-text address) is matched.")
    bio: YesNo = Field(
        "n",
        description="Biometrics: the persona's records (GET /v1/sandbox/personas/{key}/"
        "biometrics) in the PID's bios; kabir answers 330.",
    )
    bt: str | None = Field(None, max_length=40, description="With bio y: FMR, FIR, IIR, FID.")
    pin: YesNo = Field("n", description="Not offered by the sandbox (550).")
    otp: YesNo = Field("n", description="The OTP from the inbox, in the PID's pv.otp.")


class SkeyIn(InputModel):
    ci: str = Field(
        max_length=16,
        description="Expiry (YYYYMMDD) of the auth certificate: GET /v1/identity/certificate.",
        examples=["20281129"],
    )
    value: str = Field(
        max_length=4096,
        description="base64 of the 32-byte session key under RSA/ECB/PKCS1Padding.",
    )


class DataIn(InputModel):
    type: Literal["X", "J"] = Field(description="X: PID XML; J: PID JSON (same names).")
    value: str = Field(
        max_length=262_144,
        description="base64 of ts (19 bytes) + AES-256-GCM(PID) + 16-byte tag.",
    )


# The rule of ``AuthIn._one_pid`` stated in the OpenAPI: the PID travels either encrypted
# (skey, hmac and data) or, on the easy path, as plain JSON (pid); never both, never neither.
ONE_PID: dict[str, Any] = {
    "oneOf": [
        {
            "title": "Encrypted PID (Auth 2.5)",
            "required": ["skey", "hmac", "data"],
            "properties": {
                "skey": {"type": "object"},
                "hmac": {"type": "string"},
                "data": {"type": "object"},
                "pid": {"type": "null"},
            },
        },
        {
            "title": "Easy path (plain PID)",
            "required": ["pid"],
            "properties": {
                "pid": {"type": "object"},
                "skey": {"type": "null"},
                "hmac": {"type": "null"},
                "data": {"type": "null"},
            },
        },
    ]
}


class AuthIn(InputModel):
    uid: str = UID_FIELD
    rc: str = Field(
        max_length=8, description='Resident consent: "Y" (512 otherwise).', examples=["Y"]
    )
    ver: str = Field(max_length=8, description='"2.5" (540 otherwise).', examples=["2.5"])
    txn: str = TXN_FIELD
    uses: UsesIn = Field(description="The factors this request uses; each must be in the PID.")
    skey: SkeyIn | None = Field(None, description="The encrypted session key (Auth 2.5 Skey).")
    hmac: str | None = Field(
        None, max_length=4096, description="base64 of AES-256-GCM(SHA-256(PID))."
    )
    data: DataIn | None = Field(None, description="The encrypted PID block.")
    pid: dict[str, Any] | None = Field(
        None,
        description="The easy path: the PID as plain JSON instead of skey, hmac and data "
        "(`{ts, ver, demo: {lang, pi, pa, pfa}, bios: [{type, posh, value}], pv: {otp}}`); "
        "the answer then carries `X-Sandbox-Easy-Path: plain-pid`.",
    )

    model_config = InputModel.model_config | {
        "json_schema_extra": {"examples": [EASY_EXAMPLE], **ONE_PID}
    }

    @model_validator(mode="after")
    def _one_pid(self) -> Self:
        encrypted = (self.skey, self.hmac, self.data)
        if self.pid is not None:
            if any(part is not None for part in encrypted):
                raise ValueError("send either pid (the easy path) or skey, hmac and data; not both")
        elif any(part is None for part in encrypted):
            raise ValueError("send skey, hmac and data (the encrypted PID), or pid (easy path)")
        return self


class InfoOut(OutputModel):
    uid_token: str | None = Field(
        description="Your stable token of this resident (the same for every request of your "
        "partner, different for another partner); null when the number is unknown.",
        examples=["K5ZJ3QWQ6X2LQ7Y3M4T5V6W7X8Y9Z2A3B4C5D6E7F8G9H2J3K4L5"],
    )


class AuthOut(OutputModel):
    ret: Literal["y", "n"] = Field(description="y: authenticated; n: see `err`.")
    code: str = Field(
        description="Unique code of this answer; GET /v1/identity/auth-records/{code}.",
        examples=["7e9f1c3a2b4d4e6f8a0b1c2d3e4f5a6b"],
    )
    txn: str = Field(examples=["demo-txn-001"])
    ts: str = Field(
        description="World time of the answer, IST.", examples=["2026-11-29T19:33:12.303+05:30"]
    )
    err: str | None = Field(None, description="With ret n: the Aadhaar error code.")
    actn: str | None = Field(None, description="With err 998: A201.")
    hint: str | None = Field(None, description="With ret n: what to change.")
    info: InfoOut
