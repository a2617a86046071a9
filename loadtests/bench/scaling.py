"""``sandbox bench --workers 1,2,4``: one run per worker count, one report with a row each.

Each count gets a run of its own (``runner.run``: a fresh server and scratch database, the
same phases, users and duration), written in full to ``workers-<n>/`` under the report folder;
the folder's own ``summary.json`` and ``summary.md`` hold one row per count (no-op and payment
rps, their ratio, server and PostgreSQL CPU per payment, failures, ledger and double-spend
verdicts) and link each run's report. One count alone is a plain run (no subfolder).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtests.bench.runner import REPORTS_DIR, BenchOptions, run

MAX_WORKERS = 64


def parse_counts(text: str) -> tuple[int, ...]:
    """``"1,2,4"`` -> ``(1, 2, 4)``; refuses what is not a list of distinct counts 1..64."""
    try:
        counts = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(
            f"--workers {text!r}: give a worker count or a comma-separated list (1,2,4)"
        ) from None
    if not counts or any(not 1 <= n <= MAX_WORKERS for n in counts):
        raise ValueError(f"--workers {text!r}: each count must be between 1 and {MAX_WORKERS}")
    if len(set(counts)) != len(counts):
        raise ValueError(f"--workers {text!r}: a count is repeated")
    return counts


def run_counts(
    options: BenchOptions,
    counts: Sequence[int],
    *,
    echo: Callable[[str], None] = print,
    command: str = "sandbox bench",
) -> dict[str, Any]:
    """One run per count; returns the combined summary (one count: that run's own)."""
    if len(counts) == 1:
        return run(replace(options, workers=counts[0]), echo=echo, command=command)
    if options.database is None:
        raise ValueError("several worker counts need --database postgresql://... (scale-out)")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = options.output_dir or REPORTS_DIR / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    runs: dict[int, dict[str, Any]] = {}
    for n in counts:
        echo(f"-- {n} worker(s)")
        sub = replace(options, workers=n, output_dir=out_dir / f"workers-{n}")
        runs[n] = run(sub, echo=echo, command=command)
    summary = combine(runs, command=command)
    write(out_dir, summary)
    summary["reportDir"] = str(out_dir)
    return summary


def _row(n: int, s: dict[str, Any]) -> dict[str, Any]:
    r = s["ratios"]
    p2p = s["phases"].get("p2p", {})
    return {
        "workers": n,
        "noopRps": r["noopRps"],
        "paymentRps": r["paymentRps"],
        "paymentToNoopRps": r["paymentToNoopRps"],
        "cpuUsPerNoop": r["cpuUsPerNoop"],
        "cpuUsPerPayment": r["cpuUsPerPayment"],
        "databaseCpuUsPerPayment": p2p.get("databaseCpuUsPerRequest"),
        "failures": s["failuresTotal"],
        "ledgerBalanced": s["ledger"].get("balanced") is True,
        "doubleSpendProbeOk": bool(s["doubleSpendProbe"].get("ok")),
        "ok": s["ok"],
        "report": f"workers-{n}/summary.md",
    }


def combine(runs: dict[int, dict[str, Any]], *, command: str) -> dict[str, Any]:
    """The report of several runs: a row per worker count, the verdict over all of them."""
    problems = [f"{n} worker(s): {p}" for n, s in runs.items() for p in s["problems"]]
    first = next(iter(runs.values()))
    return {
        "mode": first["mode"],
        "quick": first["quick"],
        "ok": not problems,
        "problems": problems,
        "failuresTotal": sum(s["failuresTotal"] for s in runs.values()),
        "workers": list(runs),
        "scaleOut": [_row(n, s) for n, s in runs.items()],
        "runs": {str(n): f"workers-{n}/summary.json" for n in runs},
        "environment": {k: v for k, v in first["environment"].items() if k != "workers"},
        "command": command,
    }


def _fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table_lines(summary: dict[str, Any]) -> list[str]:
    """The Markdown table, one row per worker count (printed by the CLI, atop summary.md)."""
    lines = [
        "| workers | no-op rps | payment rps | payment / no-op | server CPU us per no-op "
        "| server CPU us per payment | PostgreSQL CPU us per payment | failures | ledger "
        "| double-spend probe |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["scaleOut"]:
        lines.append(
            f"| [{row['workers']}]({row['report']}) | {_fmt(row['noopRps'])} "
            f"| {_fmt(row['paymentRps'])} | {_fmt(row['paymentToNoopRps'], 3)} "
            f"| {_fmt(row['cpuUsPerNoop'])} | {_fmt(row['cpuUsPerPayment'])} "
            f"| {_fmt(row['databaseCpuUsPerPayment'])} | {row['failures']} "
            f"| {'balanced' if row['ledgerBalanced'] else 'NOT balanced'} "
            f"| {'ok' if row['doubleSpendProbeOk'] else 'FAILED'} |"
        )
    return lines


def markdown(summary: dict[str, Any]) -> str:
    env = summary["environment"]
    verdict = "ok" if summary["ok"] else "PROBLEMS: " + "; ".join(summary["problems"])
    return "\n".join(
        [
            f"# sandbox bench: scale-out over {', '.join(map(str, summary['workers']))} workers",
            "",
            f"Command: `{summary['command']}`",
            "",
            f"Verdict: {verdict}",
            "",
            *table_lines(summary),
            "",
            f"Each row is a run of its own (a fresh server and scratch database, "
            f"{env['users']} users, {env['durationSeconds']} s per phase, "
            f"{env['locustProcesses']} locust processes); its full report is linked.",
            "",
        ]
    )


def write(out_dir: Path, summary: dict[str, Any]) -> None:
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out_dir / "summary.md").write_text(markdown(summary))
