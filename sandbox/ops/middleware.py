"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a task and a copy per request).

``RequestContext`` gives every request an id (``X-Request-Id``, the client's if it sent a sane
one), counts and times it for Prometheus, refuses bodies over the limit with 413 before the app
reads them, and writes an access log line when asked to.
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.kit.ids import random_bytes

log = logging.getLogger("sandbox.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")


class Metrics:
    """The app's Prometheus collectors, in a registry of its own (one per app).

    With ``multiprocess_dir`` (prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR``
    set before the worker imported prometheus_client) every worker writes its samples to files
    there, and ``exposition()`` sums the files of all workers, so a scrape that lands on any
    worker sees the whole server. Without it, ``exposition()`` reads this process's registry.
    """

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sandbox_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sandbox_http_request_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The text a Prometheus scrape gets."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()  # a fresh one per scrape, as prometheus-client advises
        multiprocess.MultiProcessCollector(registry, path=str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def _nul_field(scope: Scope) -> str | None:
    """The URL part holding a NUL character, if any: PostgreSQL text cannot hold one, so it is
    refused here (a byte test per request) instead of failing deep in a query."""
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in value or "\x00" in key:
                return f"query.{key.replace(chr(0), '')}"
        return "query"
    if "\x00" in scope["path"]:
        return "path"
    return None


class RequestContext:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body: int, access_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _REQUEST_ID.match(candidate):
                    request_id = candidate
                break
        if not request_id:
            request_id = random_bytes(16).hex()  # no system call per request (random_bytes)
        scope.setdefault("state", {})["request_id"] = request_id
        rid_header = (b"x-request-id", request_id.encode())
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        try:
            if self._declared_too_large(scope):
                await self._send_problem(
                    send_wrapper,
                    413,
                    slug="payload-too-large",
                    title="Payload too large",
                    detail=f"The request body is larger than {self.max_body} bytes.",
                    hint="Send a smaller body; the limit is SANDBOX_MAX_BODY_BYTES.",
                    request_id=request_id,
                )
                return
            nul_field = _nul_field(scope)
            if nul_field is not None:
                await self._send_problem(
                    send_wrapper,
                    422,
                    slug="invalid-request",
                    title="Invalid request",
                    detail=f"{nul_field}: must not contain NUL (\\u0000) characters",
                    hint="Remove the %00 from the URL.",
                    request_id=request_id,
                    errors=[
                        {
                            "field": nul_field,
                            "rule": "string_nul",
                            "message": "must not contain NUL (\\u0000) characters",
                        }
                    ],
                )
                return
            await self.app(scope, self._limited(receive, request_id), send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(path, scope["method"], str(status)).inc()
            self.metrics.latency.labels(path).observe(elapsed)
            if self.access_log:
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "route": path,
                        "status": status,
                        "ms": round(elapsed * 1000, 3),
                    },
                )

    def _declared_too_large(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    return int(value) > self.max_body
                except ValueError:
                    return False
        return False

    def _limited(self, receive: Receive, request_id: str) -> Receive:
        seen = 0
        limit = self.max_body

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # rendered as a 413 problem by the app's handlers
                    raise HTTPException(413, f"The request body is larger than {limit} bytes.")
            return message

        return wrapped

    async def _send_problem(
        self,
        send: Send,
        status: int,
        *,
        slug: str,
        title: str,
        detail: str,
        hint: str,
        request_id: str,
        **extra: Any,
    ) -> None:
        """A problem+json answer sent before the app runs (same shape as the app's)."""
        body = json.dumps(
            {
                "type": f"/problems/{slug}",
                "title": title,
                "status": status,
                "detail": detail,
                "hint": hint,
                "requestId": request_id,
                **extra,
            }
        ).encode()
        headers: list[Any] = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
