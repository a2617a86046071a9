"""Operational routes: liveness, readiness, Prometheus metrics, problem type pages."""

from __future__ import annotations

import json

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from sandbox.deps import State
from sandbox.errors import NotFound
from sandbox.kit.responses import problems
from sandbox.ops.problems import problem_types
from sandbox.web.pages import render, wants_html

router = APIRouter(tags=["operations"])


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
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/problems/{slug}",
    summary="What a problem type means",
    response_model=dict[str, str],
    responses=problems(404, 422),
)
async def problem_type(slug: str, request: Request) -> Response | dict[str, str]:
    # JSON for API clients; a readable page for a browser (one that asks for text/html). No
    # docstring: it would become the operation's description and change the OpenAPI document.
    described = problem_types()
    if slug not in described:
        raise NotFound(f"No problem type '{slug}'.", hint="See the `type` of a problem response.")
    if wants_html(request.headers.get("accept")):
        kind = described[slug]
        example = json.dumps(kind.example(), indent=2)
        return render(request, "problem.html", problem=kind, example=example)
    return {"type": f"/problems/{slug}", "description": described[slug].cause}
