"""Wire models of webhook deliveries."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sandbox.kit.schema import OutputModel


class AttemptOut(OutputModel):
    attempted_at: str
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(OutputModel):
    id: str = Field(examples=["whd_0a1b2c3d4e5f6g7h8i9j"])
    event_id: str
    event_type: str = Field(examples=["sandbox.ping"])
    url: str = Field(description="Where it goes: your webhook URL when it was last queued.")
    status: str = Field(
        description="pending, succeeded, failed (after the last retry) or cancelled (never "
        "sent: the webhook URL was cleared while it was queued; `lastError` says so)."
    )
    attempts: int = Field(
        description="Attempts since it was last queued: a replay or a new webhook URL starts a "
        "fresh retry budget. `attemptLog` keeps every attempt."
    )
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str


class DeliveryDetail(DeliveryOut):
    event: dict[str, Any] = Field(description="The signed body as sent.")
    attempt_log: list[AttemptOut]


class DeliveryList(OutputModel):
    deliveries: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")


class TestSent(OutputModel):
    event_id: str
