"""The server's garbage-collection pauses during a phase, from ``sandbox_gc_pause_seconds`` on
``/metrics`` (``sandbox/ops/gctune.py``), read before and after the phase."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

METRIC = "sandbox_gc_pause_seconds"
SLOW_MS = (1.0, 10.0)
"""Pauses longer than these (ms) are counted apart: they are what a p99 sees."""

Reading = dict[str, dict[str, float]]


def read(host: str, *, timeout: float = 10.0) -> Reading:
    """Per generation: ``count``, ``seconds`` and ``over<ms>`` (pauses above each of
    ``SLOW_MS``), summed over the server's processes so far; empty if not exposed."""
    try:
        text = httpx.get(f"{host}/metrics", timeout=timeout).text
    except httpx.HTTPError:
        return {}
    return parse(text)


def parse(text: str) -> Reading:
    """``read`` from a scrape's text."""
    out: Reading = {}
    for family in text_string_to_metric_families(text):
        if family.name != METRIC:
            continue
        for sample in family.samples:
            gen = out.setdefault(sample.labels["generation"], {})
            if sample.name.endswith("_count"):
                gen["count"] = gen.get("count", 0.0) + sample.value
            elif sample.name.endswith("_sum"):
                gen["seconds"] = gen.get("seconds", 0.0) + sample.value
            elif sample.name.endswith("_bucket"):
                for ms in SLOW_MS:
                    if abs(float(sample.labels["le"]) * 1000.0 - ms) < 1e-9:
                        gen[f"upTo{ms:g}ms"] = gen.get(f"upTo{ms:g}ms", 0.0) + sample.value
    return out


def pauses(before: Reading, after: Reading) -> dict[str, Any]:
    """What happened between two readings: per generation the collections, their total ms and
    how many took longer than each of ``SLOW_MS``."""
    result: dict[str, Any] = {}
    for gen, now in sorted(after.items()):
        then = before.get(gen, {})
        count = now.get("count", 0.0) - then.get("count", 0.0)
        entry: dict[str, Any] = {
            "collections": int(count),
            "totalMs": round((now.get("seconds", 0.0) - then.get("seconds", 0.0)) * 1000.0, 2),
        }
        for ms in SLOW_MS:
            key = f"upTo{ms:g}ms"
            within = now.get(key, 0.0) - then.get(key, 0.0)
            entry[f"over{ms:g}ms"] = int(count - within)
        result[gen] = entry
    return result
