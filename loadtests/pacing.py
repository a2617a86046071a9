"""The paced load's schedule: when each paced user sends, apart from locust (testable alone).

Each user sends on a schedule of its own drawn as a Poisson process (exponential gaps of mean
``1 / rate``), fixed in advance and independent of the answers: a user whose answer came late
sends at once if its next time has passed, and its later times do not move. Locust's
``constant_throughput`` instead waits what is left of one period after each answer, so every
user delayed by one slow moment answers and sends again in the same instant; over a phase the
50 users of ``sandbox bench`` fell into step and arrived in bursts of up to 50, which gave the
no-op itself a p99 of 22 ms at 1,000 requests/s (2.9 ms with this schedule: the decisions doc,
"The paced load's schedule"). Many independent clients make a Poisson stream, not a drum beat.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable


class PoissonSchedule:
    """One user's send times at ``rate`` per second on average, from its first ``wait()``."""

    def __init__(
        self,
        rate: float,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self._rng = rng or random.Random()
        self._clock = clock
        self._due: float | None = None

    def wait(self) -> float:
        """Seconds until this user's next send (0 when it is already due), and the one after
        it drawn."""
        now = self._clock()
        if self._due is None:  # a random phase: users spawned together do not start in step
            self._due = now + self._rng.expovariate(self.rate)
        due = self._due
        self._due = due + self._rng.expovariate(self.rate)
        return max(0.0, due - now)
