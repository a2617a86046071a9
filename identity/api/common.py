"""Pieces every identity route module shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from sandbox.hot import IDEMPOTENCY_KEY_MAX_LENGTH

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="Makes retries safe: the same key and body replays the first answer "
        "(without it, a repeated auth is a replay, 563, and a repeated OTP request 952).",
    ),
]
