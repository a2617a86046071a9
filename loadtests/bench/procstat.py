"""CPU time of processes, read from ``/proc`` (Linux): ``utime + stime`` of a process tree.

``/proc/<pid>/stat`` counts every thread of a process, so a server's writer thread is included;
a tree adds the live descendants (uvicorn's worker processes under its supervisor).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_PROC = Path("/proc")


def clock_ticks() -> int:
    """Kernel clock ticks per second (``utime`` and ``stime`` are counted in them)."""
    return int(os.sysconf("SC_CLK_TCK"))


def _stat_cpu(path: Path) -> float:
    try:
        text = path.read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)": field 3 (state) is index 0
    return (int(fields[11]) + int(fields[12])) / clock_ticks()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of one live process (all its threads); 0.0 once it is gone."""
    return _stat_cpu(_PROC / str(pid) / "stat")


def main_thread_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process's main thread alone (a uvicorn worker's event loop)."""
    return _stat_cpu(_PROC / str(pid) / "task" / str(pid) / "stat")


def children(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    found: list[int] = []
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return found
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and all its live descendants."""
    seen: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(children(current))
    return seen


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants."""
    return sum(cpu_seconds(p) for p in tree(pid))


def tree_main_thread_cpu_seconds(pid: int) -> float:
    """CPU seconds of the main threads of ``pid`` and its live descendants."""
    return sum(main_thread_cpu_seconds(p) for p in tree(pid))


def run_queue_wait_seconds(pid: int) -> float:
    """Seconds the threads of ``pid`` have waited, runnable, for a CPU (``schedstat``): high
    when other processes compete for the cores the server may use."""
    total = 0
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0.0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
            continue
    return total / 1e9


def tree_run_queue_wait_seconds(pid: int) -> float:
    """``run_queue_wait_seconds`` of ``pid`` and its live descendants."""
    return sum(run_queue_wait_seconds(p) for p in tree(pid))


def cpu_by_pid(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds of each of ``pids`` (0.0 for one that is gone)."""
    return {pid: cpu_seconds(pid) for pid in pids}
