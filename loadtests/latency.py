"""Latency histograms at 1% precision (locust's own statistics round to whole milliseconds).

A ``Histogram`` counts response times in logarithmic buckets 1% wide, so a percentile is known to
within 1% whatever its size, in constant memory. Each locust process that records one writes it
as JSON; ``merge`` adds the files of several processes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_STEPS_PER_E = 100  # bucket k holds times in [e^(k/100), e^((k+1)/100)) microseconds

COARSE_EDGES_MS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)
"""Upper edges of the report's buckets (a last one, above 2 s, takes the rest)."""


@dataclass
class Histogram:
    """Counts of response times (milliseconds), in 1% buckets."""

    buckets: dict[int, int] = field(default_factory=dict)
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0

    def add(self, ms: float) -> None:
        key = int(math.log(max(ms, 0.001) * 1000.0) * _STEPS_PER_E)
        self.buckets[key] = self.buckets.get(key, 0) + 1
        self.count += 1
        self.total_ms += ms
        if ms > self.max_ms:
            self.max_ms = ms

    def merge(self, other: Histogram) -> None:
        for key, n in other.buckets.items():
            self.buckets[key] = self.buckets.get(key, 0) + n
        self.count += other.count
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)

    def percentile(self, fraction: float) -> float | None:
        """The response time (ms) below which ``fraction`` of the requests fell."""
        if self.count == 0:
            return None
        rank = fraction * self.count
        seen = 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            if seen >= rank:
                return min(math.exp((key + 0.5) / _STEPS_PER_E) / 1000.0, self.max_ms)
        return self.max_ms

    @property
    def mean_ms(self) -> float | None:
        return self.total_ms / self.count if self.count else None

    def summary(self) -> dict[str, float | int | None]:
        return {
            "count": self.count,
            "avg": self.mean_ms,
            "p50": self.percentile(0.50),
            "p95": self.percentile(0.95),
            "p99": self.percentile(0.99),
            "p999": self.percentile(0.999),
            "max": self.max_ms if self.count else None,
        }

    def coarse(self, edges_ms: tuple[float, ...] = COARSE_EDGES_MS) -> list[dict[str, Any]]:
        """Counts per report bucket: ``{"upToMs": edge, "count": n}``, the last bucket's edge
        ``None`` (everything slower than the last edge). A fine bucket counts in the first
        coarse bucket whose edge is above its lower bound (so a time within 1% above an edge may
        count below it)."""
        counts = [0] * (len(edges_ms) + 1)
        for key, n in self.buckets.items():
            lower = math.exp(key / _STEPS_PER_E) / 1000.0
            index = next((i for i, edge in enumerate(edges_ms) if lower < edge), len(edges_ms))
            counts[index] += n
        return [
            {"upToMs": edge, "count": n} for edge, n in zip((*edges_ms, None), counts, strict=True)
        ]

    def points(self, steps_per_e: int = 10) -> list[tuple[float, int]]:
        """(lower edge ms, count) in buckets ``1/steps_per_e`` wide (about 10%), for a plot."""
        width = _STEPS_PER_E // steps_per_e
        merged: dict[int, int] = {}
        for key, n in self.buckets.items():
            merged[key // width] = merged.get(key // width, 0) + n
        return [(math.exp(k * width / _STEPS_PER_E) / 1000.0, merged[k]) for k in sorted(merged)]

    def to_json(self) -> dict[str, Any]:
        return {
            "buckets": {str(k): v for k, v in self.buckets.items()},
            "count": self.count,
            "totalMs": self.total_ms,
            "maxMs": self.max_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Histogram:
        return cls(
            buckets={int(k): int(v) for k, v in data["buckets"].items()},
            count=int(data["count"]),
            total_ms=float(data["totalMs"]),
            max_ms=float(data["maxMs"]),
        )


def write(path: Path, by_name: dict[str, Histogram]) -> None:
    """Save the histograms of one process (one per request name)."""
    path.write_text(json.dumps({name: h.to_json() for name, h in by_name.items()}))


def merge(paths: Iterable[Path]) -> dict[str, Histogram]:
    """The histograms of several processes, added up per request name."""
    merged: dict[str, Histogram] = {}
    for path in paths:
        for name, data in json.loads(path.read_text()).items():
            merged.setdefault(name, Histogram()).merge(Histogram.from_json(data))
    return merged


def aggregate(by_name: dict[str, Histogram]) -> Histogram:
    """All request names together."""
    total = Histogram()
    for histogram in by_name.values():
        total.merge(histogram)
    return total
