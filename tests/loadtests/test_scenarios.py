"""Every scenario against a real server: a short headless locust run with no failure.

The benchmark covers the no-op, P2P and P2M users; this covers collect and approve, status
polling, validation and the mixed profile (in the sqlite suite only, for CI time).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadtests.bench.locust_run import LOCUSTFILE
from loadtests.config import LoadConfig
from tests.harness.server import ServerProcess

pytestmark = pytest.mark.slow

USERS = ("CollectApproveUser", "StatusPollUser", "ValidateUser", "MixedUser")


def test_every_scenario_runs_without_a_failure(
    pytestconfig: pytest.Config, make_settings: Any, tmp_path: Path
) -> None:
    if pytestconfig.getoption("--engine") != "sqlite":
        pytest.skip("the scenarios run in the sqlite suite only (CI time)")
    settings = make_settings(world_residents=100)
    config = LoadConfig(residents=100, status_pool=3)  # each locust process signs up
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOADTEST_", "LOCUST_"))}
    env.update(config.to_env())
    with ServerProcess(settings, tmp_path / "server.log") as server:
        server.wait_ready()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                server.base_url,
                "--users",
                "8",
                "--spawn-rate",
                "8",
                "--run-time",
                "6s",
                "--csv",
                str(tmp_path / "run"),
                "--only-summary",
                *USERS,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    with (tmp_path / "run_stats.csv").open() as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    for name in (
        "POST /v1/upi/collect",
        "POST /v1/upi/collect/{txnId}/approve",
        "GET /v1/upi/transactions/{txnId}",
        "POST /v1/upi/vpa/validate",
        "POST /v1/upi/pay (p2p)",
    ):
        assert int(rows[name]["Request Count"]) > 0, (name, output[-3000:])
    assert rows["Aggregated"]["Failure Count"] == "0", output[-3000:]
    assert "ledger of the load world" in output
    assert "NOT balanced" not in output
