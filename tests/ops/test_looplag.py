"""The event loop's lag on /metrics (``SANDBOX_LOOP_LAG_SECONDS``): a loop held by a blocking
call shows as a late timer; the monitor is off by default."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from sandbox.app import create_app
from sandbox.ops.looplag import LAG_METRIC

pytestmark = pytest.mark.anyio


async def test_a_held_loop_shows_as_lag(make_settings: Any) -> None:
    app = create_app(make_settings(loop_lag_seconds=0.01, dispatch_webhooks=False))
    registry = app.state.sandbox.metrics.registry
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.1)  # some samples of an idle loop
        time.sleep(0.08)  # noqa: ASYNC251 - the stall under test
        await asyncio.sleep(0.05)
    count = registry.get_sample_value(f"{LAG_METRIC}_count")
    under_50ms = registry.get_sample_value(f"{LAG_METRIC}_bucket", {"le": "0.05"})
    assert count is not None
    assert count >= 3
    assert under_50ms is not None
    assert count - under_50ms >= 1


async def test_off_by_default(make_settings: Any) -> None:
    app = create_app(make_settings(dispatch_webhooks=False))
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0.05)
    assert app.state.sandbox.metrics.registry.get_sample_value(f"{LAG_METRIC}_count") is None
