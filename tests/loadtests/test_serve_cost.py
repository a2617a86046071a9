"""``loadtests.serve_cost``'s reading of ``perf stat``, and the paced client's no-op request."""

from __future__ import annotations

from loadtests.paced_client import NOOP_REQUEST
from loadtests.serve_cost import perf_counts

PERF = """\
# started on Mon Nov 30 15:40:00 2026

python-101,2020,,syscalls:sys_enter_futex,397584,100.00,,
python-101,1900,,syscalls:sys_enter_write,397584,100.00,,
python-103,7,,syscalls:sys_enter_fdatasync,39018,100.00,,
python-104,0,,syscalls:sys_enter_futex,39018,100.00,,
python-105,<not counted>,,syscalls:sys_enter_futex,0,0.00,,
"""


def test_perf_counts_reads_calls_by_thread_label() -> None:
    labels = {101: "loop", 103: "python#3", 104: "python", 105: "python#4"}
    assert perf_counts(PERF, labels) == {
        "loop": {"futex": 2020, "write": 1900},
        "python#3": {"fdatasync": 7},
        "python": {"futex": 0},
    }


def test_perf_counts_leaves_out_threads_it_was_not_given() -> None:
    assert perf_counts(PERF, {103: "python#3"}) == {"python#3": {"fdatasync": 7}}


def test_the_no_op_request_is_one_complete_http_request() -> None:
    assert NOOP_REQUEST.startswith(b"GET /healthz HTTP/1.1\r\n")
    assert NOOP_REQUEST.endswith(b"\r\n\r\n")
