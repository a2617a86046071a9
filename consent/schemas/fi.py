# ruff: noqa: N815 (the spec's own field names, e.g. ConsentDetail, consentId)
"""Wire models of the data flow: POST /aa/FI/request and POST /aa/FI/fetch (ReBIT NBFC-AA
2.0.0, ``FIRequest``, ``FIFetchRequest`` and their responses), and the partner's view of FI
sessions (GET /v1/fi/sessions, the easy path's decrypted data)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from consent.schemas.aa import AaIn, AaOut, DateRange, Envelope
from sandbox.kit.schema import OutputModel

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
