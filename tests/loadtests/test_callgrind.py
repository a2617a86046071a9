"""``loadtests.callgrind`` outside valgrind does nothing, and reads labelled dumps back."""

from __future__ import annotations

import os
from pathlib import Path

from loadtests import callgrind


def test_counting_is_a_no_op_outside_valgrind() -> None:
    assert not callgrind.running()
    with callgrind.counting("p2p 1"):
        total = sum(range(10))
    assert total == 45


def test_totals_are_read_from_each_labelled_dump_of_this_process(tmp_path: Path) -> None:
    pid = os.getpid()
    (tmp_path / f"callgrind.out.{pid}").write_text("desc: Trigger: Program termination\n")
    for n, (label, total) in enumerate([("p2p 1", 1200), ("no-op 1", 900)], start=1):
        text = f"version: 1\ndesc: Trigger: dump {label}\nsummary: {total}\ntotals: {total}\n"
        (tmp_path / f"callgrind.out.{pid}.{n}").write_text(text)
    (tmp_path / f"callgrind.out.{pid + 1}.1").write_text("desc: Trigger: dump other\ntotals: 5\n")
    assert callgrind.totals(tmp_path) == {"p2p 1": 1200, "no-op 1": 900}
