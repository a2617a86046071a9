"""How late the event loop runs a timer: a cheap watch for stalls under a real load (uvloop's
callbacks cannot be timed one by one; ``loadtests/stalls.py`` does that on asyncio's own loop).

With ``SANDBOX_LOOP_LAG_SECONDS`` above 0 (off by default), a periodic job asks to be woken every
that many seconds and records how much later than asked it ran into the
``sandbox_event_loop_lag_seconds`` histogram on ``/metrics``: whatever held the loop (a long
callback, a GC pause, the GIL held by another thread, the process waiting for a CPU) shows there.
At 0.1 s it costs ten wake-ups a second.
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Histogram

from sandbox.ops.periodic import Periodic

LAG_METRIC = "sandbox_event_loop_lag_seconds"
LAG_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def monitor(registry: CollectorRegistry, interval: float) -> Periodic:
    """A job (start and stop it as the app's other periodic jobs) sampling the loop's lag."""
    lag = Histogram(
        LAG_METRIC,
        "How much later than due the event loop woke a timer",
        buckets=LAG_BUCKETS,
        registry=registry,
    )
    due: float | None = None

    async def sample() -> int:
        nonlocal due
        now = asyncio.get_running_loop().time()
        if due is not None:
            lag.observe(max(0.0, now - due))
        due = now + interval
        return 0

    return Periodic("event-loop-lag", interval, sample)
