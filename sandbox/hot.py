"""Lean doubles of the hot routes (the payment, the auth): one request path for every domain.

A documented route with a JSON body costs FastAPI's machinery on every request: it reads the
body, ``json.loads`` it, solves each parameter (the world, the state, the Idempotency-Key
header, the body) with its own bookkeeping and validates the body's dict with pydantic. A
double does the same work in one step: it reads the body bytes, validates them with
``Model.model_validate_json`` (pydantic-core parses and validates in one pass), reads the
header, then authenticates as ``sandbox.deps.get_served`` does and calls its handler.

Exactly the documented route's answers, errors included, by construction: the double answers
only a request the documented route would accept as far as its parameters go (a JSON body that
validates, sent as ``application/json``, and a valid header); any other request, before the
double has authenticated or touched anything, is handed to the documented route itself (the
app's router again, the doubles stepped over), which gives the 401, 422 or 400 it gives today,
in its own order. pydantic-core's JSON parser accepts no document ``json.loads`` refuses (a lone
surrogate, a BOM, a 5000-digit number, deep nesting: all refused, so all handed over).

``sandbox.app`` puts the doubles first and checks that each doubles a documented route of the
same method and path; they stay out of the OpenAPI document (FastAPI documents ``APIRoute``
only). ``tests/test_hot.py`` sends a corpus of bad requests to both and compares the answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from sandbox.deps import Served, get_served

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[M, Served, str | None], Awaitable[Response]]

IDEMPOTENCY_KEY_MAX_LENGTH = 255
"""The ``Idempotency-Key`` header's rule on every route that reads it (``max_length``)."""

_HANDED_OVER = "sandbox.hot.handed_over"
"""Scope key set when a double hands its request to the documented route."""


@dataclass(frozen=True, slots=True)
class HotRoute(Generic[M]):
    """One double: the documented route's method and full path, its body model, its handler
    (``handler(body, served, idempotency_key) -> Response``)."""

    method: str
    path: str
    model: type[M]
    handler: Handler[M]


@dataclass(slots=True)
class HotRouter:
    """A domain's doubles (``Domain.hot``), declared like an ``APIRouter``'s routes."""

    prefix: str = ""
    routes: list[HotRoute[Any]] = field(default_factory=list)

    def post(self, path: str, model: type[M]) -> Callable[[Handler[M]], Handler[M]]:
        def register(handler: Handler[M]) -> Handler[M]:
            self.routes.append(HotRoute("POST", self.prefix + path, model, handler))
            return handler

        return register


class LeanRoute(Route):
    """The Starlette route of one double: a plain ``request -> Response`` endpoint (exceptions
    go to the app's handlers as from any route), matched unless its request was handed over."""

    def __init__(self, hot: HotRoute[Any]) -> None:
        self.hot = hot
        super().__init__(hot.path, self._serve, methods=[hot.method], include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE:
            if _HANDED_OVER in scope:
                return Match.NONE, {}
            child["route"] = self  # as FastAPI's routes do: the metrics and access log read it
        return match, child

    async def _serve(self, request: Request) -> Response:
        body = await _read_body(request)
        headers = request.headers
        key = headers.get("idempotency-key")
        if (
            body
            and headers.get("content-type") == "application/json"
            and (key is None or 0 < len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH)
        ):
            try:
                value = self.hot.model.model_validate_json(body)
            except ValidationError:
                pass
            else:
                return await self.hot.handler(value, await get_served(request), key)
        return _HandOver(body)


async def _read_body(request: Request) -> bytes:
    """``request.body()`` without its async generator and ``aclosing`` (a few microseconds of
    every payment): the request's messages read straight, then kept as ``body()`` keeps them,
    so a later ``await request.body()`` answers the same bytes."""
    chunks: list[bytes] = []
    while True:
        message = await request.receive()
        if message["type"] != "http.request":  # http.disconnect: as Request.stream raises
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    request._body = body  # Request.body()'s own cache: it never reads the messages again
    return body


class _HandOver(Response):
    """Runs the app's router again on the request, its body replayed, with the doubles stepped
    over: the documented route answers as it does without them."""

    def __init__(self, body: bytes) -> None:  # no super().__init__: nothing of its own to send
        self.body = body
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return dict(await receive())
            replayed = True
            return {"type": "http.request", "body": self.body, "more_body": False}

        scope[_HANDED_OVER] = True
        await scope["app"].router.app(scope, replay, send)
