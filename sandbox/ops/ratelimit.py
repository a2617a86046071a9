"""Token buckets per key, in process memory.

A bucket holds ``burst`` tokens and refills at ``rate`` per second; a request takes one. This is
O(1) per request with no I/O, which matters on the payment path. With several API worker
processes each keeps its own buckets, so the effective limit is ``workers x rate``; the
operator's guide says so.
"""

from __future__ import annotations

import math
import time


class RateLimiter:
    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """Take a token for ``key``: 0.0 if allowed, else seconds until one is available."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._buckets.clear()  # bounded memory; a reset only ever forgives
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> int:
        """The Retry-After header value (whole seconds, at least 1)."""
        return max(1, math.ceil(wait))
