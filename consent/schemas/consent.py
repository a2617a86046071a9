# ruff: noqa: N815 (the spec's own field names, e.g. ConsentDetail, consentId)
"""Wire models of consents: ``ConsentsRequest``, ``ConsentHandleRequest``,
``ConsentFetchRequest`` and their responses (ReBIT NBFC-AA 2.0.0), and the /v1 views of a
consent (listing, the test-only resident actions, the log). The response models document the
answers; the service builds the bodies as the spec's JSON."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from consent.schemas.aa import EXAMPLE_TS, EXAMPLE_TXN, AaIn, AaOut, DateRange, Envelope
from sandbox.kit.schema import InputModel, OutputModel
from sandbox.kit.wire import Rfc3339

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
    consentStart: Rfc3339 = Field(examples=[EXAMPLE_TS])
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


class CustomerOut(AaOut):
    id: str


class ConsentsResponse(AaOut):
    ver: str = Field(examples=["2.0.0"])
    timestamp: str = Field(examples=[EXAMPLE_TS])
    txnid: str = Field(examples=[EXAMPLE_TXN])
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
    entries: list[LogEntryOut] = Field(description="One page of the log, oldest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (later) entries; null on the last page."
    )
