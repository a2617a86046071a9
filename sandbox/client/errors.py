"""What the client raises: one class per way the sandbox says no, each carrying its code and hint.

ApiError (Exception)          status, code, detail, hint, body
├── ProblemError              an RFC 9457 problem (4xx/5xx ``application/problem+json``):
│                             ``type``, ``title``, ``errors``, ``request_id``; ``code`` is the
│                             protocol's own code when the problem carries one (``err``,
│                             ``responseCode``), else the type's slug
├── UpiError                  a payment the switch processed and declined (200, ``status``
│                             FAILURE) or a balance enquiry refused: NPCI ``responseCode``
├── AadhaarError              an identity answer with ``ret`` "n": Aadhaar ``err``, ``actn``
├── AaError                   an ``/aa`` error body (ReBIT ``errorCode``, ``errorMsg``)
└── AnswerNotVerified         an answer whose ``x-jws-signature`` does not verify
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """The sandbox refused a request, or answered one with a refusal."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None,
        detail: str | None = None,
        hint: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail
        self.hint = hint
        self.body = body

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (hint: {self.hint})" if self.hint else text


class ProblemError(ApiError):
    """An RFC 9457 problem: the request could not be processed (malformed, unauthenticated, a
    reused idempotency key, not found...)."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.type = str(body.get("type", "about:blank"))
        self.title = str(body.get("title", ""))
        self.errors: list[dict[str, Any]] = list(body.get("errors") or [])
        self.request_id: str | None = body.get("requestId")
        code = body.get("err") or body.get("responseCode") or body.get("errorCode")
        slug = self.type.rstrip("/").rsplit("/", 1)[-1]
        detail = body.get("detail")
        super().__init__(
            f"{status} {self.title or slug}: {detail or ''}".rstrip(": "),
            status=status,
            code=str(code) if code is not None else slug,
            detail=detail,
            hint=body.get("hint"),
            body=dict(body),
        )


class UpiError(ApiError):
    """A UPI refusal the switch processed: ``code`` is the NPCI responseCode (``Z9``, ``U30``...);
    ``body`` the whole answer (a transaction with its ``txnId``, or a balance answer)."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        code = str(body.get("responseCode"))
        message = body.get("message") or body.get("detail") or "declined"
        super().__init__(
            f"UPI {code}: {message}",
            status=status,
            code=code,
            detail=body.get("detail"),
            hint=body.get("hint"),
            body=dict(body),
        )
        self.txn_id: str | None = body.get("txnId")


class AadhaarError(ApiError):
    """An identity answer with ``ret`` "n": ``code`` is the Aadhaar ``err`` (``400`` wrong OTP,
    ``100`` Pi mismatch...), ``actn`` the action code when there is one."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        code = str(body.get("err"))
        super().__init__(
            f"Aadhaar err {code}: {body.get('hint') or 'ret n'}",
            status=status,
            code=code,
            detail=body.get("detail"),
            hint=body.get("hint"),
            body=dict(body),
        )
        self.actn: str | None = body.get("actn")


class AaError(ApiError):
    """A ReBIT AA error body (``{ver, txnid, timestamp, errorCode, errorMsg}``): ``code`` is the
    ``errorCode`` (``InvalidRequest``, ``InvalidConsentId``...), ``detail`` the ``errorMsg``,
    which names the field and the rule."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        code = str(body.get("errorCode"))
        message = str(body.get("errorMsg", ""))
        super().__init__(
            f"{status} {code}: {message}", status=status, code=code, detail=message, body=dict(body)
        )
        self.txnid: str | None = body.get("txnid")


class AnswerNotVerified(ApiError):
    """An answer whose ``x-jws-signature`` does not verify against the sandbox's JWKS."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(
            f"the answer's x-jws-signature does not verify ({reason}): {detail}",
            status=status,
            code=reason,
            detail=detail,
            hint="Check that nothing between you and the sandbox rewrites bodies, and that the "
            "JWKS is this sandbox's (GET /.well-known/jwks.json).",
        )
