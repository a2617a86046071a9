"""Routes of webhook deliveries: list, inspect, replay, send a test event."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from sandbox.deps import CurrentCaller, CurrentWorld, State
from sandbox.kit.clock import iso
from sandbox.kit.responses import AUTHED, problems
from sandbox.kit.wire import cursor_schema
from sandbox.webhooks import service
from sandbox.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryList,
    DeliveryOut,
    TestSent,
)

router = APIRouter(prefix="/v1/sandbox/webhooks", tags=["webhooks"])


@router.get("/deliveries", response_model=DeliveryList, responses=problems(*AUTHED))
async def list_deliveries(
    caller: CurrentCaller,
    state: State,
    limit: int = Query(20, ge=1, le=100, description="Page size."),
    cursor: str | None = Query(None, **cursor_schema(service.CURSOR_ID)),
    status: Literal["pending", "succeeded", "failed", "cancelled"] | None = Query(None),
) -> DeliveryList:
    """Your webhook deliveries, newest first."""
    page = await service.list_deliveries(
        state.db, caller.partner, limit=limit, cursor=cursor, status=status
    )
    return DeliveryList(deliveries=[_delivery(r) for r in page.rows], next_cursor=page.next_cursor)


@router.get(
    "/deliveries/{delivery_id}", response_model=DeliveryDetail, responses=problems(*AUTHED, 404)
)
async def get_delivery(delivery_id: str, caller: CurrentCaller, state: State) -> DeliveryDetail:
    """One delivery with the event as sent and every attempt."""
    row, attempts = await service.get_delivery(state.db, caller.partner, delivery_id)
    return _detail(row, attempts)


@router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=DeliveryDetail,
    status_code=202,
    responses=problems(*AUTHED, 404, 409),
)
async def replay_delivery(delivery_id: str, world: CurrentWorld, state: State) -> DeliveryDetail:
    """Send a delivery again now, to your current webhook URL, with a fresh retry budget
    (`attempts` counts from 0 again; its earlier attempts stay in `attemptLog`)."""
    row, attempts = await service.replay(state.db, world, delivery_id)
    if state.dispatcher is not None:
        state.dispatcher.wake()
    return _detail(row, attempts)


@router.post("/test", response_model=TestSent, status_code=202, responses=problems(*AUTHED, 409))
async def send_test_event(world: CurrentWorld, state: State) -> TestSent:
    """Queue a `sandbox.ping` event to your webhook URL."""
    event_id = await service.send_test(state.db, world)
    if state.dispatcher is not None:
        state.dispatcher.wake()
    return TestSent(event_id=event_id)


def _delivery(r: Any) -> DeliveryOut:
    return DeliveryOut(
        id=r.id,
        event_id=r.event_id,
        event_type=r.event_type,
        url=r.url,
        status=r.status,
        attempts=r.attempts,
        next_attempt_at=iso(r.next_attempt_us) if r.status == "pending" else None,
        last_status_code=r.last_status_code,
        last_error=r.last_error,
        created_at=iso(r.created_us),
    )


def _detail(r: Any, attempts: list[Any]) -> DeliveryDetail:
    base = _delivery(r).model_dump()
    return DeliveryDetail(
        **base,
        event=r.payload,
        attempt_log=[
            AttemptOut(
                attempted_at=iso(a.attempted_us),
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in attempts
        ],
    )
