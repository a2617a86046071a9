"""The platform's error tree; one handler (``sandbox.ops.problems``) renders all of it.

    SandboxError                    status, title, detail, hint, extra members
    ├── BadRequest (400)
    ├── Unauthorized (401)          missing, malformed, unknown or revoked API key
    ├── Forbidden (403)             e.g. self-signup closed, admin token needed
    ├── NotFound (404)              never 403 for another partner's object: ids must not leak
    │   └── PersonaNotFound         a persona key no persona has (asha, ravi, kabir...)
    ├── Conflict (409)
    │   └── IdempotencyConflict     a client key (Idempotency-Key, txnId...) reused elsewhere
    ├── PayloadTooLarge (413)
    ├── InvalidRequest (422)        a rule on a field failed (names the field and the rule)
    └── RateLimited (429)           carries retry_after seconds

Domains subclass these (or ``SandboxError``) in their own ``errors.py``; a domain error may carry
its protocol's own code in ``extra`` (UPI ``responseCode``, Aadhaar ``err``, AA ``errorCode``).
Services raise these; they never raise HTTP exceptions.
"""

from __future__ import annotations

from typing import Any, ClassVar


class SandboxError(Exception):
    """Base of every error the sandbox reports to a client."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, hint: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint
        self.extra = extra


class BadRequest(SandboxError):
    pass


class Unauthorized(SandboxError):
    status = 401
    slug = "unauthorized"
    title = "Unauthorized"


class Forbidden(SandboxError):
    status = 403
    slug = "forbidden"
    title = "Forbidden"


class NotFound(SandboxError):
    status = 404
    slug = "not-found"
    title = "Not found"


class PersonaNotFound(NotFound):
    """No persona has this key: GET /v1/sandbox/personas lists them (asha, ravi, kabir...)."""

    slug = "persona-not-found"
    title = "No such persona"


class Conflict(SandboxError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class IdempotencyConflict(Conflict):
    slug = "idempotency-conflict"
    title = "Idempotency key reused with a different request"


class PayloadTooLarge(SandboxError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class InvalidRequest(SandboxError):
    """A field broke a rule. ``errors`` lists ``{"field", "rule", "message"}`` items."""

    status = 422
    slug = "invalid-request"
    title = "Invalid request"

    def __init__(self, field: str, rule: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"{field}: {message}",
            hint=hint,
            errors=[{"field": field, "rule": rule, "message": message}],
        )


class RateLimited(SandboxError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(detail, hint=hint)
        self.retry_after = retry_after
