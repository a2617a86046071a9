"""Operations: health, readiness, metrics, request ids, and problems for HTTP errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.http import PROBLEM, SignedUp

pytestmark = pytest.mark.anyio


async def test_health_and_readiness(client: httpx.AsyncClient, engine_name: str) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == engine_name


async def test_metrics_count_requests_by_route(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await client.get("/v1/partners/me", headers=partner.headers)
    text = (await client.get("/metrics")).text
    assert 'sandbox_http_requests_total{method="GET",route="/v1/partners/me",status="200"}' in text
    assert "sandbox_http_request_seconds_bucket" in text


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-Id": "client-chosen-id-123"})
    assert given.headers["x-request-id"] == "client-chosen-id-123"
    made = await client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert len(made.headers["x-request-id"]) == 32


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["detail"] == "No route matches GET /v1/nowhere."
    assert body["requestId"] == response.headers["x-request-id"]


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/partners")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "allow" in response.headers


async def test_large_body_is_a_413_problem(client: httpx.AsyncClient) -> None:
    big = {"name": "x" * 2_000_000, "contactEmail": "a@example.com"}
    response = await client.post("/v1/partners", json=big)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "larger than" in response.json()["detail"]


async def test_streamed_large_body_is_a_413_problem(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 65_536

    response = await client.post(
        "/v1/partners", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_malformed_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/partners", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"][0]["rule"] == "json_invalid"


async def test_problem_types_are_documented(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/sandbox/personas")
    page = await client.get(missing.json()["type"])
    assert page.status_code == 200
    assert page.json()["description"]


async def test_docs_and_openapi_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    assert "/v1/partners" in spec["paths"]
    assert "apiKey" in spec["components"]["securitySchemes"]


async def test_every_error_class_has_a_problem_page(client: httpx.AsyncClient) -> None:
    from sandbox.errors import SandboxError

    stack: list[type[SandboxError]] = [SandboxError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        page = await client.get(f"/problems/{cls.slug}")
        assert page.status_code == 200, cls
        assert page.json()["description"]
