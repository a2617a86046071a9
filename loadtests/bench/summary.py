"""The benchmark's ``summary.json``: the headline ratios from the named phases, the verdict
(failures, ledger, double spend) and where it ran."""

from __future__ import annotations

import platform
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

from loadtests.bench.records import PhaseRecord
from loadtests.consent_pool import FETCH_NAME

if TYPE_CHECKING:
    from loadtests.bench.locust_run import Load
    from loadtests.bench.runner import BenchOptions


def _div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _tail(phase: PhaseRecord, at: str) -> dict[str, Any]:
    """p99 and p99.9 of a paced phase, locust's and the probe's (``None``: not measured)."""
    probe = phase.probe.histogram if phase.probe is not None else None
    return {
        f"p99At{at}Ms": phase.latency_ms.get("p99"),
        f"p999At{at}Ms": phase.latency_ms.get("p999"),
        f"probeP99At{at}Ms": probe.percentile(0.99) if probe else None,
        f"probeP999At{at}Ms": probe.percentile(0.999) if probe else None,
    }


def summarize(
    *,
    options: BenchOptions,
    load: Load,
    cpus: list[int],
    server_cpus: list[int] | None,
    load_average: tuple[float, float, float],
    started: datetime,
    phases: dict[str, PhaseRecord],
    ledger: dict[str, Any],
    probe: dict[str, Any],
    profile: dict[str, Any] | None,
    scratch_name: str | None,
    preload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The run's ``summary.json``: the ratios from the named phases, the verdict, the setting."""
    noop, p2p, p2m = phases["noop"], phases["p2p"], phases["p2m"]
    quarter, half = phases["p2p_quarter"], phases["p2p_half"]
    auth = phases["identity"]
    fi = phases["consent"]
    fetches = fi.requests_by_name.get(f"POST {FETCH_NAME}", 0)
    fetch_rps = _div(fetches * fi.rps, fi.requests)  # locust's rps is over the phase's requests
    ratios = {
        "noopRps": noop.rps,
        "paymentRps": p2p.rps,
        "hotMerchantRps": p2m.rps,
        "paymentToNoopRps": _div(p2p.rps, noop.rps),
        "cpuUsPerNoop": noop.server_cpu_us_per_request,
        "cpuUsPerPayment": p2p.server_cpu_us_per_request,
        "cpuPerPaymentToNoop": _div(p2p.server_cpu_us_per_request, noop.server_cpu_us_per_request),
        **_tail(quarter, "QuarterLoad"),
        **_tail(half, "HalfLoad"),
        "hotMerchantToP2pRps": _div(p2m.rps, p2p.rps),
        "identityAuthRps": auth.rps,
        "identityAuthToNoopRps": _div(auth.rps, noop.rps),
        "cpuUsPerIdentityAuth": auth.server_cpu_us_per_request,
        "cpuPerIdentityAuthToNoop": _div(
            auth.server_cpu_us_per_request, noop.server_cpu_us_per_request
        ),
        # one fetch = FI/request + FI/fetch of a year (the decrypt is the load generator's)
        "consentFetchRps": fetch_rps,
        "consentFetchToNoopRps": _div(fetch_rps, noop.rps),
        "cpuUsPerConsentFetch": _div(fi.server_cpu_seconds * 1e6, fetches),
        "cpuPerConsentFetchToNoop": _div(
            _div(fi.server_cpu_seconds * 1e6, fetches), noop.server_cpu_us_per_request
        ),
    }
    failures = sum(p.failures for p in phases.values())
    problems = []
    if failures:
        problems.append(f"{failures} failed requests")
    if any(p.requests == 0 for p in phases.values()):
        problems.append("a phase sent no request (see its locust log)")
    if ledger.get("balanced") is not True:
        problems.append("the ledger is not balanced")
    if not probe.get("ok"):
        problems.append("the double-spend probe failed")
    affinity = (
        {"server": server_cpus, "locust": list(load.cpus or [])}
        if server_cpus is not None
        else "not pinned (--no-pin, or fewer cores than server and locust processes)"
    )
    return {
        "startedAt": started.isoformat(timespec="seconds"),
        "finishedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": options.mode,
        "quick": options.quick,
        "ok": not problems,
        "problems": problems,
        "failuresTotal": failures,
        "ratios": ratios,
        "phases": {name: p.to_json() for name, p in phases.items()},
        "ledger": ledger,
        "doubleSpendProbe": probe,
        "profile": profile,
        "preload": preload,
        "environment": {
            "cpus": len(cpus),
            "affinity": affinity,
            "loadAverageAtStart": [round(x, 2) for x in load_average],
            "database": "postgresql (scratch database, dropped after)"
            if options.database
            else "sqlite (WAL, synchronous=FULL, temp data dir)",
            "scratchDatabase": scratch_name,
            "workers": options.workers,
            "locustProcesses": load.processes,
            "users": load.users,
            "spawnRate": load.spawn_rate,
            "durationSeconds": load.duration,
            "residents": options.residents,
            "preload": options.preload,
            "amount": options.amount,
            "python": platform.python_version(),
            "locust": metadata.version("locust"),
            "platform": platform.platform(),
            "executable": sys.executable,
            "elapsedSeconds": round(time.time() - started.timestamp(), 1),
        },
    }
