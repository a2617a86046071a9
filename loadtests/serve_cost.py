"""What a payment costs ``sandbox serve`` per thread at a paced rate: user and kernel CPU, and
context switches, per payment.

Starts the real server (``sandbox serve``: uvloop, httptools, as the bench runs it) pinned to CPU
0 on a fresh data dir, signs a partner up, and drives it with ``loadtests.paced_client`` pinned
to CPU 1 (open loop, ``--rate`` payments per second for ``--seconds``). Each thread's counters
are read from ``/proc/<pid>/task/<tid>/{stat,status,schedstat}`` as the paced part starts and
ends. Kernel CPU (the commit thread's ``pwrite``/``fdatasync``, the loop's ``epoll_wait`` and
socket calls) and context switches are what callgrind's user-space instruction counts leave
out; comparing a low rate with a high one shows what a quiet server pays per payment beyond
the same instructions.

    .venv/bin/python -m loadtests.serve_cost --rate 200 --seconds 15
    .venv/bin/python -m loadtests.serve_cost --rate 200 --rate 1200 --seconds 15
    .venv/bin/python -m loadtests.serve_cost --rate 600 --noop --syscalls

``--noop`` paces the no-op (``GET /healthz``) instead of payments, the figure to subtract.
``--syscalls`` counts each thread's system calls per request (``perf stat`` on the kernel's
``syscalls:sys_enter_*`` tracepoints, per thread: counted in the kernel, no ptrace stops, so the
server runs at its usual speed): on the loop, ``epoll_wait``/``epoll_pwait`` are its turns,
``futex`` its GIL waits and hand-offs, ``read`` the sockets' and the eventfd that
``call_soon_threadsafe`` writes (the commit thread's ``write``), ``write`` the answers; on the
commit thread, ``fdatasync`` counts the batches (one COMMIT each).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from loadtests.bench.procstat import clock_ticks
from loadtests.bench.server import BenchServer
from loadtests.latency import Histogram

_SECONDS = ("cpu", "user", "sys", "waited")
_STATUS_KEYS = ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")


def thread_counters(pid: int) -> dict[str, dict[str, float]]:
    """Per thread: CPU seconds (``schedstat``'s, exact), of it user and kernel (``stat``'s, in
    clock ticks: sampled), run-queue wait seconds, voluntary and involuntary context switches.
    The main thread is ``loop``; the others by their OS name (Python does not set it: ``python``,
    ``python#2``... in start order: the SQLite writer, the checkpointer, the commit thread)."""
    ticks = clock_ticks()
    found: dict[str, dict[str, float]] = {}
    for task in sorted(Path(f"/proc/{pid}/task").iterdir(), key=lambda p: int(p.name)):
        try:
            stat = (task / "stat").read_text()
            status = (task / "status").read_text()
            sched = (task / "schedstat").read_text().split()
        except OSError:
            continue
        name = "loop" if task.name == str(pid) else stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        row = {"cpu": int(sched[0]) / 1e9, "user": int(fields[11]) / ticks}
        row["sys"] = int(fields[12]) / ticks
        row["waited"] = int(sched[1]) / 1e9
        for line in status.splitlines():
            key, _, value = line.partition(":")
            if key in _STATUS_KEYS:
                row[key.split("_")[0]] = float(value)
        label, n = name, 1
        while label in found:
            n += 1
            label = f"{name}#{n}"
        found[label] = row
    return found


SYSCALLS = (
    "epoll_wait", "epoll_pwait", "futex", "read", "write", "writev", "sendto", "recvfrom",
    "fcntl", "getpid", "pread64", "pwrite64", "fdatasync", "getrandom",
)  # fmt: skip
"""The system calls ``--syscalls`` counts (one tracepoint each)."""


def thread_labels(pid: int) -> dict[int, str]:
    """Each thread's id and label: ``loop`` for the main thread, the others by their OS name
    (``python``, ``python#2``... in start order), as ``thread_counters`` names them."""
    labels: dict[int, str] = {}
    for task in sorted(Path(f"/proc/{pid}/task").iterdir(), key=lambda p: int(p.name)):
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = "loop" if task.name == str(pid) else stat[stat.index("(") + 1 : stat.rindex(")")]
        label, n = name, 1
        while label in labels.values():
            n += 1
            label = f"{name}#{n}"
        labels[int(task.name)] = label
    return labels


def perf_counts(text: str, labels: dict[int, str]) -> dict[str, dict[str, int]]:
    """``perf stat -x, --per-thread``'s lines (``comm-tid,count,,syscalls:sys_enter_NAME,...``)
    as calls per system call, by thread label; threads not in ``labels`` are left out."""
    found: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        fields = line.split(",")
        if len(fields) < 4 or not fields[3].startswith("syscalls:sys_enter_"):
            continue
        tid = fields[0].rpartition("-")[2]
        if not tid.isdigit() or int(tid) not in labels or not fields[1].isdigit():
            continue
        name = fields[3].removeprefix("syscalls:sys_enter_")
        found.setdefault(labels[int(tid)], {})[name] = int(fields[1])
    return found


def one_rate(
    rate: float, seconds: float, residents: int, *, noop: bool = False, syscalls: bool = False
) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="serve_cost_") as tmp:
        server = BenchServer(
            data_dir=Path(tmp) / "data",
            log_path=Path(tmp) / "server.log",
            residents=residents,
            cpus=[0],
        )
        server.start()
        try:
            answer = httpx.post(
                f"{server.base_url}/v1/partners",
                json={"name": "Cost", "contactEmail": "cost@example.com", "country": "IN"},
                timeout=60,
            )
            api_key = answer.json()["apiKey"]
            command = [
                "taskset", "-c", "1", sys.executable, "-m", "loadtests.paced_client",
                "--port", str(server.port), "--api-key", api_key, "--rate", str(rate),
                "--seconds", str(seconds), "--residents", str(residents),
            ]  # fmt: skip
            if noop:
                command.append("--noop")
            client = subprocess.Popen(command, stdout=subprocess.PIPE)  # noqa: S603
            time.sleep(1.0)  # the client builds its parties first
            counter, counted = None, Path(tmp) / "perf.txt"
            if syscalls:
                events = ",".join(f"syscalls:sys_enter_{name}" for name in SYSCALLS)
                counter = subprocess.Popen(  # noqa: S603
                    ["perf", "stat", "-x,", "--per-thread", "-o", str(counted),  # noqa: S607
                     "-e", events, "-p", str(server.pid)],
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
            before = thread_counters(server.pid)
            out, _ = client.communicate()
            after = thread_counters(server.pid)
            calls: dict[str, dict[str, int]] = {}
            if counter is not None:
                counter.send_signal(signal.SIGINT)
                counter.wait(timeout=30)
                calls = perf_counts(counted.read_text(), thread_labels(server.pid))
        finally:
            server.stop()
    result = json.loads(out)
    sent = Histogram.from_json(result["fromSentMs"]).summary()
    payments = int(sent["count"] or 1)
    per_payment: dict[str, dict[str, float]] = {}
    for name, row in after.items():
        was = before.get(name, {})
        per_payment[name] = {
            k: round((v - was.get(k, 0.0)) / payments * (1e6 if k in _SECONDS else 1), 2)
            for k, v in row.items()
        }
    busy = {n: r for n, r in per_payment.items() if r["cpu"] > 1 or r["voluntary"] > 0.01}
    found: dict[str, object] = {}
    if calls:
        found["syscallsPerRequest"] = {
            thread: {
                name: round(n / payments, 3)
                for name, n in sorted(counts.items(), key=lambda kv: -kv[1])
                if n / payments >= 0.005
            }
            for thread, counts in calls.items()
            if sum(counts.values()) / payments >= 0.01
        }
    return {
        "rate": rate,
        "noop": noop,
        "achievedRate": result.get("achievedRate"),
        "payments": payments,
        "failures": result.get("failures"),
        "perPayment (us for cpu/user/sys/waited)": busy,
        "latencyMs": {k: sent.get(k) for k in ("p50", "p99", "p999", "max")},
        **found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, action="append", help="payments/s (repeatable)")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--noop", action="store_true", help="pace GET /healthz instead")
    parser.add_argument("--syscalls", action="store_true", help="system calls per request")
    args = parser.parse_args()
    for rate in args.rate or [200.0]:
        found = one_rate(rate, args.seconds, args.residents, noop=args.noop, syscalls=args.syscalls)
        print(json.dumps(found, indent=1), flush=True)


if __name__ == "__main__":
    main()
