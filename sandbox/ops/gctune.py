"""Garbage collection for a serving process: fewer, shorter pauses of the event loop.

CPython's cyclic collector runs when allocations minus deallocations pass a threshold (700 for
the young generation), and each run stops the loop for as long as it takes. After start-up a
server holds hundreds of thousands of long-lived objects (modules, routes, pydantic schemas,
the world caches) that every full collection walks again, though none of them will ever be
garbage. So, once the app is built:

1. ``gc.collect()`` then ``gc.freeze()``: the objects alive now move to a permanent generation
   that no collection walks (the approach Instagram described for their Django servers, and
   the reason ``gc.freeze`` exists, Python 3.7);
2. the young generation's threshold goes from 700 to ``SANDBOX_GC_GEN0_THRESHOLD`` (50,000):
   a request allocates a few hundred objects, nearly all freed by reference counting; with
   700 a collection ran every few requests, now every few hundred, each one short (it walks
   only the young objects), and the older generations' collections follow less often too.

Only ``sandbox serve`` does this (``app_factory``); tests that build many apps in one process do
not, since frozen objects are never freed. ``0`` leaves Python's defaults.

Whether tuned or not, a serving process times every collection (``gc.callbacks``) into the
``sandbox_gc_pause_seconds`` histogram by generation on ``/metrics``: ``sandbox bench`` reads it
before and after each phase and reports the pauses of each.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

PAUSE_METRIC = "sandbox_gc_pause_seconds"
PAUSE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)

log = logging.getLogger("sandbox.gc")


def tune(gen0_threshold: int) -> None:
    """Freeze what start-up made and raise the young generation's threshold (``0``: no-op)."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
    log.info(
        "garbage collection tuned",
        extra={"frozen_objects": gc.get_freeze_count(), "thresholds": gc.get_threshold()},
    )


def observe_pauses(registry: CollectorRegistry) -> None:
    """Time each cyclic collection of this process into ``sandbox_gc_pause_seconds``."""
    pauses = Histogram(
        PAUSE_METRIC,
        "Pauses of this process's cyclic garbage collector, by generation",
        ["generation"],
        buckets=PAUSE_BUCKETS,
        registry=registry,
    )
    by_generation = [pauses.labels(str(g)) for g in range(3)]
    started = 0.0

    def timed(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        else:
            by_generation[info["generation"]].observe(time.perf_counter() - started)

    gc.callbacks.append(timed)
