"""The server under test: ``sandbox serve`` in a subprocess the benchmark owns.

Durable settings are the defaults (SQLite in WAL mode with ``synchronous=FULL``); the benchmark
only gives it a fresh data dir, turns the access log off, raises the per-key rate limits so they
never answer 429, and pins it to its own cores (children, such as uvicorn's workers, inherit the
affinity).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from loadtests.bench.procstat import (
    tree,
    tree_cpu_seconds,
    tree_main_thread_cpu_seconds,
    tree_run_queue_waits,
)
from loadtests.process import ManagedProcess, free_port

UNLIMITED_RATE = 1_000_000_000
PASSED_THROUGH = (
    "SANDBOX_GC_GEN0_THRESHOLD",
    "SANDBOX_SWEEP_SECONDS",
    "SANDBOX_WRITER_SLICE_MS",
    "SANDBOX_SQLITE_CACHE_MB",
    "SANDBOX_SQLITE_MMAP_MB",
    "SANDBOX_SQLITE_CHECKPOINTS",
    "SANDBOX_SQLITE_COMMIT_ON_LOOP_MAX",
)
"""Server settings the benchmark takes from its own environment, to compare a run without
``sandbox serve``'s GC tuning (``SANDBOX_GC_GEN0_THRESHOLD=0 sandbox bench``), without the
payment sweeper (``SANDBOX_SWEEP_SECONDS=0``), with each SQLite batch in one loop callback
(``SANDBOX_WRITER_SLICE_MS=0``) or with another SQLite page cache or memory map
(``SANDBOX_SQLITE_CACHE_MB=256``, ``SANDBOX_SQLITE_MMAP_MB``), or another WAL checkpointer
(``SANDBOX_SQLITE_CHECKPOINTS=completed``)."""


def pinned(cpus: Sequence[int] | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` that pins the child to ``cpus`` (``None``: no pinning)."""
    if not cpus:
        return None
    chosen = set(cpus)

    def pin() -> None:
        os.sched_setaffinity(0, chosen)

    return pin


class BenchServer(ManagedProcess):
    """``python -m sandbox serve`` on 127.0.0.1 with benchmark settings."""

    def __init__(
        self,
        *,
        data_dir: Path,
        log_path: Path,
        database_url: str = "",
        workers: int = 1,
        residents: int = 0,
        cpus: Sequence[int] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.database_url = database_url
        self.workers = workers
        self.residents = residents
        self.cpus = list(cpus) if cpus else None
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SANDBOX_") or k in PASSED_THROUGH
        }
        env.update(
            {
                "SANDBOX_DATA_DIR": str(self.data_dir),
                "SANDBOX_DATABASE_URL": self.database_url,
                "SANDBOX_HOST": "127.0.0.1",
                "SANDBOX_PORT": str(self.port),
                "SANDBOX_WORKERS": str(self.workers),
                "SANDBOX_ACCESS_LOG": "false",
                "SANDBOX_LOG_LEVEL": "WARNING",
                "SANDBOX_RATE_LIMIT_PER_SECOND": str(UNLIMITED_RATE),
                "SANDBOX_RATE_LIMIT_BURST": str(UNLIMITED_RATE),
                "SANDBOX_SIGNUP_RATE_LIMIT_PER_MINUTE": "10000",
                "SANDBOX_WORLD_RESIDENTS": str(self.residents),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def start(self, timeout: float = 60.0) -> BenchServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sandbox", "serve"],
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches only it
                preexec_fn=pinned(self.cpus),  # CPU affinity, inherited by workers
            )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        with httpx.Client(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"the server exited with {self.proc.returncode} before it was ready:\n"
                        f"{self.log_tail()}"
                    )
                try:
                    response = client.get("/readyz")
                except httpx.TransportError as exc:
                    last = repr(exc)
                else:
                    if response.status_code == 200 and self._workers_up():
                        return
                    last = f"{response.status_code} {response.text}"
                time.sleep(0.1)
        raise RuntimeError(
            f"the server was not ready after {timeout} s ({last}):\n{self.log_tail()}"
        )

    def _workers_up(self) -> bool:
        """With several workers, wait until the supervisor has started them all."""
        if self.workers <= 1 or self.proc is None:
            return True
        return len(tree(self.proc.pid)) > self.workers

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def pids(self) -> list[int]:
        """The server's processes (the supervisor and its workers)."""
        return tree(self.pid)

    def cpu_seconds(self) -> float:
        """CPU seconds the server's processes have used so far."""
        return tree_cpu_seconds(self.pid)

    def main_thread_cpu_seconds(self) -> float:
        """CPU seconds of the processes' main threads (the event loops) so far."""
        return tree_main_thread_cpu_seconds(self.pid)

    def run_queue_waits(self) -> dict[int, float]:
        """Seconds each server thread has waited for a CPU so far (other work on the box)."""
        return tree_run_queue_waits(self.pid)
