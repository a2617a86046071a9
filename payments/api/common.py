"""Pieces every payments route module shares."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic_core import to_json

from sandbox.hot import IDEMPOTENCY_KEY_MAX_LENGTH

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="Makes retries safe: the same key and body replays the first answer.",
    ),
]


class JSONBytes(JSONResponse):
    """``JSONResponse`` rendered by pydantic-core (Rust) instead of ``json.dumps``: the same
    bytes for what a wire dict holds (str, int, bool, None, lists and dicts of them; compact,
    UTF-8), at a fraction of the cost, for the hot routes' answers, built by the services in
    their wire form. ``tests/test_app.py`` checks the bytes against JSONResponse's."""

    def render(self, content: Any) -> bytes:
        return to_json(content)
