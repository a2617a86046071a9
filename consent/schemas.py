# ruff: noqa: N815 (the spec's own field names, e.g. ConsentDetail, consentId)
"""Wire models of consent.

Under ``/aa``, field names are the spec's own (ReBIT NBFC-AA 2.0.0, ``AA_2_0_0.yaml``
definitions ``ConsentsRequest``, ``ConsentHandleRequest``, ``ConsentFetchRequest`` and their
responses), spelt as they are there (``ConsentDetail``, ``consentId``, ``FIDataRange.from``).
Inputs refuse unknown fields. The response models document the answers; the service builds
the bodies as the spec's JSON.

Under ``/v1`` (listing, the test-only resident actions, the partner's AA settings) names are
camelCase like the rest of the platform.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from sandbox.kit.schema import InputModel, OutputModel, has_nul
from sandbox.kit.wire import Rfc3339, Uuid

FIType = Literal[
    "DEPOSIT",
    "TERM_DEPOSIT",
    "RECURRING_DEPOSIT",
    "SIP",
    "CP",
    "GOVT_SECURITIES",
    "EQUITIES",
    "BONDS",
    "DEBENTURES",
    "MUTUAL_FUNDS",
    "ETF",
    "IDR",
    "CIS",
    "AIF",
    "INSURANCE_POLICIES",
    "NPS",
    "INVIT",
    "REIT",
    "GSTR1_3B",
    "OTHER",
]
ArtefactStatus = Literal["ACTIVE", "PAUSED", "REVOKED", "EXPIRED"]
Status = Literal["PENDING", "ACTIVE", "REJECTED", "PAUSED", "REVOKED", "EXPIRED"]

_TS = "2026-01-15T10:00:00.000Z"
_TXN = "4a4adbbe-29ae-11e8-a8d7-0289437bf331"


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
        examples=[_TS],
    )
    txnid: Uuid = Field(
        description="A UUID the FIU makes per request; echoed back. Sandbox: must be a UUID (the "
        "spec says it is one). The same txnid and body replays the first answer; another body "
        "with it is IdempotencyError.",
        examples=[_TXN],
    )


class DataConsumerModel(AaIn):
    id: str = Field(min_length=1, max_length=255, examples=["fiu-team-test"])
    type: Literal["FIU", "USER", "AA"] = Field(examples=["FIU"])


class Identifier(AaIn):
    type: Literal["MOBILE", "EMAIL", "OTHERS"]
    value: str = Field(min_length=1, max_length=255)


class CustomerModel(AaIn):
    id: str | None = Field(
        None,
        max_length=255,
        description="The customer's AA handle: a persona's `<key>@sandbox-aa` (GET "
        "/v1/sandbox/personas lists them).",
        examples=["asha@sandbox-aa"],
    )
    Identifiers: list[Identifier] | None = Field(None, max_length=10)


class CategoryModel(AaIn):
    type: str | None = Field(None, max_length=255)


class PurposeModel(AaIn):
    code: str = Field(min_length=1, max_length=10, description="101 to 105.", examples=["102"])
    refUri: str | None = Field(
        None, max_length=255, examples=["https://api.rebit.org.in/aa/purpose/102.xml"]
    )
    text: str | None = Field(
        None, max_length=255, examples=["Customer spending patterns, budget or other reportings"]
    )
    Category: CategoryModel | None = None


class DateRange(AaIn):
    from_: Rfc3339 = Field(alias="from", examples=["2025-01-01T00:00:00.000Z"])
    to: Rfc3339 = Field(examples=["2026-01-01T00:00:00.000Z"])


class DataLifeModel(AaIn):
    unit: Literal["MONTH", "YEAR", "DAY", "INF"] = Field(examples=["MONTH"])
    value: int = Field(ge=0, le=1000, examples=[1])


class FrequencyModel(AaIn):
    """Stricter than the request schema of the spec, as its artefact is: no unit INF
    (``SignedConsentDetail.Frequency.unit`` is HOUR, DAY, MONTH or YEAR) and at least 1 fetch;
    at most 1 fetch per hour (so 24 per DAY...) is a rule across fields, refused with
    InvalidRequest."""

    unit: Literal["HOUR", "DAY", "MONTH", "YEAR"] = Field(examples=["MONTH"])
    value: int = Field(ge=1, le=100000, examples=[30])


class DataFilterModel(AaIn):
    type: Literal["TRANSACTIONTYPE", "TRANSACTIONAMOUNT"]
    operator: Literal["=", "!=", ">", "<", ">=", "<="]
    value: str = Field(min_length=1, max_length=40)


class ConsentDetailModel(AaIn):
    consentStart: Rfc3339 = Field(examples=[_TS])
    consentExpiry: Rfc3339 = Field(
        description="After consentStart and after the world's time (rules of the world and "
        "across fields: InvalidRequest).",
        examples=["2026-07-15T10:00:00.000Z"],
    )
    consentMode: Literal["VIEW", "STORE", "QUERY", "STREAM"] = Field(examples=["STORE"])
    fetchType: Literal["ONETIME", "PERIODIC"] = Field(examples=["PERIODIC"])
    consentTypes: list[Literal["PROFILE", "SUMMARY", "TRANSACTIONS"]] = Field(
        min_length=1, max_length=3, examples=[["PROFILE", "SUMMARY", "TRANSACTIONS"]]
    )
    fiTypes: list[FIType] = Field(min_length=1, max_length=20, examples=[["DEPOSIT"]])
    DataConsumer: DataConsumerModel
    Customer: CustomerModel
    Purpose: PurposeModel
    FIDataRange: DateRange
    DataLife: DataLifeModel
    Frequency: FrequencyModel
    DataFilter: list[DataFilterModel] | None = Field(None, max_length=10)


class ConsentsRequest(Envelope):
    """POST /aa/Consent (``definitions/ConsentsRequest``)."""

    ConsentDetail: ConsentDetailModel


class ConsentHandleRequest(Envelope):
    """POST /aa/Consent/handle (``definitions/ConsentHandleRequest``)."""

    ConsentHandle: str = Field(
        min_length=1, max_length=64, examples=["39e108fe-9243-11e8-b9f2-0256d88baae8"]
    )


class ConsentFetchRequest(Envelope):
    """POST /aa/Consent/fetch (``definitions/ConsentFetchRequest``)."""

    consentId: str = Field(
        min_length=1, max_length=64, examples=["654024c8-29c8-11e8-8868-0289437bf331"]
    )


# -- response bodies (documentation; the service builds them) ------------------------------------


class AaOut(BaseModel):
    model_config = ConfigDict(extra="allow")


class CustomerOut(AaOut):
    id: str


class ConsentsResponse(AaOut):
    ver: str = Field(examples=["2.0.0"])
    timestamp: str = Field(examples=[_TS])
    txnid: str = Field(examples=[_TXN])
    Customer: CustomerOut
    ConsentHandle: str


class ConsentStatusOut(AaOut):
    id: str | None = Field(None, description="The consent id, once READY.")
    status: Literal["PENDING", "READY", "FAILED", "EXPIRED"]


class ConsentHandleResponse(AaOut):
    ver: str
    timestamp: str
    txnid: str
    ConsentHandle: str
    ConsentStatus: ConsentStatusOut


class ConsentUseModel(AaOut):
    logUri: str = Field(description="Where the consent's hash-chained log is served.")
    count: int = Field(description="FI requests made with it.")
    lastUseDateTime: str = Field(
        description="The last FI request's time; the artefact's createTimestamp before any."
    )


class ConsentArtefact(AaOut):
    ver: str
    txnid: str
    consentId: str
    status: ArtefactStatus
    createTimestamp: str
    signedConsent: str = Field(description="Compact JWS (RS256) of the SignedConsentDetail.")
    ConsentUse: ConsentUseModel


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


# -- /v1 -------------------------------------------------------------------------------------------


class ConsentAccountOut(OutputModel):
    fi_type: str
    fip_id: str
    acc_type: str
    link_ref_number: str
    masked_acc_number: str


class ConsentOut(OutputModel):
    """A consent request and, once approved, its artefact."""

    consent_handle: str
    consent_id: str | None
    status: Status
    customer_id: str
    purpose_code: str
    fetch_type: str
    consent_start: str
    consent_expiry: str
    created_at: str
    updated_at: str
    accounts: list[ConsentAccountOut] | None
    use_count: int


class ConsentList(OutputModel):
    consents: list[ConsentOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ConsentApproveIn(InputModel):
    accounts: list[str] | None = Field(
        None,
        min_length=1,
        max_length=20,
        description="The customer's account numbers or linkRefNumbers to share; omitted: every "
        "account of hers whose FI type the consent asks for.",
    )


class LogEntryOut(OutputModel):
    seq: int
    at: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class ConsentLogOut(OutputModel):
    consent_handle: str
    consent_id: str | None
    verified: bool = Field(description="Whether the hash chain holds (recomputed on this read).")
    broken_at: int | None
    entries: list[LogEntryOut]


class PartnerJwk(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    kty: Literal["RSA"]
    # base64url without padding (RFC 7518 section 6.3.1); n of 2048 bits or more is 342+ chars.
    n: str = Field(
        pattern=r"^[A-Za-z0-9_-]+$",
        min_length=342,
        max_length=1024,
        description="The modulus, base64url: 2048 bits or more (342+ characters).",
    )
    e: str = Field(pattern=r"^[A-Za-z0-9_-]+$", min_length=1, max_length=16, examples=["AQAB"])
    kid: str | None = Field(None, max_length=255)


class AaSettingsIn(InputModel):
    signing_key: PartnerJwk | None = Field(
        None,
        description="Your public RSA JWK. Once set, every /aa request of yours must carry "
        "`x-jws-signature` (detached JWS, RS256, b64 false) made with its private key; null "
        "removes it.",
    )
    notification_url: str | None = Field(
        None,
        max_length=2000,
        pattern=r"^https?://",
        description="Your FIU base URL: consent notifications are POSTed to "
        "`<notificationUrl>/Consent/Notification`; null: to your webhook URL.",
        examples=["https://fiu.example.com/aa"],
    )


class AaSettingsOut(OutputModel):
    signing_key: dict[str, Any] | None
    notification_url: str | None
    notifications_go_to: str | None = Field(
        description="Where consent notifications are delivered now."
    )


# -- the data flow: POST /aa/FI/request, POST /aa/FI/fetch ---------------------------------------

_KEY_MATERIAL_EXAMPLE = {
    "cryptoAlg": "ECDH",
    "curve": "X25519",
    "params": "cipher=AES/GCM/NoPadding;KeyPairGenerator=ECDH",
    "DHPublicKey": {
        "expiry": "2026-01-16T10:00:00.000Z",
        "Parameters": "",
        "KeyValue": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEA...\n-----END PUBLIC KEY-----\n",
    },
    "Nonce": "base64 of 32 random bytes (44 characters)",
}


class ConsentRefModel(AaIn):
    id: str = Field(
        min_length=1,
        max_length=64,
        description="The consentId (POST /aa/Consent/handle answers it once READY).",
        examples=["654024c8-29c8-11e8-8868-0289437bf331"],
    )
    digitalSignature: str = Field(
        min_length=1,
        max_length=4096,
        description="The signature part (after the last '.') of the artefact's signedConsent.",
    )


class FIRequestModel(Envelope):
    """POST /aa/FI/request (``definitions/FIRequest``)."""

    FIDataRange: DateRange = Field(description="Inside the consent's FIDataRange, from before to.")
    Consent: ConsentRefModel
    KeyMaterial: dict[str, Any] = Field(
        description="Your ephemeral X25519 public key (PEM SubjectPublicKeyInfo), a nonce (base64 "
        "of 32 bytes) and the key's expiry (``definitions/KeyMaterial``); a field that cannot be "
        "used is InvalidKey, naming it. The data of the session is encrypted for this key.",
        examples=[_KEY_MATERIAL_EXAMPLE],
    )


class LinkRefModel(AaIn):
    id: str = Field(min_length=1, max_length=255)


class FIFetchRequestModel(Envelope):
    """POST /aa/FI/fetch (``definitions/FIFetchRequest``)."""

    sessionId: str = Field(
        min_length=1, max_length=64, description="The sessionId FI/request answered."
    )
    fipId: str | None = Field(
        None, max_length=255, description="Only this FIP's accounts (default: every FIP)."
    )
    linkRefNumber: list[LinkRefModel] | None = Field(
        None, min_length=1, max_length=50, description="Only these accounts (default: all)."
    )


class FIResponseBody(AaOut):
    ver: str
    timestamp: str
    txnid: str
    consentId: str
    sessionId: str


class FIDataOut(AaOut):
    linkRefNumber: str
    maskedAccNumber: str
    encryptedFI: str = Field(
        description="base64(AES-256-GCM cipher text + tag) of the account's FI document (XML)."
    )


class FIOut(AaOut):
    fipID: str
    data: list[FIDataOut]
    KeyMaterial: dict[str, Any] = Field(description="The FIP's ephemeral KeyMaterial.")


class FIFetchResponseBody(AaOut):
    ver: str
    timestamp: str
    txnid: str
    FI: list[FIOut]


# -- /v1/fi/sessions -----------------------------------------------------------------------------


class SessionAccountOut(OutputModel):
    fip_id: str
    link_ref_number: str
    masked_acc_number: str
    fi_type: str
    fi_status: Literal["READY", "DENIED", "PENDING", "DELIVERED", "TIMEOUT"]


class FiSessionOut(OutputModel):
    """An FI session (POST /aa/FI/request) as its FIU sees it."""

    session_id: str
    consent_id: str
    consent_handle: str
    status: Literal["ACTIVE", "COMPLETED", "EXPIRED", "FAILED"]
    data_from: str
    data_to: str
    accounts: list[SessionAccountOut]
    fetch_count: int
    created_at: str
    updated_at: str
    expires_at: str = Field(description="After this (world time) FI/fetch answers DataGone.")


class FiSessionList(OutputModel):
    sessions: list[FiSessionOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class FiAccountData(OutputModel):
    fip_id: str
    link_ref_number: str
    masked_acc_number: str
    fi_type: str
    data: Any = Field(
        description="The account's FI document: the JSON rendition of the ReBIT schema "
        "(``format=json``), or the XML as a string (``format=xml``)."
    )


class FiSessionData(OutputModel):
    """The decrypted FI data of a session (the easy path)."""

    session_id: str
    consent_id: str
    format: Literal["json", "xml"]
    accounts: list[FiAccountData]
