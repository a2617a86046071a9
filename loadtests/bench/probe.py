"""The latency probe: one ``http.client`` connection sending P2P payments one after another at a
few tens per second, beside locust's background load, from a process of its own
(``loadtests/probe_process.py``).

Locust's FastHttpUser sends a POST's headers and body in separate segments, and Nagle's
algorithm with delayed ACKs on the load generator's side adds milliseconds that the server never
spent (DESIGN section 10: a payment's p50 13-15 ms in locust, 1.4 ms with ``http.client``).
``http.client`` sends headers and a bytes body in one ``send``, so the probe's percentiles are
the server's latency plus the loopback plus the probe's own wait for a CPU, which it reports
apart (``ownCpuWaitMs``). The report gives locust's and the probe's figures.

Until 2026-11-30 the probe was a thread of the bench's own unpinned process: it ran on the
server's core for most requests (taking CPU from the server) and shared the bench's GIL. It now
runs in its own process, pinned to the load generator's cores when the bench pins.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from urllib.parse import urlsplit

from loadtests.parties import Parties
from loadtests.probe_process import DEFAULT_RATE, ProbeResult, Schedule, run

__all__ = ["DEFAULT_RATE", "Probe", "ProbeResult"]


class Probe:
    """Start it, let the phase run, ``stop()`` it for its result."""

    def __init__(
        self,
        host: str,
        api_key: str,
        parties: Parties,
        *,
        amount: str,
        rate: float = DEFAULT_RATE,
        timeout: float = 10.0,
        cpus: Sequence[int] | None = None,
        noop: bool = False,
    ) -> None:
        url = urlsplit(host)
        self._schedule = Schedule(
            address=(url.hostname or "127.0.0.1", url.port or 80),
            api_key=api_key,
            parties=parties,
            amount=amount,
            rate=rate,
            timeout=timeout,
            cpus=list(cpus) if cpus else None,
            noop=noop,
        )
        context = multiprocessing.get_context("spawn")  # no fork of the bench's threads
        self._stop = context.Event()
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=run, args=(self._schedule, self._stop, send), name="latency-probe", daemon=True
        )
        self._send = send

    def start(self) -> Probe:
        self._process.start()
        self._send.close()  # the child holds its own end
        return self

    def stop(self) -> ProbeResult:
        self._stop.set()
        wait = self._schedule.timeout + 10
        try:
            if self._receive.poll(wait):
                return self._receive.recv()  # type: ignore[no-any-return]
            failed = ProbeResult(rate=self._schedule.rate, cpus=self._schedule.cpus)
            failed.failures["probe process: no result"] = 1
            return failed
        except EOFError:
            failed = ProbeResult(rate=self._schedule.rate, cpus=self._schedule.cpus)
            failed.failures[f"probe process: exited with {self._process.exitcode}"] = 1
            return failed
        finally:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
            self._receive.close()
