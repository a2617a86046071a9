"""The latency probe runs in a process of its own, pinned where it is told, and reports its own
wait for a CPU apart from the latency it measured."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from loadtests.bench.probe import Probe
from loadtests.config import PAY_PATH
from loadtests.parties import Parties, Party
from loadtests.probe_process import NOOP_PATH


class _Payments(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the sandbox's server
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        _Payments.seen.append(self.path)
        body = json.dumps({"responseCode": "00"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        _Payments.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Payments)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


PARTIES = Parties(
    (Party("a@sandbox", "1234", 100_000, False), Party("b@sandbox", "1234", 100_000, False))
)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux's")
def test_the_probe_runs_pinned_in_its_own_process_and_reports_its_own_wait(server: str) -> None:
    cpu = max(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    probe = Probe(server, "key", PARTIES, amount="1.00", rate=50.0, cpus=[cpu]).start()
    time.sleep(3.0)  # the spawned process imports its modules first
    result = probe.stop()
    assert result.failures == {}
    assert result.histogram.count > 0
    assert _Payments.seen
    assert set(_Payments.seen) == {PAY_PATH}
    assert result.cpus == [cpu]
    # measured per payment, where /proc/thread-self/schedstat exists (Linux)
    if os.path.exists("/proc/thread-self/schedstat"):
        assert result.own_wait.count == result.histogram.count
    assert "ownCpuWaitMs" in result.to_json()
    assert os.sched_getaffinity(0) == before  # the pinning was the probe process's, not ours


def test_a_probe_whose_server_is_gone_reports_failures_not_a_hang() -> None:
    probe = Probe("http://127.0.0.1:9", "key", PARTIES, amount="1.00", rate=20.0, timeout=1.0)
    probe.start()
    time.sleep(3.0)  # the spawned process imports its modules first
    result = probe.stop()
    assert result.histogram.count == 0
    assert sum(result.failures.values()) > 0


def test_a_no_op_probe_sends_the_no_op_and_counts_its_answers(server: str) -> None:
    _Payments.seen.clear()
    probe = Probe(server, "key", PARTIES, amount="1.00", rate=50.0, noop=True).start()
    time.sleep(3.0)  # the spawned process imports its modules first
    result = probe.stop()
    assert result.failures == {}
    assert result.histogram.count > 0
    assert set(_Payments.seen) == {NOOP_PATH}
