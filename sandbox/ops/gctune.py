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
"""

from __future__ import annotations

import gc
import logging

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
