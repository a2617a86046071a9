"""OpenAPI ``responses=`` entries for the problem+json errors routes can return."""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "hint": {"type": "string"},
        "instance": {"type": "string"},
        "requestId": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}

_TEXT = {
    400: "Bad request",
    401: "Missing, malformed or unknown API key",
    403: "Not allowed",
    404: "No such resource in your world",
    409: "Conflicts with the resource's state",
    413: "Body too large",
    422: "A field broke a rule (each named in `errors`)",
    429: "Rate limited; see Retry-After",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=problems(401, 404)`` documents those problem+json answers."""
    return {
        s: {
            "description": _TEXT.get(s, "Error"),
            "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
        }
        for s in statuses
    }


AUTHED = (401, 422, 429)
