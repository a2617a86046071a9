"""Consent's magic table: a documented way to reach every AA ``errorCode`` the sandbox answers.

Served by ``GET /v1/sandbox/magic`` beside the payment and identity rows, every row with kind
"aa"; ``tests/consent/test_magic.py`` checks that each code here is asserted, through its
trigger, by a test of ``tests/consent``. Codes the spec defines that nothing here triggers
(DataFetchRequestInProgress: the sandbox's FIPs answer at once; NoDataFound: no session
FAILS; InvalidURI, InvalidSecurity) are not listed.
"""

from __future__ import annotations

from consent import errors

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

ROWS: tuple[tuple[str, str, str], ...] = (
    ('ver other than "2.0.0"', "NoSuchVersion", "any /aa request"),
    (
        "a timestamp 16 minutes from world time, a txnid that is not a UUID, a missing field",
        "InvalidRequest",
        "any /aa request; errorMsg names the field (FI/fetch: a linkRefNumber not in the session)",
    ),
    (
        "no client_api_key and no Bearer, or an unknown key",
        "Unauthorized",
        "any /aa request",
    ),
    (
        "an unsigned or altered body once you registered a signing key (PUT /v1/partners/me/aa)",
        "SignatureDoesNotMatch",
        "any /aa POST",
    ),
    ("the same txnid with another body", "IdempotencyError", "POST /aa/Consent, /aa/FI/request"),
    (
        "Customer.id nobody@sandbox-aa",
        "InvalidCustomerAddress",
        "POST /aa/Consent: no persona has that AA handle",
    ),
    (
        'Purpose.code "999", or purpose 102 with Frequency 100 per MONTH',
        "InvalidConsentPurpose",
        "POST /aa/Consent: an unknown purpose, or its fair-use rule broken (named)",
    ),
    (f"ConsentHandle {UNKNOWN_ID}", "InvalidConsentHandle", "POST /aa/Consent/handle"),
    (
        f"consentId {UNKNOWN_ID}",
        "InvalidConsentId",
        "POST /aa/Consent/fetch, POST /aa/FI/request (Consent.id)",
    ),
    (
        "Consent.digitalSignature other than the last part of signedConsent",
        "InvalidConsentDetail",
        "POST /aa/FI/request",
    ),
    (
        "FIDataRange from after to, or outside the consent's FIDataRange",
        "InvalidDateRange",
        "POST /aa/FI/request",
    ),
    (
        "KeyMaterial.Nonce of 16 bytes, or DHPublicKey.expiry before world time",
        "InvalidKey",
        "POST /aa/FI/request; FI/fetch after the FI request's key expired",
    ),
    (
        "a second FI request on a ONETIME consent, one more than Frequency in its window, or "
        "one while a session of the consent is still ACTIVE",
        "InvalidConsentUse",
        "POST /aa/FI/request",
    ),
    (
        "FI request on a PAUSED, REVOKED or EXPIRED consent",
        "InvalidConsentStatus",
        "POST /aa/FI/request (the spec gives it no 403): POST "
        "/v1/sandbox/aa/consents/{handle}/pause first",
    ),
    (f"sessionId {UNKNOWN_ID}", "InvalidSessionId", "POST /aa/FI/fetch"),
    ("fipId NOBANK-FIP", "InvalidFIPId", "POST /aa/FI/fetch"),
    (
        "FI/fetch after POST /v1/sandbox/aa/consents/{handle}/pause",
        "ConsentPaused",
        "403 on POST /aa/FI/fetch",
    ),
    (
        "FI/fetch after POST /v1/sandbox/aa/consents/{handle}/revoke",
        "ConsentRevoked",
        "403 on POST /aa/FI/fetch",
    ),
    (
        "FI/fetch after the consent's consentExpiry (advance the clock)",
        "ConsentExpired",
        "403 on POST /aa/FI/fetch",
    ),
    (
        "FI/fetch 24 h of world time after the FI request (POST /v1/sandbox/clock/advance "
        '{"seconds": 86401})',
        "DataGone",
        "410 on POST /aa/FI/fetch and on GET /v1/fi/sessions/{id}/data",
    ),
)
"""(value, code, description) of each magic row."""


def codes() -> dict[str, str]:
    """Every code a row reaches -> its meaning (the error class's docstring)."""
    return {code: (getattr(errors, code).__doc__ or code).strip() for _, code, _ in ROWS}
