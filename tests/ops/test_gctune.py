"""``sandbox serve``'s garbage-collection tuning (``sandbox/ops/gctune.py``), checked in a fresh
interpreter each time: frozen objects are never freed, so this test process must not freeze."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROBE = """
import gc, json
from sandbox.app import app_factory
app = app_factory()
gc.collect()
exposed = app.state.sandbox.metrics.exposition().decode()
timed = 'sandbox_gc_pause_seconds_count{generation="2"}' in exposed
frozen = gc.get_freeze_count()
print(json.dumps({"thresholds": gc.get_threshold(), "frozen": frozen, "timed": timed}))
"""


def _serve_gc(tmp_path: Path, threshold: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env["SANDBOX_DATA_DIR"] = str(tmp_path)
    env["SANDBOX_LOG_LEVEL"] = "WARNING"
    if threshold is not None:
        env["SANDBOX_GC_GEN0_THRESHOLD"] = threshold
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_the_served_app_freezes_its_start_up_objects_and_collects_young_ones_less_often(
    tmp_path: Path,
) -> None:
    tuned = _serve_gc(tmp_path, None)
    assert tuned["thresholds"] == [50_000, 10, 10]
    assert tuned["timed"] is True  # full collections (start-up's, the probe's) on /metrics
    assert isinstance(tuned["frozen"], int)
    assert tuned["frozen"] > 10_000
    custom = _serve_gc(tmp_path, "20000")
    assert custom["thresholds"] == [20_000, 10, 10]


def test_zero_leaves_pythons_defaults(tmp_path: Path) -> None:
    # the pauses are timed all the same, so a run without the tuning can be compared
    assert _serve_gc(tmp_path, "0") == {"thresholds": [700, 10, 10], "frozen": 0, "timed": True}
