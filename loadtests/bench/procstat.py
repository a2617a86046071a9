"""CPU time of processes, read from ``/proc`` (Linux): ``utime + stime`` of a process tree.

``/proc/<pid>/stat`` counts every thread of a process, so a server's writer thread is included;
a tree adds the live descendants (uvicorn's worker processes under its supervisor).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
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


def run_queue_waits(pid: int) -> dict[int, float]:
    """Seconds each thread of ``pid`` has waited, runnable, for a CPU (``schedstat``), by thread
    id: high when other processes compete for the cores the server may use."""
    found: dict[int, float] = {}
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return found
    for task in tasks:
        try:
            found[int(task.name)] = int((task / "schedstat").read_text().split()[1]) / 1e9
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
            continue
    return found


def tree_run_queue_waits(pid: int) -> dict[int, float]:
    """``run_queue_waits`` of ``pid`` and its live descendants, by thread id."""
    found: dict[int, float] = {}
    for member in tree(pid):
        found.update(run_queue_waits(member))
    return found


class Tracker:
    """Follows counters of things that come and go (threads, database backends) during a phase.

    ``read()`` returns the current counter of each live thing by id; the tracker samples it
    every ``interval`` seconds in a thread, so a thing that ends between samples loses at most
    one interval of its count, and ``stop()`` returns the growth of all of them together (a
    thing first seen after ``start()`` counts from zero).
    """

    def __init__(self, read: Callable[[], dict[int, float]], interval: float = 0.5) -> None:
        self._read = read
        self._interval = interval
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        try:
            current = self._read()
        except Exception:  # a failed sample is skipped; the next one catches up
            return
        for key, value in current.items():
            self._first.setdefault(key, 0.0)
            self._last[key] = value

    def start(self) -> Tracker:
        self._first = dict(self._read())
        self._last = dict(self._first)
        self._thread = threading.Thread(target=self._run, name="bench-tracker", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def stop(self) -> float:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sample()
        return sum(max(0.0, last - self._first.get(key, 0.0)) for key, last in self._last.items())


def cpu_by_pid(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds of each of ``pids`` (0.0 for one that is gone)."""
    return {pid: cpu_seconds(pid) for pid in pids}
