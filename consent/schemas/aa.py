# ruff: noqa: N815 (the spec's own field names, e.g. ConsentDetail, consentId)
"""What every body of the AA API shares (ReBIT NBFC-AA 2.0.0, ``AA_2_0_0.yaml``): the request
base (the spec's names, unknown fields refused), the envelope (``ver``, ``timestamp``,
``txnid``), the response base, ``HeartbeatResponse`` and the spec's ``ErrorResponse``.

The wire models of consent are split by subject: ``consent.schemas.consent`` (consent requests,
artefacts, the /v1 consent views), ``consent.schemas.fi`` (the data flow and /v1/fi/sessions),
``consent.schemas.settings`` (the partner's AA settings). Under ``/aa`` field names are the
spec's own, spelt as they are there (``ConsentDetail``, ``consentId``, ``FIDataRange.from``);
under ``/v1`` names are camelCase like the rest of the platform.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from sandbox.kit.schema import has_nul
from sandbox.kit.wire import Rfc3339, Uuid

EXAMPLE_TS = "2026-01-15T10:00:00.000Z"
EXAMPLE_TXN = "4a4adbbe-29ae-11e8-a8d7-0289437bf331"


class AaIn(BaseModel):
    """A request body of the AA API: the spec's names, unknown fields refused, no NULs."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if has_nul(value):
            raise PydanticCustomError("string_nul", "must not contain NUL (\\u0000) characters")
        return value


Text = Field(min_length=1, max_length=255)


class Envelope(AaIn):
    """The spec's ``ver``, ``timestamp``, ``txnid``. Stricter than the spec (a string each): ver
    is the one version served (another: NoSuchVersion, 404), txnid must be a UUID (the spec's
    description says it is one), timestamp an RFC 3339 date-time (the spec's ``format``) within
    15 minutes of the world's time (a rule of the world: InvalidRequest)."""

    ver: Literal["2.0.0"] = Field(
        description="API version. Sandbox: only 2.0.0 is served (another is NoSuchVersion).",
        examples=["2.0.0"],
    )
    timestamp: Rfc3339 = Field(
        description="Creation time of the message: RFC 3339 date-time with an offset. Sandbox: "
        "within 15 minutes of the world's time (GET /v1/sandbox/clock), else InvalidRequest.",
        examples=[EXAMPLE_TS],
    )
    txnid: Uuid = Field(
        description="A UUID the FIU makes per request; echoed back. Sandbox: must be a UUID (the "
        "spec says it is one). The same txnid and body replays the first answer; another body "
        "with it is IdempotencyError.",
        examples=[EXAMPLE_TXN],
    )


# -- response bodies (documentation; the service builds them) ------------------------------------


class DateRange(AaIn):
    """A range of time, from and to (RFC 3339), as FIDataRange."""

    from_: Rfc3339 = Field(alias="from", examples=["2025-01-01T00:00:00.000Z"])
    to: Rfc3339 = Field(examples=["2026-01-01T00:00:00.000Z"])


class AaOut(BaseModel):
    model_config = ConfigDict(extra="allow")


class HeartbeatResponse(AaOut):
    ver: str
    timestamp: str
    Status: Literal["UP", "DOWN"]


class AaErrorBody(AaOut):
    """The spec's ``ErrorResponse``."""

    ver: str = Field(examples=["2.0.0"])
    txnid: str = Field(description="The request's txnid, or empty if it had none.")
    timestamp: str
    errorCode: str = Field(examples=["InvalidRequest"])
    errorMsg: str = Field(
        examples=["ConsentDetail.DataLife: a DataLife value above 0 needs consentMode STORE."]
    )
