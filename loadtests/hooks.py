"""Locust event listeners every scenario gets (registered when ``loadtests.scenarios`` loads).

- With ``LOADTEST_LATENCY_FILE``, each process records its latencies at 1% precision and writes
  them to ``<LOADTEST_LATENCY_FILE>-<pid>.json`` when the test stops.
- When the test stops, each process checks the ledger of the world it loaded
  (``GET /v1/sandbox/ledger/check``) and exits with code 3 if it is not balanced (unless
  ``LOADTEST_CHECK_LEDGER=false``: the benchmark checks once, after all its phases).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from locust import events

from loadtests import latency
from loadtests.config import current
from loadtests.world import check_ledger, existing_worlds

log = logging.getLogger("loadtests")

_histograms: dict[str, latency.Histogram] = {}


def _record(name: str, response_time: float, **_: Any) -> None:
    histogram = _histograms.get(name)
    if histogram is None:
        histogram = _histograms[name] = latency.Histogram()
    histogram.add(response_time)


def _on_init(environment: Any, **_: Any) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the setup's requests are not news
    if current().latency_file is not None:
        environment.events.request.add_listener(_record)


def _on_test_stop(environment: Any, **_: Any) -> None:
    config = current()
    if config.latency_file is not None and _histograms:
        latency.write(Path(f"{config.latency_file}-{os.getpid()}.json"), _histograms)
    if not config.check_ledger:
        return
    for world in existing_worlds():
        try:
            result = check_ledger(world)
        except Exception as exc:  # report, never crash the shutdown
            log.error("ledger check on %s failed: %s", world.host, exc)
            continue
        if result.get("balanced") is True:
            log.info("ledger of the load world on %s is balanced", world.host)
        else:
            log.error("ledger of the load world on %s is NOT balanced: %s", world.host, result)
            environment.process_exit_code = 3


events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_on_test_stop)  # type: ignore[no-untyped-call]
