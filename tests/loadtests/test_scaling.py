"""``sandbox bench --workers 1,2,4``: the list parsed, one row per count in one report (built
here from synthetic runs: no benchmark runs in this module)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from loadtests.bench import scaling
from loadtests.bench.runner import BenchOptions
from sandbox.cli_bench import bench


def test_a_list_of_worker_counts_is_parsed_in_order() -> None:
    assert scaling.parse_counts("1,2,4") == (1, 2, 4)
    assert scaling.parse_counts("3") == (3,)
    assert scaling.parse_counts(" 4 , 1 ") == (4, 1)


@pytest.mark.parametrize(
    ("text", "says"),
    [("two", "comma-separated"), ("0,2", "between 1 and 64"), ("", "between"), ("2,2", "repeated")],
)
def test_a_bad_list_is_refused_with_what_to_send(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        scaling.parse_counts(text)


def _run(workers: int, *, rps: float, ok: bool = True) -> dict[str, Any]:
    """A run's summary with the keys the combined report reads."""
    return {
        "mode": "postgresql",
        "quick": False,
        "ok": ok,
        "problems": [] if ok else ["3 failed requests"],
        "failuresTotal": 0 if ok else 3,
        "ratios": {
            "noopRps": 1000.0 * workers,
            "paymentRps": rps,
            "paymentToNoopRps": rps / (1000.0 * workers),
            "cpuUsPerNoop": 250.0,
            "cpuUsPerPayment": 1900.0,
        },
        "phases": {"p2p": {"databaseCpuUsPerRequest": 1300.0}},
        "ledger": {"balanced": True},
        "doubleSpendProbe": {"ok": True},
        "environment": {
            "workers": workers,
            "users": 50,
            "durationSeconds": 40,
            "locustProcesses": 2,
        },
    }


def test_several_runs_make_one_report_with_a_row_per_worker_count(tmp_path: Path) -> None:
    runs = {1: _run(1, rps=100.0), 2: _run(2, rps=180.0, ok=False)}
    summary = scaling.combine(runs, command="sandbox bench --workers 1,2")
    scaling.write(tmp_path, summary)

    written = json.loads((tmp_path / "summary.json").read_text())
    assert [row["workers"] for row in written["scaleOut"]] == [1, 2]
    two = written["scaleOut"][1]
    assert two["paymentRps"] == 180.0
    assert two["paymentToNoopRps"] == pytest.approx(0.09)
    assert two["databaseCpuUsPerPayment"] == 1300.0
    assert two["report"] == "workers-2/summary.md"
    assert written["ok"] is False
    assert written["problems"] == ["2 worker(s): 3 failed requests"]
    assert written["runs"] == {"1": "workers-1/summary.json", "2": "workers-2/summary.json"}

    text = (tmp_path / "summary.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert len(rows) == 2
    assert rows[0].startswith("| [1](workers-1/summary.md) | 1000 | 100 | 0.100 |")
    assert "PROBLEMS: 2 worker(s): 3 failed requests" in text


def test_one_count_is_a_plain_run(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def fake_run(options: BenchOptions, **_: Any) -> dict[str, Any]:
        seen.append(options.workers)
        return {"ok": True}

    monkeypatch.setattr(scaling, "run", fake_run)
    assert scaling.run_counts(BenchOptions(database="postgresql://x/y"), (2,)) == {"ok": True}
    assert seen == [2]


def test_each_count_runs_into_its_own_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folders: list[tuple[int, Path | None]] = []

    def fake_run(options: BenchOptions, **_: Any) -> dict[str, Any]:
        folders.append((options.workers, options.output_dir))
        return _run(options.workers, rps=50.0 * options.workers)

    monkeypatch.setattr(scaling, "run", fake_run)
    options = BenchOptions(database="postgresql://x/y", output_dir=tmp_path)
    summary = scaling.run_counts(options, (1, 2, 4), echo=lambda _: None)
    assert folders == [(n, tmp_path / f"workers-{n}") for n in (1, 2, 4)]
    assert [row["paymentRps"] for row in summary["scaleOut"]] == [50.0, 100.0, 200.0]
    assert (tmp_path / "summary.md").exists()


def test_the_cli_refuses_a_list_on_sqlite_and_a_bad_list() -> None:
    runner = CliRunner()
    sqlite = runner.invoke(bench, ["--workers", "1,2"])
    assert sqlite.exit_code != 0
    assert "one writer process" in sqlite.output
    bad = runner.invoke(bench, ["--workers", "1,x", "--database", "postgresql://h/db"])
    assert bad.exit_code == 2
    assert "comma-separated list" in bad.output
