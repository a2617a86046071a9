"""The benchmark's report: ``summary.json``, ``summary.md`` and PNG plots in the run's folder.

Locust's own HTML report of each phase (``<phase>.html``) and its CSV files sit beside them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loadtests.bench.records import PhaseRecord

PLOTS = ("throughput.png", "latency.png", "percentiles.png")


def histogram_plot(phase: str) -> str:
    """The file of a phase's latency histogram."""
    return f"histogram-{phase}.png"


def write(out_dir: Path, summary: dict[str, Any], phases: Mapping[str, PhaseRecord]) -> list[Path]:
    """Write the summary (``phases`` as its ``phases``), its Markdown rendering and the plots;
    return the files written."""
    written = [out_dir / "summary.json", out_dir / "summary.md"]
    summary["files"] = sorted(
        {p.name for p in out_dir.iterdir() if p.suffix in (".html", ".csv", ".txt")}
        | {w.name for w in written}
        | set(PLOTS)
        | {histogram_plot(name) for name in phases}
    )
    written += plot(out_dir, phases)
    written += plot_histograms(out_dir, phases)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out_dir / "summary.md").write_text(markdown(summary, phases))
    return written


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ratio_lines(summary: dict[str, Any]) -> list[str]:
    """The headline ratios, one line each (printed by the CLI and put atop the Markdown).

    From the summary as written, because that is what ``sandbox bench`` gets back."""
    r = summary["ratios"]
    half = summary["phases"].get("p2p_half", {})
    quarter = summary["phases"].get("p2p_quarter", {})
    floor = summary["phases"].get("noop_half", {})
    lines = [
        f"payment rps / no-op rps:                 {_num(r['paymentToNoopRps'], 3)}"
        f"  ({_num(r['paymentRps'], 0)} / {_num(r['noopRps'], 0)})",
        f"server CPU per payment / per no-op:      {_num(r['cpuPerPaymentToNoop'], 2)}"
        f"  ({_num(r['cpuUsPerPayment'], 0)} us / {_num(r['cpuUsPerNoop'], 0)} us)",
        *_tail_lines(r, "QuarterLoad", "25%", quarter),
        *_tail_lines(r, "HalfLoad", "50%", half),
        *_floor_lines(r, floor),
        f"hot-merchant (P2M) rps / P2P rps:        {_num(r['hotMerchantToP2pRps'], 3)}"
        f"  ({_num(r['hotMerchantRps'], 0)} / {_num(r['paymentRps'], 0)})",
        f"identity auth rps / no-op rps:           {_num(r.get('identityAuthToNoopRps'), 3)}"
        f"  ({_num(r.get('identityAuthRps'), 0)} / {_num(r['noopRps'], 0)})",
        f"server CPU per identity auth / no-op:    {_num(r.get('cpuPerIdentityAuthToNoop'), 2)}"
        f"  ({_num(r.get('cpuUsPerIdentityAuth'), 0)} us / {_num(r['cpuUsPerNoop'], 0)} us)",
        f"consent FI fetches/s / no-op rps:        {_num(r.get('consentFetchToNoopRps'), 4)}"
        f"  ({_num(r.get('consentFetchRps'), 1)} / {_num(r['noopRps'], 0)})",
        f"server CPU per FI fetch (a year) / no-op: {_num(r.get('cpuPerConsentFetchToNoop'), 1)}"
        f"  ({_num(r.get('cpuUsPerConsentFetch'), 0)} us / {_num(r['cpuUsPerNoop'], 0)} us)",
    ]
    # one phase per line above, in this order; a phase left out by --phases has no line
    ran = summary["phases"]
    of = (
        *("p2p", "p2p", "p2p_quarter", "p2p_half", "noop_half"),
        *("p2m", "identity", "identity", "consent"),
    )
    lines = [line for line, phase in zip(lines, (*of, "consent"), strict=True) if phase in ran]
    preload = summary.get("preload")
    if preload:
        verdict = {True: "within 10%", False: "NOT within 10%", None: "-"}
        lines.append(
            f"P2P rps, {preload['payments']} past payments / empty ledger: "
            f"{_num(preload.get('preloadedToEmptyRps'), 3)}  ({_num(preload.get('p2pRps'), 0)} / "
            f"{_num(preload.get('p2pRpsEmptyLedger'), 0)}, "
            f"{verdict[preload.get('within10Percent')]}; filled in {preload['fillSeconds']} s)"
        )
    return lines


def _tail_lines(r: dict[str, Any], at: str, label: str, phase: dict[str, Any]) -> list[str]:
    """p99 and p99.9 at a paced load: locust's figures, then the ``http.client`` probe's."""
    probe = phase.get("probe") or {}
    own = (probe.get("ownCpuWaitMs") or {}).get("p99")
    waited = f", its own wait for a CPU p99 {_ms(own)} ms" if own is not None else ""
    return [
        f"p99 / p99.9 at {label} of saturation:     {_ms(r.get(f'p99At{at}Ms'))} / "
        f"{_ms(r.get(f'p999At{at}Ms'))} ms locust; {_ms(r.get(f'probeP99At{at}Ms'))} / "
        f"{_ms(r.get(f'probeP999At{at}Ms'))} ms probe"
        f"  (at {_num(phase.get('rps'), 0)} rps, target {_num(phase.get('targetRps'), 0)}; "
        f"probe {probe.get('requests', 0)} payments{waited})",
    ]


def _floor_lines(r: dict[str, Any], phase: dict[str, Any]) -> list[str]:
    """The no-op paced at p2p_half's rate, locust's and the probe's p99: the latency the load
    generator, the probe and the framework give with no payment behind them, so that a reader
    can tell the server's share of the p99 at 50% from the harness's."""
    probe = phase.get("probe") or {}
    return [
        f"  harness floor (no-op at that rate):   {_ms(r.get('p99AtHalfLoadNoopMs'))} / "
        f"{_ms(r.get('p999AtHalfLoadNoopMs'))} ms locust; "
        f"{_ms(r.get('probeP99AtHalfLoadNoopMs'))} / {_ms(r.get('probeP999AtHalfLoadNoopMs'))} "
        f"ms probe  (at {_num(phase.get('rps'), 0)} rps; probe {probe.get('requests', 0)} no-ops)",
    ]


def bucket_table(phases: Mapping[str, PhaseRecord]) -> list[str]:
    """The latency histograms as a Markdown table: one row per phase (and per probe), one
    column per bucket (upper edge in ms)."""
    rows: list[tuple[str, list[dict[str, Any]]]] = []
    for name, p in phases.items():
        rows.append((name, p.histogram.coarse()))
        if p.probe is not None:
            rows.append((f"{name} (probe)", p.probe.histogram.coarse()))
    if not rows:
        return []
    edges = [b["upToMs"] for b in rows[0][1]]
    head = [f"<= {e:g}" if e is not None else f"> {edges[-2]:g}" for e in edges]
    return [
        "| phase | " + " | ".join(head) + " |",
        "|---|" + "---:|" * len(edges),
        *[
            f"| {name} | " + " | ".join(str(b["count"]) for b in buckets) + " |"
            for name, buckets in rows
        ],
    ]


def markdown(summary: dict[str, Any], phases: Mapping[str, PhaseRecord]) -> str:
    """The summary as a page a person reads."""
    env = summary["environment"]
    lines = [
        f"# Benchmark {summary['startedAt']} ({summary['mode']}"
        f"{', quick' if summary['quick'] else ''})",
        "",
        "```",
        *ratio_lines(summary),
        "```",
        "",
        f"Verdict: **{'clean' if summary['ok'] else 'PROBLEMS'}**"
        + ("" if summary["ok"] else f": {'; '.join(summary['problems'])}"),
        "",
        "## Phases",
        "",
        "| phase | users | requests | rps | failures | p50 ms | p95 ms | p99 ms | p99.9 ms "
        "| max ms | server CPU us/req | server cores | locust cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, p in phases.items():
        lat = p.latency_ms
        lines.append(
            f"| {name}: {p.title} | {p.users} | {p.requests} | {p.rps:.0f} "
            f"| {p.failures} | {_ms(lat.get('p50'))} | {_ms(lat.get('p95'))} "
            f"| {_ms(lat.get('p99'))} | {_ms(lat.get('p999'))} | {_ms(lat.get('max'))} "
            f"| {_num(p.server_cpu_us_per_request, 0)} | {_num(p.server_cores)} "
            f"| {_num(p.locust_cores)} |"
        )
    if any(p.database_cpu_seconds is not None for p in phases.values()):
        lines += ["", "PostgreSQL backends' CPU per request (not in the server column):", ""]
        for name, p in phases.items():
            lines.append(f"- {name}: {_num(p.database_cpu_us_per_request, 0)} us")
    lines += [
        "",
        "Server CPU by thread (event loop / other threads, e.g. the SQLite writer), seconds: "
        + ", ".join(
            f"{n} {p.server_event_loop_cpu_seconds:.1f} / {p.server_other_threads_cpu_seconds:.1f}"
            for n, p in phases.items()
        ),
        "",
        "Seconds the server's threads waited, runnable, for a CPU (summed over threads; "
        "other work on the machine makes it grow): "
        + ", ".join(f"{n} {p.server_run_queue_wait_seconds:.1f}" for n, p in phases.items()),
        "",
        "Server GC pauses per generation (collections, total ms, over 1 ms, over 10 ms): "
        + (
            "; ".join(
                f"{n} "
                + ", ".join(
                    f"gen{g} {v['collections']}/{v['totalMs']:.0f}/{v['over1ms']}/{v['over10ms']}"
                    for g, v in p.gc_pauses.items()
                )
                for n, p in phases.items()
                if p.gc_pauses
            )
            or "not measured"
        ),
        "",
        "Latencies are the load generator's (1% buckets); locust's own whole-millisecond figures "
        "are in summary.json (`locustLatencyMs`) and in each phase's HTML report.",
        "",
        "## Latency histograms",
        "",
        "Requests per latency bucket (ms); the paced phases also by the `http.client` probe "
        "(one connection, a few tens of payments a second beside locust's load):",
        "",
        *bucket_table(phases),
        "",
        *[f"![{histogram_plot(n)}]({histogram_plot(n)})" for n in phases],
        "",
        "## Failures",
        "",
    ]
    failures = [(n, k, v) for n, p in phases.items() for k, v in p.failures_by_error.items()]
    lines += [f"- {n}: {k} x{v}" for n, k, v in failures] or ["None."]
    ledger = summary["ledger"]
    probe = summary["doubleSpendProbe"]
    lines += [
        "",
        "## Ledger and double spend",
        "",
        f"- ledger balanced: **{ledger.get('balanced')}** (accounts total "
        f"{ledger.get('accountsTotal')}, seeded {ledger.get('seededTotal')}, in clearing "
        f"{ledger.get('inClearing')}, mismatches {len(ledger.get('accountMismatches', []))}, "
        f"unbalanced postings {len(ledger.get('unbalancedPostings', []))})",
        f"- double-spend probe: **{'ok' if probe.get('ok') else 'FAILED'}**: "
        f"{probe.get('attempts')} concurrent payments of {probe.get('payer')}'s whole balance "
        f"{probe.get('balanceBefore')}: {probe.get('codes')}, balance after "
        f"{probe.get('balanceAfter')}",
    ]
    if summary.get("profile"):
        prof = summary["profile"]
        lines += [
            "",
            f"## Server profile (py-spy, {prof['samples']} samples, phase {prof['phase']})",
            "",
            "| layer | share |",
            "|---|---:|",
            *[f"| {k} | {v * 100:.1f}% |" for k, v in prof["byLayer"].items()],
            "",
            "Storage by caller: "
            + ", ".join(f"{k} {v * 100:.1f}%" for k, v in prof["storageByCaller"].items()),
            "",
            "Busiest leaf functions (self):",
            "",
            *[f"- {f['share'] * 100:.1f}% {f['function']}" for f in prof["topFunctions"]],
            "",
            "The project's functions by inclusive share (on the stack):",
            "",
            *[f"- {f['share'] * 100:.1f}% {f['function']}" for f in prof["topProjectFunctions"]],
        ]
    lines += [
        "",
        "## Environment",
        "",
        f"- {env['cpus']} CPUs; affinity: {env['affinity']}",
        f"- load average at start: {env['loadAverageAtStart']} (other work on the machine "
        "skews every figure)",
        f"- database: {env['database']}; API workers: {env['workers']}; locust processes: "
        f"{env['locustProcesses']}",
        f"- world: {env['residents']} generated residents besides the personas; amount "
        f"{env['amount']}; preloaded past payments {env.get('preload', 0)}",
        f"- python {env['python']}, locust {env['locust']}",
        "",
        "## Commands",
        "",
        f"- `{summary['command']}`",
        *[f"- {n}: `{' '.join(p.command)}`" for n, p in phases.items()],
        "",
        "## Plots",
        "",
        *[f"![{name}]({name})" for name in PLOTS],
        "",
    ]
    return "\n".join(lines)


def plot(out_dir: Path, phases: Mapping[str, PhaseRecord]) -> list[Path]:
    """Throughput and latency over time, and the latency percentiles of each phase."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []

    # the no-op runs an order of magnitude faster than payments: one panel each
    groups = [[n for n in phases if n == "noop"], [n for n in phases if n != "noop"]]
    groups = [g for g in groups if g]
    fig, axes = plt.subplots(1, len(groups), figsize=(6 * len(groups), 4.5), squeeze=False)
    for ax, group in zip(axes[0], groups, strict=True):
        for name in group:
            history = phases[name].history
            ax.plot([h["t"] for h in history], [h["rps"] for h in history], label=name)
        ax.set_xlabel("seconds since the phase started")
        ax.set_ylabel("requests per second")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Throughput over time")
    fig.tight_layout()
    written.append(out_dir / "throughput.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(phases), figsize=(4 * len(phases), 4), squeeze=False)
    for ax, (name, p) in zip(axes[0], phases.items(), strict=True):
        history = [h for h in p.history if h["p50"] is not None]
        t = [h["t"] for h in history]
        for key in ("p50", "p95", "p99"):
            ax.plot(t, [h[key] for h in history], label=key)
        ax.set_title(name)
        ax.set_xlabel("s")
        ax.set_ylabel("ms (locust, 10 s window)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Latency over time")
    fig.tight_layout()
    written.append(out_dir / "latency.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4.5))
    names = list(phases)
    width = 0.25
    for offset, key in enumerate(("p50", "p95", "p99")):
        values = [phases[n].latency_ms.get(key) or 0.0 for n in names]
        xs = [i + (offset - 1) * width for i in range(len(names))]
        bars = ax.bar(xs, values, width, label=key)
        ax.bar_label(bars, labels=[_ms(v) for v in values], fontsize=7)
    ax.set_xticks(range(len(names)), names)
    ax.set_yscale("log")
    ax.set_ylabel("ms")
    ax.set_title("Latency percentiles per phase")
    ax.legend()
    fig.tight_layout()
    written.append(out_dir / "percentiles.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)
    return written


def plot_histograms(out_dir: Path, phases: Mapping[str, PhaseRecord]) -> list[Path]:
    """One PNG per phase: requests per latency bucket (about 10% wide, log scales), the probe's
    beside locust's where there is one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    for name, p in phases.items():
        fig, ax = plt.subplots(figsize=(7, 4))
        series = [("locust", p.histogram)]
        if p.probe is not None:
            series.append(("probe (http.client)", p.probe.histogram))
        for label, histogram in series:
            points = histogram.points()
            if not points:
                continue
            (line,) = ax.step(
                [x for x, _ in points], [n for _, n in points], where="post", label=label
            )
            ax.axvline(histogram.percentile(0.99) or 0.0, color=line.get_color(), linestyle=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("latency, ms (dotted: p99)")
        ax.set_ylabel("requests")
        ax.set_title(f"{name}: {p.title}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        written.append(out_dir / histogram_plot(name))
        fig.savefig(written[-1], dpi=90)
        plt.close(fig)
    return written
