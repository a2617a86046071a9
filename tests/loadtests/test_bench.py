"""``sandbox bench`` end to end: the quick SQLite run, and the scale-out run on PostgreSQL.

No assertion on speed (the machine is shared and small): a complete report, no failed request,
a balanced ledger, and a double-spend probe that only one of many concurrent payments passed.
Each runs in one engine's suite only, so the CI time stays low.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.engines import PG_ADMIN_URL

pytestmark = pytest.mark.slow

PHASES = ("noop", "p2p", "p2m", "p2p_quarter", "p2p_half", "noop_half", "identity", "consent")
REPORT_FILES = (
    "summary.json",
    "summary.md",
    "throughput.png",
    "latency.png",
    "percentiles.png",
    *(f"{p}.html" for p in PHASES),
    *(f"{p}_stats.csv" for p in PHASES),
    *(f"histogram-{p}.png" for p in PHASES),
)


def run_bench(out_dir: Path, *args: str, timeout: float = 240) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "sandbox", "bench", "--quick", "--output-dir", str(out_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"bench failed:\n{proc.stdout}\n{proc.stderr}"
    assert "payment rps / no-op rps" in proc.stdout
    assert "identity auth rps / no-op rps" in proc.stdout
    assert "consent FI fetches/s / no-op rps" in proc.stdout
    summary: dict[str, Any] = json.loads((out_dir / "summary.json").read_text())
    return summary


def assert_complete_and_clean(
    out_dir: Path, summary: dict[str, Any], *, unfinished_ok: tuple[str, ...] = ()
) -> None:
    """``unfinished_ok``: phases whose requests may all still be in flight when a quick phase
    ends (no latency percentile then), though they ran and none failed."""
    for name in REPORT_FILES:
        assert (out_dir / name).stat().st_size > 0, name
    assert list(summary["phases"])[: len(PHASES)] == list(PHASES)
    for name, phase in summary["phases"].items():
        assert phase["requests"] > 0, name
        assert phase["failures"] == 0, (name, phase["failuresByError"])
        if name not in unfinished_ok:
            assert phase["latencyMs"]["p99"] is not None, name
        assert phase["serverCpuUsPerRequest"] is not None, name
    # a consent phase left unfinished may have completed no FI fetch (its FI requests ran, the
    # year's fetches were still in flight): its fetch rate is then 0 and it has no cost per fetch
    ratios = summary["ratios"]
    no_fetch = "consent" in unfinished_ok and ratios["consentFetchRps"] == 0
    per_fetch = ("cpuUsPerConsentFetch", "cpuPerConsentFetchToNoop")
    for ratio in (
        "paymentToNoopRps",
        "cpuPerPaymentToNoop",
        "p99AtQuarterLoadMs",
        "p999AtQuarterLoadMs",
        "probeP99AtQuarterLoadMs",
        "probeP999AtQuarterLoadMs",
        "p99AtHalfLoadMs",
        "p999AtHalfLoadMs",
        "probeP99AtHalfLoadMs",
        "probeP999AtHalfLoadMs",
        "identityAuthToNoopRps",
        "cpuPerIdentityAuthToNoop",
        "consentFetchRps",
        "consentFetchToNoopRps",
        "cpuUsPerConsentFetch",
        "cpuPerConsentFetchToNoop",
    ):
        if no_fetch and ratio in per_fetch:
            assert ratios[ratio] is None, ratio
            continue
        assert ratios[ratio] is not None, ratio
    assert summary["ratios"]["hotMerchantToP2pRps"] is not None
    # the identity phase sent only encrypted demographic auths, and every one passed (ret y)
    identity = summary["phases"]["identity"]
    assert list(identity["requestsByName"]) == ["POST POST /v1/identity/auth (demo, encrypted)"]
    # the consent phase: each cycle one FI request, one fetch, one decryption that opened
    by_name = summary["phases"]["consent"]["requestsByName"]
    assert by_name["POST POST /aa/FI/request (a year)"] > 0
    assert set(by_name) <= {
        "POST POST /aa/FI/request (a year)",
        "POST POST /aa/FI/fetch",
        "CPU decrypt FI (locust side)",
    }
    fetched = by_name.get("POST POST /aa/FI/fetch", 0)
    assert fetched > 0 or no_fetch
    assert by_name.get("CPU decrypt FI (locust side)", 0) == fetched
    assert summary["failuresTotal"] == 0
    assert summary["ledger"]["balanced"] is True
    assert summary["ledger"]["accountMismatches"] == []
    assert summary["ledger"]["unbalancedPostings"] == []
    probe = summary["doubleSpendProbe"]
    assert probe["ok"] is True, probe
    assert probe["succeeded"] == 1
    assert summary["ok"] is True, summary["problems"]


def test_quick_bench_on_sqlite_writes_a_complete_clean_report(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    if pytestconfig.getoption("--engine") != "sqlite":
        pytest.skip("the SQLite benchmark runs in the sqlite suite only (CI time)")
    out_dir = tmp_path / "report"
    summary = run_bench(out_dir, "--preload", "3000")
    assert summary["mode"] == "sqlite"
    assert_complete_and_clean(out_dir, summary)
    # the paced phases ran the http.client probe beside locust, and every probe payment passed
    for name in ("p2p_quarter", "p2p_half"):
        probe = summary["phases"][name]["probe"]
        assert probe["requests"] > 0, (name, probe)
        assert probe["failures"] == 0, (name, probe)
        assert sum(b["count"] for b in probe["latencyBuckets"]) == probe["requests"]
    # 3,000 past payments went into the ledger (still balanced, above), and P2P on a second
    # server with an empty ledger ran to compare with
    preload = summary["preload"]
    assert (preload["asked"], preload["payments"]) == (3000, 3000)
    assert preload["p2pRpsEmptyLedger"] == summary["phases"]["p2p_empty"]["rps"] > 0
    assert preload["within10Percent"] in (True, False)
    assert "past payments / empty ledger" in (out_dir / "summary.md").read_text()


def test_scale_out_bench_with_two_workers_on_postgresql_spends_no_money_twice(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    if pytestconfig.getoption("--engine") != "postgresql":
        pytest.skip("the scale-out benchmark runs in the postgresql suite only (CI time)")
    out_dir = tmp_path / "report"
    summary = run_bench(out_dir, "--database", PG_ADMIN_URL, "--workers", "2")
    assert summary["mode"] == "postgresql"
    assert summary["environment"]["workers"] == 2
    assert summary["environment"]["locustProcesses"] == 2
    # a year's FI fetch on 2 workers sharing 2 cores with locust may outlast a 6 s quick phase
    assert_complete_and_clean(out_dir, summary, unfinished_ok=("consent",))
    # the scratch database is gone
    name = summary["environment"]["scratchDatabase"]
    engine = sa.create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            left = conn.execute(
                sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar_one()
    finally:
        engine.dispose()
    assert left == 0
