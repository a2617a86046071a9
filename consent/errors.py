"""Consent errors: each carries the ReBIT AA 2.0.0 ``errorCode`` and HTTP status it is answered
with (``AA_2_0_0.yaml`` definitions ``BadRequest*``, ``ForbiddenFIFetch``, ``NotFound``,
``Conflict``). Under ``/aa`` they are rendered as the spec's error body
``{ver, txnid, timestamp, errorCode, errorMsg}``; elsewhere (``/v1/...``) as problem+json with the
code in ``errorCode``.

    SandboxError
    └── AaError                        error_code, status
        ├── InvalidRequest (400)       a field is missing or breaks a rule (names field and rule)
        ├── SignatureDoesNotMatch (400) x-jws-signature missing or not over the body sent
        ├── InvalidCustomerAddress (400) Customer.id is no AA handle of this world
        ├── InvalidConsentPurpose (400) unknown purpose, or the purpose's fair-use rule broken
        ├── InvalidConsentHandle (400)
        ├── InvalidConsentId (400)
        ├── InvalidConsentStatus (400) the consent is not in a state for this use
        ├── InvalidConsentDetail (400)
        ├── InvalidConsentUse (400)    ONETIME used, Frequency exhausted, not started yet
        ├── InvalidKey (400)           FI/request's KeyMaterial cannot be used (names the field)
        ├── InvalidDateRange (400)     FI/request's FIDataRange outside the consent's, or reversed
        ├── InvalidFIPId (400)         FI/fetch's fipId is no FIP of the session
        ├── InvalidSessionId (400)     FI/fetch's sessionId is no session of yours
        ├── Unauthorized (401)
        ├── ConsentExpired (403)
        ├── ConsentRevoked (403)
        ├── ConsentPaused (403)
        ├── DataFetchRequestInProgress (403)
        ├── NoSuchVersion (404)        ver is not 2.0.0
        ├── NoDataFound (404)
        ├── IdempotencyError (409)     a txnid reused for a different request
        ├── DataGone (410)             FI/fetch after the session's data expired
        └── InternalError (500)
    ConsentNotFound (404)              /v1 routes: no such consent handle in the caller's world
    FiSessionNotFound (404)            /v1 routes: no such FI session in the caller's world
    InvalidTransition (409)            /v1 routes: the consent's status does not allow the action
"""

from __future__ import annotations

from typing import ClassVar

from sandbox.errors import Conflict, NotFound, SandboxError


class AaError(SandboxError):
    """An error of the AA API, with the spec's ``errorCode``."""

    error_code: ClassVar[str] = "InvalidRequest"
    status = 400
    slug = "aa-error"
    title = "Account Aggregator error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint, errorCode=self.error_code)

    @property
    def error_msg(self) -> str:
        """The spec's ``errorMsg``: what is wrong, and how to fix it."""
        return f"{self.detail} {self.hint}" if self.hint else self.detail


def _code(name: str, status: int, doc: str) -> type[AaError]:
    slug = "aa-" + "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
    return type(
        name,
        (AaError,),
        {"error_code": name, "status": status, "slug": slug, "title": name, "__doc__": doc},
    )


InvalidRequest = _code("InvalidRequest", 400, "A field is missing or breaks a rule.")
SignatureDoesNotMatch = _code(
    "SignatureDoesNotMatch", 400, "The request's x-jws-signature does not verify."
)
InvalidCustomerAddress = _code(
    "InvalidCustomerAddress", 400, "Customer.id is not an AA handle of this world."
)
InvalidConsentPurpose = _code(
    "InvalidConsentPurpose", 400, "Unknown purpose code, or its fair-use rule is broken."
)
InvalidConsentHandle = _code("InvalidConsentHandle", 400, "No consent request with this handle.")
InvalidConsentId = _code("InvalidConsentId", 400, "No consent artefact with this id.")
InvalidConsentStatus = _code(
    "InvalidConsentStatus", 400, "The consent is not in a status that allows this."
)
InvalidConsentDetail = _code("InvalidConsentDetail", 400, "The consent detail breaks a rule.")
InvalidConsentUse = _code(
    "InvalidConsentUse", 400, "The consent cannot be used now (ONETIME used, Frequency spent)."
)
InvalidKey = _code("InvalidKey", 400, "The KeyMaterial cannot be used (nonce, key, expiry).")
InvalidDateRange = _code(
    "InvalidDateRange", 400, "FIDataRange is reversed or outside the consent's FIDataRange."
)
InvalidFIPId = _code("InvalidFIPId", 400, "The fipId is not an FIP of the session.")
InvalidSessionId = _code("InvalidSessionId", 400, "No FI session with this id.")
Unauthorized = _code("Unauthorized", 401, "No API key, or an unknown one.")
ConsentExpired = _code("ConsentExpired", 403, "The consent is past its consentExpiry.")
ConsentRevoked = _code("ConsentRevoked", 403, "The customer revoked the consent.")
ConsentPaused = _code("ConsentPaused", 403, "The customer paused the consent.")
DataFetchRequestInProgress = _code(
    "DataFetchRequestInProgress", 403, "The FIPs are still preparing the session's data."
)
NoDataFound = _code("NoDataFound", 404, "No data for the request.")
DataGone = _code("DataGone", 410, "The session's data is no longer available.")
NoSuchVersion = _code("NoSuchVersion", 404, "The request's ver is not 2.0.0.")
IdempotencyError = _code("IdempotencyError", 409, "A txnid reused for a different request.")
InternalError = _code("InternalError", 500, "The AA failed to handle the request.")


class ConsentNotFound(NotFound):
    """No consent with this handle (or consent id) in the caller's world."""

    slug = "consent-not-found"
    title = "Consent not found"


class InvalidTransition(Conflict):
    """The consent's status does not allow this action (the answer names both)."""

    slug = "consent-invalid-transition"
    title = "Not allowed in the consent's status"


class FiSessionNotFound(NotFound):
    """/v1 routes: no FI session with this id in the caller's world."""

    slug = "fi-session-not-found"
    title = "FI session not found"
