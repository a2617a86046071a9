"""Operational routes: liveness, readiness, Prometheus metrics, problem type pages."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sandbox.deps import State
from sandbox.errors import NotFound, SandboxError
from sandbox.kit.responses import problems

router = APIRouter(tags=["operations"])

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


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the database answers", responses={503: {}})
async def readyz(state: State) -> JSONResponse:
    try:
        await state.db.read(lambda conn: conn.execute(sa.text("SELECT 1")).scalar_one())
    except Exception as exc:  # any failure means not ready; the reason is reported
        return JSONResponse(
            {"status": "unavailable", "database": type(exc).__name__}, status_code=503
        )
    return JSONResponse(
        {"status": "ok", "database": "sqlite" if state.db.is_sqlite else "postgresql"}
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(state: State) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/problems/{slug}", summary="What a problem type means", responses=problems(404, 422))
async def problem_type(slug: str) -> dict[str, str]:
    described = problem_types()
    if slug not in described:
        raise NotFound(f"No problem type '{slug}'.", hint="See the `type` of a problem response.")
    return {"type": f"/problems/{slug}", "description": described[slug]}


def problem_types() -> dict[str, str]:
    """Every problem type: the HTTP-level ones above, and every ``SandboxError`` subclass of
    every loaded domain (its docstring's first line, or its title), so a new error class is
    documented the moment it exists."""
    out = dict(PROBLEM_TYPES)
    stack: list[type[SandboxError]] = [SandboxError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        doc = (cls.__doc__ or "").strip().splitlines()
        out.setdefault(cls.slug, doc[0] if doc else cls.title)
    return out
