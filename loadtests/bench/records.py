"""What one benchmark phase measured, typed; ``to_json`` is its entry in ``summary.json``.

The JSON keys are the report's public shape (``docs/load-testing.md``, ``tests/loadtests``), so
``to_json`` spells each one out. Ratios derived from the measurements (CPU per request, cores,
seconds under load) are properties, so a record cannot disagree with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadtests.bench.probe import ProbeResult
from loadtests.latency import Histogram


@dataclass(frozen=True, slots=True)
class PhaseRecord:
    title: str
    user_class: str
    users: int
    spawn_rate: float
    duration_seconds: int
    locust_processes: int
    requests: int
    failures: int
    failures_by_error: dict[str, int]
    rps: float
    latency_ms: dict[str, float | int | None]
    """The load generator's percentiles (1% buckets), e.g. ``p50``, ``p99``, ``max``."""
    locust_latency_ms: dict[str, float | None]
    """Locust's own whole-millisecond percentiles."""
    server_cpu_seconds: float
    server_event_loop_cpu_seconds: float
    server_run_queue_wait_seconds: float
    locust_cpu_seconds: float
    wall_seconds: float
    requests_by_name: dict[str, int]
    locust_exit_code: int
    command: list[str]
    """The locust command line, shell-quoted word by word."""
    html: str
    history: list[dict[str, Any]]
    """Locust's one-row-a-second history: ``t``, ``rps``, ``p50``, ``p95``, ``p99``."""
    locust_output_tail: str
    database_cpu_seconds: float | None = None
    """PostgreSQL backends' CPU during the phase; ``None``: embedded SQLite (in the server)."""
    target_rps: float | None = None
    """The rate a paced phase aimed at; ``None``: a saturation phase."""
    per_user_rps: float | None = None
    histogram: Histogram = field(default_factory=Histogram)
    """The load generator's latencies (1% buckets): the report's histogram of the phase."""
    probe: ProbeResult | None = None
    """The ``http.client`` probe beside a paced phase (``loadtests/bench/probe.py``)."""
    gc_pauses: dict[str, Any] | None = None
    """The server's GC pauses during the phase, by generation (``loadtests/bench/gcstats.py``)."""

    @property
    def load_seconds(self) -> float:
        """The seconds requests were sent (locust's rps is requests over that span): shorter
        than the run time by the start of the users (and of the workers, in distributed mode)."""
        return self.requests / self.rps if self.rps else float(self.duration_seconds)

    @property
    def server_cpu_us_per_request(self) -> float | None:
        return self.server_cpu_seconds / self.requests * 1e6 if self.requests else None

    @property
    def server_cores(self) -> float:
        return self.server_cpu_seconds / self.load_seconds

    @property
    def locust_cores(self) -> float:
        return self.locust_cpu_seconds / self.load_seconds

    @property
    def server_other_threads_cpu_seconds(self) -> float:
        """The server's CPU off the event loop (e.g. the SQLite writer, the checkpointer).

        The process's and its main thread's counters are read one after the other, in clock
        ticks, so a server that runs only its loop (the no-op) can read a tick more on the loop
        than in all: that is no CPU off the loop, not a negative amount ("-0.0" in the report).
        """
        return max(0.0, self.server_cpu_seconds - self.server_event_loop_cpu_seconds)

    @property
    def database_cpu_us_per_request(self) -> float | None:
        if self.database_cpu_seconds is None or not self.requests:
            return None
        return self.database_cpu_seconds / self.requests * 1e6

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.title,
            "userClass": self.user_class,
            "users": self.users,
            "spawnRate": self.spawn_rate,
            "durationSeconds": self.duration_seconds,
            "locustProcesses": self.locust_processes,
            "requests": self.requests,
            "failures": self.failures,
            "failuresByError": self.failures_by_error,
            "rps": self.rps,
            "latencyMs": self.latency_ms,
            "locustLatencyMs": self.locust_latency_ms,
            "serverCpuSeconds": self.server_cpu_seconds,
            "serverCpuUsPerRequest": self.server_cpu_us_per_request,
            "loadSeconds": self.load_seconds,
            "serverCores": self.server_cores,
            "locustCpuSeconds": self.locust_cpu_seconds,
            "locustCores": self.locust_cores,
            "wallSeconds": self.wall_seconds,
            "requestsByName": self.requests_by_name,
            "locustExitCode": self.locust_exit_code,
            "command": self.command,
            "html": self.html,
            "history": self.history,
            "locustOutputTail": self.locust_output_tail,
            "serverEventLoopCpuSeconds": self.server_event_loop_cpu_seconds,
            "serverOtherThreadsCpuSeconds": self.server_other_threads_cpu_seconds,
            "serverRunQueueWaitSeconds": self.server_run_queue_wait_seconds,
            "latencyBuckets": self.histogram.coarse(),
        }
        # keys present only where they mean something, as the report has always written them
        if self.database_cpu_seconds is not None:
            out["databaseCpuSeconds"] = self.database_cpu_seconds
            out["databaseCpuUsPerRequest"] = self.database_cpu_us_per_request
        if self.target_rps is not None:
            out["targetRps"] = self.target_rps
            out["perUserRps"] = self.per_user_rps
        if self.probe is not None:
            out["probe"] = self.probe.to_json()
        if self.gc_pauses is not None:
            out["gcPauses"] = self.gc_pauses
        return out
