"""RFC 9457 problem+json for every error a client can see, with a ``hint`` on how to fix it.

No stack trace ever reaches a client: unexpected exceptions become a 500 problem that names the
request id, and the trace goes to the log under that id.

``problem_types()`` is the registry behind ``GET /problems/{slug}``: every type a client can
receive, with its cause and its fix.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.errors import SandboxError
from sandbox.kit.responses import PROBLEM_SCHEMA
from sandbox.kit.wire import explain

log = logging.getLogger("sandbox.errors")
PROBLEM_BASE = "/problems/"  # a relative URI reference (RFC 9457 §3.1.1), served by the app
MEDIA_TYPE = "application/problem+json"

_HTTP_DEFAULTS: dict[int, tuple[str, str, str]] = {
    # status: (slug, title, hint)
    401: ("unauthorized", "Unauthorized", "Send `Authorization: Bearer <apiKey>`."),
    404: (
        "not-found",
        "Not found",
        "Check the path against /docs; ids of other partners are never visible.",
    ),
    405: (
        "method-not-allowed",
        "Method not allowed",
        "Use one of the methods in the Allow header (see /docs).",
    ),
    406: ("not-acceptable", "Not acceptable", "Accept application/json."),
    413: ("payload-too-large", "Payload too large", "Send a smaller body."),
    415: ("unsupported-media-type", "Unsupported media type", "Send application/json."),
}


PROBLEM_TYPES = {
    "bad-request": "The request cannot be processed as sent; `detail` says why.",
    "unauthorized": "No API key, a malformed Authorization header, or an unknown key.",
    "invalid-api-key": "The API key is missing, malformed, unknown or rotated out.",
    "forbidden": "The caller may not do this.",
    "signup-closed": "Self-signup is closed; the organiser's admin token is needed.",
    "not-found": "No such route, or no such object in the caller's world.",
    "delivery-not-found": "No webhook delivery with this id in the caller's world.",
    "method-not-allowed": "The route exists but not with this method.",
    "conflict": "The request conflicts with the current state of the resource.",
    "no-webhook-url": "The partner has no webhook URL configured.",
    "payload-too-large": "The body exceeds SANDBOX_MAX_BODY_BYTES.",
    "invalid-request": "One or more fields broke a rule; `errors` names each field and rule.",
    "unknown-country": "No country profile with this code.",
    "rate-limited": "Too many requests; wait for Retry-After seconds.",
    "internal-error": "The sandbox failed; report the requestId to the operator.",
}

# How to fix each platform type, for its page. A domain error class documents itself: its
# docstring's first line is the cause, and a ``fix`` class attribute (if any) the fix; without
# one, the page points at the answer's own ``hint``, which every raise site writes.
_FIXES = {
    "bad-request": "Read `detail`, change the request accordingly and send it again.",
    "unauthorized": "Send `Authorization: Bearer <apiKey>`; POST /v1/partners gives you a key.",
    "invalid-api-key": "Use the newest key from POST /v1/partners or POST /v1/partners/me/keys.",
    "forbidden": "This needs rights your key does not have; `hint` names what is needed.",
    "signup-closed": "Ask the organiser for a key, or send `Authorization: Bearer "
    "<SANDBOX_ADMIN_TOKEN>` to POST /v1/partners.",
    "not-found": "Check the path against /docs; ids of other partners are never visible.",
    "delivery-not-found": "List yours with GET /v1/sandbox/webhooks/deliveries.",
    "method-not-allowed": "Use one of the methods in the Allow header (see /docs).",
    "not-acceptable": "Accept application/json.",
    "conflict": "Read the resource's current state (GET) and send a request that fits it.",
    "no-webhook-url": 'Set one with PATCH /v1/partners/me {"webhookUrl": "https://..."}.',
    "payload-too-large": "Send a smaller body; the limit is SANDBOX_MAX_BODY_BYTES.",
    "unsupported-media-type": "Send application/json.",
    "invalid-request": "Fix each field listed in `errors`; /docs shows a working example of "
    "this request.",
    "unknown-country": "Use a country code from the README's country table (IN by default).",
    "rate-limited": "Wait for the Retry-After seconds, then send the request again.",
    "internal-error": "Report the requestId to the sandbox operator. Read the state back (GET) "
    "before retrying, or retry with the same Idempotency-Key.",
}
_FIX_FROM_HINT = "The answer's `hint` says what to change in this request."


@dataclass(frozen=True)
class ProblemType:
    """What a ``type`` URI explains: the cause, the fix, and the shape of the answer."""

    slug: str
    title: str
    status: int
    cause: str
    fix: str

    def example(self) -> dict[str, Any]:
        """A problem body of this type as a client receives it (values illustrative)."""
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.cause,
            "hint": self.fix,
            "instance": "/v1/...",
            "requestId": "5f0c2a9e4b7d41c8a1e3f6b2d9c07a15",
        }
        if self.status == 422:
            body["errors"] = [{"field": "body.amount", "rule": "...", "message": "..."}]
        return body


def problem_types() -> dict[str, ProblemType]:
    """Every problem type: the HTTP-level ones, and every ``SandboxError`` subclass of every
    loaded domain (its docstring's first line, or its title), so a new error class is
    documented the moment it exists."""
    out: dict[str, ProblemType] = {}
    for status, (slug, title, hint) in _HTTP_DEFAULTS.items():
        out[slug] = ProblemType(slug, title, status, PROBLEM_TYPES.get(slug, title), hint)
    out["internal-error"] = ProblemType(
        "internal-error",
        "Internal error",
        500,
        PROBLEM_TYPES["internal-error"],
        _FIXES["internal-error"],
    )
    stack: list[type[SandboxError]] = [SandboxError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.slug in out:
            continue
        doc = (cls.__doc__ or "").strip().splitlines()
        cause = PROBLEM_TYPES.get(cls.slug) or (doc[0] if doc else cls.title)
        fix = _FIXES.get(cls.slug) or getattr(cls, "fix", None) or _FIX_FROM_HINT
        out[cls.slug] = ProblemType(cls.slug, cls.title, cls.status, cause, fix)
    return out


def problem(
    request: Request | None,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if hint:
        body["hint"] = hint
    if request is not None:
        body["instance"] = request.url.path
        body["requestId"] = request.scope.get("state", {}).get("request_id")
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where, rest = parts[0], parts[1:]
        return f"{where}.{'.'.join(rest)}" if rest else where
    return ".".join(parts)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        rule, message, _hint = explain(err)
        item: dict[str, Any] = {
            "field": _field_name(err.get("loc", ())),
            "rule": rule,
            "message": message,
        }
        ctx = err.get("ctx")
        if ctx:
            item["constraint"] = {k: str(v) for k, v in ctx.items() if k != "error"}
        out.append(item)
    return out


async def _on_sandbox_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SandboxError)
    headers = None
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    if exc.status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="sandbox"'}
    return problem(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        hint=exc.hint,
        headers=headers,
        **exc.extra,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    hints = [hint for _, _, hint in map(explain, exc.errors()) if hint]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return problem(
        request,
        status=422,
        slug="invalid-request",
        title="Invalid request",
        detail=f"{len(errors)} invalid field(s): {summary}{more}",
        hint=hints[0] if len(errors) == 1 and hints else _FIXES["invalid-request"],
        errors=errors,
    )


def _undecodable_body(request: Request, cause: BaseException) -> JSONResponse:
    """FastAPI answers a bare 400 when a JSON body cannot even be decoded (not UTF-8, nested too
    deep). That is the client error FastAPI reports as 422 ``json_invalid`` for malformed JSON,
    so it gets the same answer, which every route with a body declares."""
    return problem(
        request,
        status=422,
        slug="invalid-request",
        title="Invalid request",
        detail="1 invalid field(s): body: cannot be decoded as JSON",
        hint="Send the body as UTF-8 JSON with `Content-Type: application/json`.",
        errors=[
            {
                "field": "body",
                "rule": "json_invalid",
                "message": f"cannot be decoded as JSON ({type(cause).__name__})",
            }
        ],
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:  # raised from body decoding
        return _undecodable_body(request, exc.__cause__)
    slug, title, hint = _HTTP_DEFAULTS.get(
        exc.status_code, ("http-error", "HTTP error", "See /docs for this endpoint.")
    )
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}."
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
        given = (headers or {}).get("Allow", "")
        headers = {**(headers or {}), "Allow": allowed_methods(request, given)}
    return problem(
        request,
        status=exc.status_code,
        slug=slug,
        title=title,
        detail=detail,
        hint=hint,
        headers=headers,
    )


def allowed_methods(request: Request, fallback: str = "") -> str:
    """Every method the OpenAPI document gives this path (RFC 9110 section 15.5.6: a 405 lists
    them all in ``Allow``), HEAD beside GET. Starlette's own 405 names only the methods of the
    first route that matched the path, and FastAPI makes one route per method (PATCH
    /v1/partners/me beside GET), so it left some out. OPTIONS is served nowhere: it answers this
    405 too, whose ``Allow`` is then the answer to "what does this resource support". A path
    the document does not have (pages, /docs) keeps Starlette's ``fallback``."""
    methods: set[str] = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        path = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))  # {umn} -> one segment
        if re.fullmatch(path, request.url.path):
            methods.update(m.upper() for m in item if m.upper() in _ORDER)
    if "GET" in methods:
        methods.add("HEAD")
    if not methods:
        return fallback
    return ", ".join(sorted(methods, key=_ORDER.index))


_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = request.scope.get("state", {}).get("request_id")
    log.exception("unhandled error", extra={"request_id": request_id})
    return problem(
        request,
        status=500,
        slug="internal-error",
        title="Internal error",
        detail="The sandbox failed to handle this request.",
        hint="Report the requestId to the sandbox operator. Read the state back (GET) before "
        "retrying, or retry with the same Idempotency-Key.",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(SandboxError, _on_sandbox_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


def document_body_limit(app: FastAPI) -> None:
    """Every operation with a request body may answer 413 (``SANDBOX_MAX_BODY_BYTES``, enforced
    by the request middleware before any route): say so in the OpenAPI, once it is built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = build()
        for item in doc.get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    operation.setdefault("responses", {}).setdefault("413", _BODY_TOO_LARGE)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


_BODY_TOO_LARGE: dict[str, Any] = {
    "description": "The body is larger than the sandbox accepts (SANDBOX_MAX_BODY_BYTES)",
    "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
}
