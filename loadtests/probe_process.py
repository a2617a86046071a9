"""The latency probe's own process: one ``http.client`` connection sending P2P payments on a
fixed schedule (``loadtests/bench/probe.py`` starts it and reads its result).

It runs apart from the benchmark's process so that neither the bench's threads nor their GIL
stand between an answer and the probe's clock, pinned to the load generator's cores (never the
server's: a probe thread on the server's core took that core's CPU from the server and waited
for it, in 236 of 318 requests of a run that left it unpinned), and asks for a higher
scheduling priority there (``nice -10``; kept at 0 when not permitted). What is still the
client's own is measured and reported apart: per request, how long the probe waited runnable
for a CPU (``/proc/thread-self/schedstat``, Linux).

This module imports nothing heavy: the spawned process starts in well under a second.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from loadtests.config import PAY_PATH
from loadtests.latency import Histogram
from loadtests.parties import Parties

NOOP_PATH = "/healthz"

DEFAULT_RATE = 20.0
"""Payments per second: a few tens, small beside the paced phases' rate."""

PROBE_NICENESS = -10
"""Asked for on the load generator's core, so that the probe runs as soon as its answer is in."""

_SCHEDSTAT = "/proc/thread-self/schedstat"


@dataclass
class ProbeResult:
    histogram: Histogram = field(default_factory=Histogram)
    """Each payment's latency as the probe's clock saw it: send to answer read."""
    own_wait: Histogram = field(default_factory=Histogram)
    """Per payment, how long the probe itself waited runnable for a CPU meanwhile: the part of
    its latency that is the client's, not the server's (empty where not measurable)."""
    failures: dict[str, int] = field(default_factory=dict)
    rate: float = DEFAULT_RATE
    cpus: list[int] | None = None
    niceness: int = 0

    @property
    def requests(self) -> int:
        return self.histogram.count + sum(self.failures.values())

    def to_json(self) -> dict[str, object]:
        return {
            "ratePerSecond": self.rate,
            "requests": self.requests,
            "failures": sum(self.failures.values()),
            "failuresByError": self.failures,
            "latencyMs": self.histogram.summary(),
            "latencyBuckets": self.histogram.coarse(),
            "ownCpuWaitMs": self.own_wait.summary(),
            "cpus": self.cpus,
            "niceness": self.niceness,
        }


def _runnable_wait_ns() -> int | None:
    """Nanoseconds this thread has spent runnable but not running (``None``: not Linux)."""
    try:
        with open(_SCHEDSTAT, "rb") as f:
            return int(f.read().split()[1])
    except OSError:
        return None


def _settle(cpus: list[int] | None) -> int:
    """Pin to ``cpus`` and ask for a higher priority; returns the niceness obtained."""
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)
    # not permitted (a negative niceness needs CAP_SYS_NICE): the default priority
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, 0, PROBE_NICENESS)
    return os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else 0


@dataclass
class Schedule:
    """What the probe sends, where, and how often."""

    address: tuple[str, int]
    api_key: str
    parties: Parties
    amount: str
    rate: float = DEFAULT_RATE
    timeout: float = 10.0
    cpus: list[int] | None = None
    noop: bool = False
    """Send the no-op (``GET /healthz``) instead of payments: the harness's own floor."""


def run(schedule: Schedule, stop: Event, out: Connection) -> None:
    """The probe process's body: payments on the schedule until ``stop``, then the result
    sent on ``out``. Request ``i`` is due at ``start + i / rate``; a late answer makes the next
    request go at once, not skip, and its latency is measured from when it was sent."""
    result = ProbeResult(rate=schedule.rate, cpus=schedule.cpus, niceness=_settle(schedule.cpus))
    rng = random.Random()
    interval = 1.0 / schedule.rate
    conn = http.client.HTTPConnection(*schedule.address, timeout=schedule.timeout)
    start = time.monotonic()
    sent = 0
    try:
        while not stop.is_set():
            pause = start + sent * interval - time.monotonic()
            if pause > 0 and stop.wait(pause):
                break
            sent += 1
            body = b"" if schedule.noop else _body(schedule, rng)
            conn = _one(schedule, conn, body, result)
    finally:
        conn.close()
        out.send(result)
        out.close()


def _body(schedule: Schedule, rng: random.Random) -> bytes:
    payer, payee = schedule.parties.pair(rng)
    return json.dumps(
        {
            "payer": {"vpa": payer.vpa, "pin": payer.pin},
            "payee": {"vpa": payee.vpa},
            "amount": schedule.amount,
            "note": "latency probe",
        }
    ).encode()


def _one(
    schedule: Schedule, conn: http.client.HTTPConnection, body: bytes, result: ProbeResult
) -> http.client.HTTPConnection:
    headers = {
        "Authorization": f"Bearer {schedule.api_key}",
        "Content-Type": "application/json",
        "Idempotency-Key": uuid.uuid4().hex,
    }
    waited = _runnable_wait_ns()
    began = time.perf_counter()
    try:
        if schedule.noop:
            conn.request("GET", NOOP_PATH)
        else:
            conn.request("POST", PAY_PATH, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    except (OSError, http.client.HTTPException) as exc:
        _fail(result, f"connection: {type(exc).__name__}")
        conn.close()
        return http.client.HTTPConnection(*schedule.address, timeout=schedule.timeout)
    elapsed_ms = (time.perf_counter() - began) * 1000.0
    waited_after = _runnable_wait_ns()
    if response.status != 200:
        _fail(result, f"HTTP {response.status}")
        return conn
    code = "00" if schedule.noop else json.loads(payload).get("responseCode")
    if code != "00":
        _fail(result, f"responseCode {code}")
        return conn
    result.histogram.add(elapsed_ms)
    if waited is not None and waited_after is not None:
        result.own_wait.add((waited_after - waited) / 1e6)
    return conn


def _fail(result: ProbeResult, key: str) -> None:
    result.failures[key] = result.failures.get(key, 0) + 1
