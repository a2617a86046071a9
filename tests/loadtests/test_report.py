"""The benchmark's records and report on a synthetic run, without a server or locust: the keys
of ``summary.json`` (its public shape, see ``docs/load-testing.md``), the ratios, the page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtests.bench import preload, report, runner
from loadtests.bench.locust_run import Load, LocustResult
from loadtests.bench.probe import ProbeResult
from loadtests.bench.records import PhaseRecord
from loadtests.bench.summary import summarize
from loadtests.latency import Histogram

KEYS = [
    "title",
    "userClass",
    "users",
    "spawnRate",
    "durationSeconds",
    "locustProcesses",
    "requests",
    "failures",
    "failuresByError",
    "rps",
    "latencyMs",
    "locustLatencyMs",
    "serverCpuSeconds",
    "serverCpuUsPerRequest",
    "loadSeconds",
    "serverCores",
    "locustCpuSeconds",
    "locustCores",
    "wallSeconds",
    "requestsByName",
    "locustExitCode",
    "command",
    "html",
    "history",
    "locustOutputTail",
    "serverEventLoopCpuSeconds",
    "serverOtherThreadsCpuSeconds",
    "serverRunQueueWaitSeconds",
    "latencyBuckets",
]
LOAD = Load(users=20, spawn_rate=20.0, duration=6)


def histogram_of(*values_ms: float) -> Histogram:
    histogram = Histogram()
    for value in values_ms:
        histogram.add(value)
    return histogram


# 1,000 requests: 990 at 2 ms, 9 at 30 ms, 1 at 300 ms (p99 2 ms, p99.9 30 ms, max 300 ms)
LOCUST_TIMES = (2.0,) * 990 + (30.0,) * 9 + (300.0,)
# the probe's 2,000 payments: 1,990 at 1 ms, 8 at 15 ms, 2 at 150 ms (p99 1 ms, p99.9 15 ms)
PROBE_TIMES = (1.0,) * 1990 + (15.0,) * 8 + (150.0,) * 2


def probed() -> ProbeResult:
    result = ProbeResult(histogram=histogram_of(*PROBE_TIMES), rate=20.0)
    result.failures["responseCode Z9"] = 1
    return result


def measured(
    phase: runner.Phase,
    rps: float,
    names: dict[str, int] | None = None,
    **extra: float | ProbeResult | None,
) -> PhaseRecord:
    """A phase of 1,000 requests at ``rps``, 4 s of server CPU (3 s on the event loop)."""
    result = LocustResult(
        command=["python", "-m", "locust", "--tags", "a b"],
        exit_code=0,
        wall_seconds=7.5,
        locust_cpu_seconds=3.0,
        requests=1000,
        rps=rps,
        latency_ms={"p50": 2.5, "p95": 6.0, "p99": 9.0, "p999": 11.0, "max": 12},
        locust_percentiles_ms={"p50": 3.0, "p99": 9.0},
        history=[{"t": 0, "rps": rps, "p50": 2.0, "p95": 3.0, "p99": 4.0}],
        names=names or {"POST /v1/upi/pay": 1000},
        output_tail="not kept when requests were sent",
        histogram=histogram_of(*LOCUST_TIMES),
    )
    return runner._phase_record(
        phase,
        LOAD,
        result,
        server_cpu=4.0,
        event_loop_cpu=3.0,
        run_queue_wait=0.5,
        **extra,  # type: ignore[arg-type]
    )


def synthetic_run(database_cpu: float | None = None) -> dict[str, PhaseRecord]:
    noop, p2p, p2m, quarter, half, _floor, identity, consent = runner.PHASES
    return {
        "noop": measured(noop, 2000.0, database_cpu=database_cpu),
        "p2p": measured(p2p, 500.0, database_cpu=database_cpu),
        "p2m": measured(p2m, 250.0, database_cpu=database_cpu),
        "p2p_quarter": measured(
            quarter,
            125.0,
            database_cpu=database_cpu,
            target_rps=125.0,
            per_user_rps=6.25,
            probe=probed(),
        ),
        "p2p_half": measured(
            half, 250.0, database_cpu=database_cpu, target_rps=250.0, per_user_rps=12.5
        ),
        "identity": measured(identity, 400.0, database_cpu=database_cpu),
        # 400 cycles: 400 FI requests, 400 fetches, 200 decrypts counted (a sample)
        "consent": measured(consent, 300.0, CONSENT_NAMES, database_cpu=database_cpu),
    }


CONSENT_NAMES = {
    "POST POST /aa/FI/request (a year)": 400,
    "POST POST /aa/FI/fetch": 400,
    "CPU decrypt FI (locust side)": 200,
}


def summary_of(
    phases: dict[str, PhaseRecord], preloaded: dict[str, object] | None = None
) -> dict[str, object]:
    return summarize(
        options=runner.BenchOptions(quick=True, residents=10),
        load=LOAD,
        cpus=[0, 1],
        server_cpus=None,
        load_average=(0.1, 0.2, 0.3),
        started=datetime(2026, 1, 1, tzinfo=UTC),
        phases=phases,
        ledger={"balanced": True, "accountMismatches": [], "unbalancedPostings": []},
        probe={"ok": True, "succeeded": 1},
        profile=None,
        scratch_name=None,
        preload=preloaded,
    )


def test_a_phase_record_writes_the_keys_summary_json_has_always_had() -> None:
    record = synthetic_run()["p2p"]
    assert list(record.to_json()) == KEYS
    assert record.to_json()["command"] == ["python", "-m", "locust", "--tags", "'a b'"]
    assert record.to_json()["html"] == "p2p.html"
    assert record.to_json()["locustOutputTail"] == ""
    # the figures derived from the measurements
    assert record.load_seconds == 2.0  # 1,000 requests at 500 rps
    assert (record.server_cores, record.locust_cores) == (2.0, 1.5)
    assert record.server_cpu_us_per_request == 4000.0
    assert record.server_other_threads_cpu_seconds == 1.0


def test_a_loop_read_a_tick_above_the_process_is_no_cpu_off_the_loop() -> None:
    phases = synthetic_run()
    phases["noop"] = replace(phases["noop"], server_event_loop_cpu_seconds=4.01)  # all: 4.0
    assert phases["noop"].server_other_threads_cpu_seconds == 0.0
    assert phases["noop"].to_json()["serverOtherThreadsCpuSeconds"] == 0.0
    page = report.markdown({**summary_of(phases), "command": "sandbox bench --quick"}, phases)
    assert "noop 4.0 / 0.0" in page
    assert "-0.0" not in page


def test_database_cpu_and_a_target_rate_add_their_keys_only_where_they_were_measured() -> None:
    on_postgres = synthetic_run(database_cpu=2.0)
    assert list(on_postgres["p2p"].to_json()) == [
        *KEYS,
        "databaseCpuSeconds",
        "databaseCpuUsPerRequest",
    ]
    assert on_postgres["p2p"].to_json()["databaseCpuUsPerRequest"] == 2000.0
    half = on_postgres["p2p_half"].to_json()
    assert list(half)[-2:] == ["targetRps", "perUserRps"]
    assert (half["targetRps"], half["perUserRps"]) == (250.0, 12.5)
    idle = replace(on_postgres["p2p"], requests=0, rps=0.0)
    assert idle.to_json()["databaseCpuUsPerRequest"] is None
    assert idle.load_seconds == LOAD.duration


def test_the_summary_takes_its_ratios_from_the_named_phases() -> None:
    phases = synthetic_run()
    summary = summary_of(phases)
    assert summary["ratios"] == {
        "noopRps": 2000.0,
        "paymentRps": 500.0,
        "hotMerchantRps": 250.0,
        "paymentToNoopRps": 0.25,
        "cpuUsPerNoop": 4000.0,
        "cpuUsPerPayment": 4000.0,
        "cpuPerPaymentToNoop": 1.0,
        "p99AtQuarterLoadMs": 9.0,
        "p999AtQuarterLoadMs": 11.0,
        # the probe's own percentiles (1% buckets), beside the quarter-load phase only
        "probeP99AtQuarterLoadMs": pytest.approx(1.0, rel=0.01),
        "probeP999AtQuarterLoadMs": pytest.approx(15.0, rel=0.01),
        "p99AtHalfLoadMs": 9.0,
        "p999AtHalfLoadMs": 11.0,
        "probeP99AtHalfLoadMs": None,
        "probeP999AtHalfLoadMs": None,
        # the no-op at p2p_half's rate: not run here
        "p99AtHalfLoadNoopMs": None,
        "p999AtHalfLoadNoopMs": None,
        "probeP99AtHalfLoadNoopMs": None,
        "probeP999AtHalfLoadNoopMs": None,
        "hotMerchantToP2pRps": 0.5,
        "identityAuthRps": 400.0,
        "identityAuthToNoopRps": 0.2,
        "cpuUsPerIdentityAuth": 4000.0,
        "cpuPerIdentityAuthToNoop": 1.0,
        # the fetches' share of the phase's 1000 requests at 300 rps; 4 s of CPU over 400
        "consentFetchRps": 120.0,
        "consentFetchToNoopRps": 0.06,
        "cpuUsPerConsentFetch": 10000.0,
        "cpuPerConsentFetchToNoop": 2.5,
    }
    assert summary["phases"] == {name: p.to_json() for name, p in phases.items()}
    assert (summary["ok"], summary["problems"], summary["failuresTotal"]) == (True, [], 0)
    failing = {**phases, "p2m": replace(phases["p2m"], failures=3, requests=0, rps=0.0)}
    assert summary_of(failing)["problems"] == [
        "3 failed requests",
        "a phase sent no request (see its locust log)",
    ]


def test_the_report_renders_a_synthetic_run(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    phases = synthetic_run(database_cpu=2.0)
    summary = {**summary_of(phases), "command": "sandbox bench --quick"}
    written = report.write(tmp_path, summary, phases)
    histograms = {f"histogram-{name}.png" for name in phases}
    assert {p.name for p in written} == {"summary.json", "summary.md", *report.PLOTS, *histograms}
    for name in histograms:  # a PNG per phase
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG"), name
    assert histograms <= set(json.loads((tmp_path / "summary.json").read_text())["files"])
    assert json.loads((tmp_path / "summary.json").read_text())["phases"] == summary["phases"]
    page = (tmp_path / "summary.md").read_text()
    assert "| p2p: P2P pay, saturation | 20 | 1000 | 500 |" in page
    assert "- p2m: 2000 us" in page  # PostgreSQL backends' CPU per request
    assert "p2p 3.0 / 1.0" in page  # event loop / other threads
    assert "(at 250 rps, target 250; probe 0 payments)" in page  # read from the written summary
    assert "identity auth rps / no-op rps:           0.200  (400 / 2000)" in page
    assert "server CPU per identity auth / no-op:    1.00  (4000 us / 4000 us)" in page
    assert "| identity: encrypted demographic auth (Auth 2.5 JSON), saturation |" in page
    assert "consent FI fetches/s / no-op rps:        0.0600  (120.0 / 2000)" in page
    assert "server CPU per FI fetch (a year) / no-op: 2.5  (10000 us / 4000 us)" in page


def test_phases_picks_a_subset_in_order_with_the_noop_and_what_a_phase_needs() -> None:
    assert runner.selected(()) == runner.PHASES
    assert [p.name for p in runner.selected(["identity"])] == ["noop", "identity"]
    # the half-load phase paces at half of p2p's rate, so p2p comes with it, before it
    # ... and the no-op at the same rate after it, the harness's floor
    assert [p.name for p in runner.selected(["p2p_half", "consent"])] == [
        "noop",
        "p2p",
        "p2p_half",
        "noop_half",
        "consent",
    ]
    assert [p.name for p in runner.selected(["p2p_quarter"])] == ["noop", "p2p", "p2p_quarter"]
    with pytest.raises(ValueError, match="unknown phase"):
        runner.selected(["identity", "idnetity"])


def test_a_run_of_some_phases_reports_only_their_ratios() -> None:
    run = synthetic_run()
    summary = summary_of({"noop": run["noop"], "identity": run["identity"]})
    ratios = summary["ratios"]
    assert isinstance(ratios, dict)
    assert ratios["identityAuthToNoopRps"] == 0.2  # 400 / 2000
    assert ratios["paymentToNoopRps"] is None
    assert ratios["consentFetchRps"] is None
    lines = report.ratio_lines(json.loads(json.dumps(summary)))
    assert [line.split(":")[0] for line in lines] == [
        "identity auth rps / no-op rps",
        "server CPU per identity auth / no-op",
    ]


def test_paced_phases_report_p99_and_p999_by_locust_and_by_the_probe(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    phases = synthetic_run()
    quarter = phases["p2p_quarter"].to_json()
    assert list(quarter)[-3:] == ["targetRps", "perUserRps", "probe"]
    probe = quarter["probe"]
    assert (probe["ratePerSecond"], probe["requests"], probe["failures"]) == (20.0, 2001, 1)
    assert probe["failuresByError"] == {"responseCode Z9": 1}
    assert probe["latencyMs"]["p99"] == pytest.approx(1.0, rel=0.01)
    assert probe["latencyMs"]["p999"] == pytest.approx(15.0, rel=0.01)
    assert "probe" not in phases["p2p_half"].to_json()  # none ran beside it here
    assert "gcPauses" not in phases["p2p_half"].to_json()
    gc = {"0": {"collections": 12, "totalMs": 30.4, "over1ms": 3, "over10ms": 1}}
    phases["p2p_half"] = replace(phases["p2p_half"], gc_pauses=gc)
    assert phases["p2p_half"].to_json()["gcPauses"] == gc
    summary = {**summary_of(phases), "command": "sandbox bench"}
    report.write(tmp_path, summary, phases)
    page = (tmp_path / "summary.md").read_text()
    assert (
        "p99 / p99.9 at 25% of saturation:     9.00 / 11.0 ms locust; 1.00 / 15.0 ms probe"
        "  (at 125 rps, target 125; probe 2001 payments)"
    ) in page
    assert "p99 / p99.9 at 50% of saturation:     9.00 / 11.0 ms locust; - / - ms probe" in page
    # a probe that measured its own wait for a CPU says so beside its figures
    waited = probed()
    for ms in (0.05,) * 1990 + (4.0,) * 11:
        waited.own_wait.add(ms)
    phases["p2p_half"] = replace(phases["p2p_half"], probe=waited)
    half = phases["p2p_half"].to_json()["probe"]
    assert half["ownCpuWaitMs"]["p99"] == pytest.approx(0.05, rel=0.01)
    lines = report.ratio_lines(json.loads(json.dumps(summary_of(phases))))
    assert any(
        line.startswith("p99 / p99.9 at 50% of saturation:")
        and line.endswith("probe 2001 payments, its own wait for a CPU p99 0.05 ms)")
        for line in lines
    ), lines
    # the phase table has a p99.9 column
    assert "| p99 ms | p99.9 ms | max ms |" in page
    assert "| 2.50 | 6.00 | 9.00 | 11.0 | 12.0 |" in page
    assert "(collections, total ms, over 1 ms, over 10 ms): p2p_half gen0 12/30/3/1" in page


def test_the_histogram_table_counts_each_phase_by_bucket(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    phases = synthetic_run()
    buckets = phases["p2p"].to_json()["latencyBuckets"]
    assert [b["upToMs"] for b in buckets] == [*COARSE, None]
    counts = {b["upToMs"]: b["count"] for b in buckets}
    assert (counts[2.0], counts[50.0], counts[500.0]) == (990, 9, 1)
    assert sum(counts.values()) == 1000
    summary = {**summary_of(phases), "command": "sandbox bench"}
    report.write(tmp_path, summary, phases)
    page = (tmp_path / "summary.md").read_text()
    assert "## Latency histograms" in page
    header = "| phase | " + " | ".join(f"<= {e:g}" for e in COARSE) + " | > 2000 |"
    assert header in page
    # p2p: 990 in (1, 2], 9 in (20, 50], 1 in (200, 500]; the probe: 1,990 in (0.5, 1], ...
    assert "| p2p | 0 | 0 | 990 | 0 | 0 | 0 | 9 | 0 | 0 | 1 | 0 | 0 | 0 |" in page
    assert "| p2p_quarter (probe) | 0 | 1990 | 0 | 0 | 0 | 8 | 0 | 0 | 2 | 0 | 0 | 0 | 0 |" in page
    assert "![histogram-p2p_half.png](histogram-p2p_half.png)" in page


COARSE = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]


def test_the_preload_comparison_says_whether_rps_stayed_within_ten_percent(
    tmp_path: Path,
) -> None:
    pytest.importorskip("matplotlib")
    assert preload.compare(450.0, 500.0)["within10Percent"] is True  # exactly 90%
    assert preload.compare(449.0, 500.0)["within10Percent"] is False
    assert preload.compare(100.0, 0.0)["within10Percent"] is None
    phases = synthetic_run()
    filled = {"payments": 1000, "asked": 1000, "fillSeconds": 1.5, **preload.compare(440, 500)}
    summary = {**summary_of(phases, filled), "command": "sandbox bench --preload 1000"}
    assert summary["preload"] == filled
    report.write(tmp_path, summary, phases)
    page = (tmp_path / "summary.md").read_text()
    assert (
        "P2P rps, 1000 past payments / empty ledger: 0.880  (440 / 500, NOT within 10%; "
        "filled in 1.5 s)"
    ) in page


def test_the_half_load_line_has_the_no_op_at_the_same_rate_beneath_it() -> None:
    phases = synthetic_run()
    floor = next(p for p in runner.PHASES if p.name == "noop_half")
    assert (floor.user_class, floor.load_fraction) == ("HealthzUser", 0.5)  # p2p_half's rate
    phases["noop_half"] = measured(
        floor, 250.0, {"GET /healthz": 1000}, target_rps=250.0, per_user_rps=12.5, probe=probed()
    )
    summary = json.loads(json.dumps(summary_of(phases)))
    assert summary["ratios"]["p99AtHalfLoadNoopMs"] == 9.0
    assert summary["ratios"]["probeP99AtHalfLoadNoopMs"] == pytest.approx(1.0, rel=0.01)
    lines = report.ratio_lines(summary)
    at = next(i for i, line in enumerate(lines) if line.startswith("p99 / p99.9 at 50%"))
    assert lines[at + 1] == (
        "  harness floor (no-op at that rate):   9.00 / 11.0 ms locust; 1.00 / 15.0 ms probe"
        "  (at 250 rps; probe 2001 no-ops)"
    )
    # the p99 at 50% is still the payments' own
    assert lines[at].startswith("p99 / p99.9 at 50% of saturation:     9.00 / 11.0 ms locust")
    del phases["noop_half"]
    lines = report.ratio_lines(json.loads(json.dumps(summary_of(phases))))
    assert not any("harness floor" in line for line in lines)
