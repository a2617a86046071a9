"""Instruction counts of chosen stretches of an in-process harness run under callgrind.

    valgrind --tool=callgrind --instr-atstart=no .venv/bin/python -m loadtests.pay_timing ...

Run so (``--instr-atstart=no``), a harness counts only what ``counting`` wraps: it zeroes the
counters, switches instrumentation on, and at the end dumps them labelled and switches it off
again (``callgrind_control``, which talks to this very process through vgdb). ``totals`` then
reads each labelled dump's instruction count back from the output files. Callgrind runs one
thread at a time, so the counts are every thread's (the event loop's, the commit thread's, the
checkpointer's) and do not depend on how busy the machine is, unlike CPU time. Outside valgrind
``counting`` does nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def running() -> bool:
    """Whether this process runs under valgrind (which sets ``LD_PRELOAD`` to its preloads)."""
    return "vgpreload" in os.environ.get("LD_PRELOAD", "")


def _control(*args: str) -> None:
    subprocess.run(  # noqa: S603 - our own arguments, to valgrind's tool
        [shutil.which("callgrind_control") or "callgrind_control", *args, str(os.getpid())],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextmanager
def counting(label: str) -> Iterator[None]:
    """Count the instructions of the block under callgrind, dumped as ``label``."""
    if not running() or not label:
        yield
        return
    _control("--zero")
    _control("--instr=on")
    try:
        yield
    finally:
        _control(f"--dump={label}")
        _control("--instr=off")


def totals(directory: Path = Path()) -> dict[str, int]:
    """Instructions of each labelled dump of this process (callgrind's default output names,
    ``callgrind.out.<pid>.<n>`` in ``directory``), by label."""
    found: dict[str, int] = {}
    for path in sorted(directory.glob(f"callgrind.out.{os.getpid()}.*")):
        label, total = "", 0
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("desc: Trigger: dump "):
                label = line.removeprefix("desc: Trigger: dump ").strip()
            elif line.startswith("totals:"):
                total = int(line.split()[1])
        if label:
            found[label] = total
    return found
