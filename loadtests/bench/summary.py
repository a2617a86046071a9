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


def _ratios(phases: dict[str, PhaseRecord]) -> dict[str, float | None]:
    """The headline figures; those of a phase not run (``--phases``) are ``None``."""
    noop = phases["noop"]
    p2p, p2m = phases.get("p2p"), phases.get("p2m")
    quarter, half = phases.get("p2p_quarter"), phases.get("p2p_half")
    floor = phases.get("noop_half")
    auth, fi = phases.get("identity"), phases.get("consent")
    # one fetch = FI/request + FI/fetch of a year (the decrypt is the load generator's);
    # locust's rps is over the phase's requests
    fetches = fi.requests_by_name.get(f"POST {FETCH_NAME}", 0) if fi else None
    fetch_rps = _div(fetches * fi.rps, fi.requests) if fi and fetches is not None else None
    fetch_cpu = _div(fi.server_cpu_seconds * 1e6, fetches) if fi else None
    cpu_noop = noop.server_cpu_us_per_request
    cpu_pay = p2p.server_cpu_us_per_request if p2p else None
    cpu_auth = auth.server_cpu_us_per_request if auth else None
    return {
        "noopRps": noop.rps,
        "paymentRps": p2p.rps if p2p else None,
        "hotMerchantRps": p2m.rps if p2m else None,
        "paymentToNoopRps": _div(p2p.rps, noop.rps) if p2p else None,
        "cpuUsPerNoop": cpu_noop,
        "cpuUsPerPayment": cpu_pay,
        "cpuPerPaymentToNoop": _div(cpu_pay, cpu_noop),
        **(_tail(quarter, "QuarterLoad") if quarter else _no_tail("QuarterLoad")),
        **(_tail(half, "HalfLoad") if half else _no_tail("HalfLoad")),
        **(_tail(floor, "HalfLoadNoop") if floor else _no_tail("HalfLoadNoop")),
        "hotMerchantToP2pRps": _div(p2m.rps, p2p.rps) if p2m and p2p else None,
        "identityAuthRps": auth.rps if auth else None,
        "identityAuthToNoopRps": _div(auth.rps, noop.rps) if auth else None,
        "cpuUsPerIdentityAuth": cpu_auth,
        "cpuPerIdentityAuthToNoop": _div(cpu_auth, cpu_noop),
        "consentFetchRps": fetch_rps,
        "consentFetchToNoopRps": _div(fetch_rps, noop.rps),
        "cpuUsPerConsentFetch": fetch_cpu,
        "cpuPerConsentFetchToNoop": _div(fetch_cpu, cpu_noop),
    }


def _no_tail(at: str) -> dict[str, Any]:
    return dict.fromkeys(
        (f"p99At{at}Ms", f"p999At{at}Ms", f"probeP99At{at}Ms", f"probeP999At{at}Ms")
    )


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
    ratios = _ratios(phases)
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
