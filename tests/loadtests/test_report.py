"""The benchmark's records and report on a synthetic run, without a server or locust: the keys
of ``summary.json`` (its public shape, see ``docs/load-testing.md``), the ratios, the page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtests.bench import report, runner
from loadtests.bench.locust_run import Load, LocustResult
from loadtests.bench.records import PhaseRecord

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
]
LOAD = Load(users=20, spawn_rate=20.0, duration=6)


def measured(
    phase: runner.Phase, rps: float, names: dict[str, int] | None = None, **extra: float | None
) -> PhaseRecord:
    """A phase of 1,000 requests at ``rps``, 4 s of server CPU (3 s on the event loop)."""
    result = LocustResult(
        command=["python", "-m", "locust", "--tags", "a b"],
        exit_code=0,
        wall_seconds=7.5,
        locust_cpu_seconds=3.0,
        requests=1000,
        rps=rps,
        latency_ms={"p50": 2.5, "p95": 6.0, "p99": 9.0, "max": 12},
        locust_percentiles_ms={"p50": 3.0, "p99": 9.0},
        history=[{"t": 0, "rps": rps, "p50": 2.0, "p95": 3.0, "p99": 4.0}],
        names=names or {"POST /v1/upi/pay": 1000},
        output_tail="not kept when requests were sent",
    )
    return runner._phase_record(
        phase, LOAD, result, server_cpu=4.0, event_loop_cpu=3.0, run_queue_wait=0.5, **extra
    )


def synthetic_run(database_cpu: float | None = None) -> dict[str, PhaseRecord]:
    noop, p2p, p2m, half, identity, consent = runner.PHASES
    return {
        "noop": measured(noop, 2000.0, database_cpu=database_cpu),
        "p2p": measured(p2p, 500.0, database_cpu=database_cpu),
        "p2m": measured(p2m, 250.0, database_cpu=database_cpu),
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


def summary_of(phases: dict[str, PhaseRecord]) -> dict[str, object]:
    return runner._summary(
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
        "p99AtHalfLoadMs": 9.0,
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
    assert {p.name for p in written} == {"summary.json", "summary.md", *report.PLOTS}
    assert json.loads((tmp_path / "summary.json").read_text())["phases"] == summary["phases"]
    page = (tmp_path / "summary.md").read_text()
    assert "| p2p: P2P pay, saturation | 20 | 1000 | 500 |" in page
    assert "- p2m: 2000 us" in page  # PostgreSQL backends' CPU per request
    assert "p2p 3.0 / 1.0" in page  # event loop / other threads
    assert "(at 250 rps, target 250)" in page  # the ratio lines read the written summary
    assert "identity auth rps / no-op rps:           0.200  (400 / 2000)" in page
    assert "server CPU per identity auth / no-op:    1.00  (4000 us / 4000 us)" in page
    assert "| identity: encrypted demographic auth (Auth 2.5 JSON), saturation |" in page
    assert "consent FI fetches/s / no-op rps:        0.0600  (120.0 / 2000)" in page
    assert "server CPU per FI fetch (a year) / no-op: 2.5  (10000 us / 4000 us)" in page


def test_phases_picks_a_subset_in_order_with_the_noop_and_what_a_phase_needs() -> None:
    assert runner.selected(()) == runner.PHASES
    assert [p.name for p in runner.selected(["identity"])] == ["noop", "identity"]
    # the half-load phase paces at half of p2p's rate, so p2p comes with it, before it
    assert [p.name for p in runner.selected(["p2p_half", "consent"])] == [
        "noop",
        "p2p",
        "p2p_half",
        "consent",
    ]
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
