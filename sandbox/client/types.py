"""The shapes of the answers, as TypedDicts over the parsed JSON (``total=False``: read what you
need; the OpenAPI document at ``/openapi.json`` has every member). Members keep the wire's
camelCase names, so what you read here is what ``/docs`` and the specs show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from consent.crypto import EphemeralKey

Json = dict[str, Any]


class PartnerCreated(TypedDict, total=False):
    partnerId: str
    apiKey: str
    webhookSecret: str
    standardWebhooksSecret: str
    country: str
    currency: str
    aua: Json
    nextSteps: list[str]


class Partner(TypedDict, total=False):
    partnerId: str
    name: str
    contactEmail: str
    webhookUrl: str | None
    country: str
    currency: str
    createdAt: str
    fixedOtp: bool
    aua: Json


class Persona(TypedDict, total=False):
    key: str
    purpose: str
    name: str
    nameLocal: str | None
    uid: str
    dob: str
    gender: str
    mobile: str | None
    mobileVerified: bool
    email: str | None
    language: str
    biometricsLocked: bool
    vpa: str | None
    upiPin: str | None
    aaHandle: str | None
    accounts: list[Json]


class PersonaList(TypedDict, total=False):
    country: str
    currency: str
    personas: list[Persona]


class Clock(TypedDict):
    now: str
    offsetSeconds: int


class Message(TypedDict, total=False):
    id: str
    to: str
    channel: str
    subject: str
    body: str
    sentAt: str


class MessageList(TypedDict, total=False):
    messages: list[Message]
    nextCursor: str | None


class Transaction(TypedDict, total=False):
    """A UPI transaction (pay, collect, refund, mandate execution): ``TxnOut``."""

    txnId: str
    rrn: str
    type: str
    status: str  # SUCCESS, FAILURE, PENDING, DEEMED
    responseCode: str
    message: str
    detail: str | None
    hint: str | None
    payer: Json
    payee: Json
    amount: str
    currency: str
    note: str | None
    refId: str | None
    createdAt: str
    updatedAt: str
    originalTxnId: str | None
    refundedAmount: str | None
    mandateId: str | None
    expiresAt: str | None
    replayed: bool


class TransactionList(TypedDict, total=False):
    transactions: list[Transaction]
    nextCursor: str | None


class Balance(TypedDict, total=False):
    vpa: str
    balance: str
    currency: str
    responseCode: str


class VpaValidation(TypedDict, total=False):
    vpa: str
    valid: bool
    responseCode: str
    name: str | None
    ifsc: str | None
    accountType: str | None
    verifiedMerchant: bool
    merchantCategory: str | None


class OtpAnswer(TypedDict, total=False):
    ret: str
    txn: str
    code: str
    err: str | None
    hint: str | None
    maskedMobile: str | None
    maskedEmail: str | None


class AuthAnswer(TypedDict, total=False):
    ret: str
    code: str
    txn: str
    ts: str
    err: str | None
    actn: str | None
    hint: str | None
    info: Json


class EkycAnswer(AuthAnswer, total=False):
    ttl: str
    uidData: Json | str  # a JWE (compact) once you registered an encryption certificate


class VidAnswer(TypedDict, total=False):
    ret: str
    txn: str
    code: str
    vid: str | None
    status: str | None


class ConsentRequested(TypedDict, total=False):
    ver: str
    timestamp: str
    txnid: str
    Customer: Json
    ConsentHandle: str


class ConsentHandleStatus(TypedDict, total=False):
    ver: str
    timestamp: str
    txnid: str
    ConsentHandle: str
    ConsentStatus: Json  # {"id": consentId or null, "status": "READY" | "PENDING" | ...}


class ConsentArtefact(TypedDict, total=False):
    ver: str
    txnid: str
    consentId: str
    status: str
    createTimestamp: str
    signedConsent: str
    ConsentUse: Json


class Consent(TypedDict, total=False):
    """``GET /v1/consents/{handle}`` and the test-only actions' answer."""

    consentHandle: str
    consentId: str | None
    status: str
    customerId: str
    purposeCode: str
    fetchType: str
    consentStart: str
    consentExpiry: str
    createdAt: str
    updatedAt: str
    accounts: list[Json]
    useCount: int


class ConsentList(TypedDict, total=False):
    consents: list[Consent]
    nextCursor: str | None


class FIRequested(TypedDict, total=False):
    """ReBIT ``FIResponse`` (answer of ``POST /aa/FI/request``)."""

    ver: str
    timestamp: str
    txnid: str
    consentId: str
    sessionId: str


class FIData(TypedDict):
    linkRefNumber: str
    maskedAccNumber: str
    encryptedFI: str


class FIPData(TypedDict):
    fipID: str
    data: list[FIData]
    KeyMaterial: Json


class FIFetched(TypedDict, total=False):
    """ReBIT ``FIFetchResponse`` (answer of ``POST /aa/FI/fetch``)."""

    ver: str
    timestamp: str
    txnid: str
    FI: list[FIPData]


@dataclass(frozen=True)
class FISession:
    """What ``fi_request`` gives back: the AA's answer and the key pair its data is encrypted
    for (keep it: ``decrypt_fi`` needs it for the fetch of this session)."""

    answer: FIRequested
    key: EphemeralKey

    @property
    def session_id(self) -> str:
        return self.answer["sessionId"]


@dataclass(frozen=True)
class DecryptedFI:
    """One account's FI document, decrypted: the ReBIT deposit XML (or JSON) as text."""

    fip_id: str
    link_ref_number: str
    masked_acc_number: str
    document: str
