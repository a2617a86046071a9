"""RFC 9457 problem+json for every error a client can see, with a ``hint`` on how to fix it.

No stack trace ever reaches a client: unexpected exceptions become a 500 problem that names the
request id, and the trace goes to the log under that id.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sandbox.errors import SandboxError

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
        item = {
            "field": _field_name(err.get("loc", ())),
            "rule": err.get("type", "invalid"),
            "message": err.get("msg", "invalid value"),
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
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return problem(
        request,
        status=422,
        slug="invalid-request",
        title="Invalid request",
        detail=f"{len(errors)} invalid field(s): {summary}{more}",
        hint="Fix each field listed in `errors`; /docs shows a working example of this request.",
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
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem(
        request,
        status=exc.status_code,
        slug=slug,
        title=title,
        detail=detail,
        hint=hint,
        headers=dict(exc.headers) if exc.headers else None,
    )


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
