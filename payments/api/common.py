"""Pieces every payments route module shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from payments.service.context import World
from sandbox.deps import CurrentCaller, State

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Makes retries safe: the same key and body replays the first answer.",
    ),
]


def world_of(caller: CurrentCaller, state: State) -> World:
    """The caller's world as the payment services see it (country, clock, keys)."""
    return World.of(caller.partner, state.settings.secret_key)
