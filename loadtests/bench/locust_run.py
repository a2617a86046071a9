"""One benchmark phase: a headless locust run in a subprocess, and what its files say.

Locust writes ``<phase>_stats.csv`` (totals), ``<phase>_stats_history.csv`` (one row a second),
``<phase>_failures.csv`` (failures by request and message) and ``<phase>.html`` (its report);
the scenarios add ``<phase>-latency-<pid>.json`` (percentiles at 1% precision).
"""

from __future__ import annotations

import csv
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import loadtests
from loadtests import latency
from loadtests.bench.server import pinned
from loadtests.config import LoadConfig
from loadtests.process import free_port

LOCUSTFILE = Path(loadtests.__file__).resolve().parent / "locustfile.py"


@dataclass(frozen=True)
class Load:
    """How hard a phase pushes: the same for every saturation phase of a run."""

    users: int
    spawn_rate: float
    duration: int
    processes: int = 1
    cpus: Sequence[int] | None = None


@dataclass
class LocustResult:
    """What one locust run measured."""

    command: list[str]
    exit_code: int
    wall_seconds: float
    locust_cpu_seconds: float
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    failures_by_error: dict[str, int] = field(default_factory=dict)
    locust_percentiles_ms: dict[str, float | None] = field(default_factory=dict)
    latency_ms: dict[str, float | int | None] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)
    """Requests per request name."""
    output_tail: str = ""
    histogram: latency.Histogram = field(default_factory=latency.Histogram)
    """Every request's latency at 1% precision (``latency_ms`` is its summary)."""


def command(*, user_class: str, host: str, load: Load, prefix: Path, html: Path) -> list[str]:
    """The locust command line of a phase."""
    args = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(load.users),
        "--spawn-rate",
        f"{load.spawn_rate:g}",
        "--run-time",
        f"{load.duration}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--csv-full-history",
        "--html",
        str(html),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    if load.processes > 1:
        # a port of its own: at the default (5557) the workers of another distributed locust on
        # the machine join this master (seen: its noop phase got a P2MPayUser worker, KeyError)
        port = str(free_port())
        args += ["--processes", str(load.processes), "--master-bind-port", port]
        args += ["--master-port", port]
    return [*args, user_class]


def run_locust(
    *,
    name: str,
    user_class: str,
    host: str,
    load: Load,
    config: LoadConfig,
    out_dir: Path,
) -> LocustResult:
    """Run one phase to its end and read its files."""
    prefix = out_dir / name
    html = out_dir / f"{name}.html"
    latency_prefix = out_dir / f"{name}-latency"
    config_env = replace(config, latency_file=str(latency_prefix)).to_env()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOADTEST_", "LOCUST_"))}
    env.update(config_env)
    env["PYTHONUNBUFFERED"] = "1"
    args = command(user_class=user_class, host=host, load=load, prefix=prefix, html=html)
    log_path = out_dir / f"{name}.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.run(  # noqa: S603 - our own interpreter running locust
            args,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=load.duration + 120,
            check=False,
            preexec_fn=pinned(load.cpus),  # CPU affinity, inherited by its forks
        )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = LocustResult(
        command=args,
        exit_code=proc.returncode,
        wall_seconds=wall,
        locust_cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        output_tail="\n".join(log_path.read_text(errors="replace").splitlines()[-40:]),
    )
    _read_stats(result, Path(f"{prefix}_stats.csv"))
    # workers report to a master every 3 s: smooth over that much in distributed mode
    _read_history(result, Path(f"{prefix}_stats_history.csv"), 3 if load.processes > 1 else 1)
    _read_failures(result, Path(f"{prefix}_failures.csv"))
    files = sorted(out_dir.glob(f"{latency_prefix.name}-*.json"))
    result.histogram = latency.aggregate(latency.merge(files))
    result.latency_ms = result.histogram.summary()
    for file in files:
        file.unlink()
    return result


def _number(text: str | None) -> float | None:
    if text is None or text in ("", "N/A"):
        return None
    return float(text)


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _read_stats(result: LocustResult, path: Path) -> None:
    for row in _rows(path):
        if row["Name"] == "Aggregated":
            result.requests = int(row["Request Count"])
            result.failures = int(row["Failure Count"])
            result.rps = float(row["Requests/s"])
            result.locust_percentiles_ms = {
                "avg": _number(row["Average Response Time"]),
                "p50": _number(row["50%"]),
                "p95": _number(row["95%"]),
                "p99": _number(row["99%"]),
                "max": _number(row["Max Response Time"]),
            }
        else:
            result.names[f"{row['Type']} {row['Name']}".strip()] = int(row["Request Count"])


def _read_history(result: LocustResult, path: Path, window: int) -> None:
    """One point a second; throughput from the running request count over ``window`` seconds
    (locust's own ``Requests/s`` column is a lagging 10 s average), latency percentiles as
    locust reports them (its last 10 s)."""
    rows = [row for row in _rows(path) if row["Name"] == "Aggregated"]
    if not rows:
        return
    start = int(rows[0]["Timestamp"])
    points = [(int(r["Timestamp"]) - start, int(r["Total Request Count"])) for r in rows]
    for index, row in enumerate(rows):
        t, total = points[index]
        t0, total0 = points[max(0, index - window)]
        result.history.append(
            {
                "t": t,
                "users": int(row["User Count"]),
                "rps": (total - total0) / (t - t0) if t > t0 else 0.0,
                "totalRequests": total,
                "p50": _number(row["50%"]),
                "p95": _number(row["95%"]),
                "p99": _number(row["99%"]),
            }
        )


_WRAPPED = re.compile(r"^\w+\((['\"])(.*)\1\)$")


def _read_failures(result: LocustResult, path: Path) -> None:
    for row in _rows(path):
        error = row["Error"]
        unwrapped = _WRAPPED.match(error)  # CatchResponseError('responseCode Z9') -> the message
        message = unwrapped.group(2) if unwrapped else error
        key = f"{row['Method']} {row['Name']}: {message}"
        result.failures_by_error[key] = result.failures_by_error.get(key, 0) + int(
            row["Occurrences"]
        )
