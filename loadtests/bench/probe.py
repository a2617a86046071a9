"""The latency probe: one ``http.client`` connection sending P2P payments one after another at a
few tens per second, beside locust's background load.

Locust's FastHttpUser sends a POST's headers and body in separate segments, and Nagle's
algorithm with delayed ACKs on the load generator's side adds milliseconds that the server never
spent (DESIGN section 10: a payment's p50 13-15 ms in locust, 1.4 ms with ``http.client``).
``http.client`` sends headers and a bytes body in one ``send``, so the probe's percentiles are
the server's latency plus the loopback. The report gives both figures.

The probe keeps a schedule (request ``i`` is due at ``start + i / rate``); a late answer makes the
next request go at once, not skip, and its latency is measured from when it was sent.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from loadtests.config import PAY_PATH
from loadtests.latency import Histogram
from loadtests.parties import Parties

DEFAULT_RATE = 20.0
"""Payments per second: a few tens, small beside the paced phases' rate."""


@dataclass
class ProbeResult:
    histogram: Histogram = field(default_factory=Histogram)
    failures: dict[str, int] = field(default_factory=dict)
    rate: float = DEFAULT_RATE

    @property
    def requests(self) -> int:
        return self.histogram.count + sum(self.failures.values())

    def to_json(self) -> dict[str, object]:
        return {
            "ratePerSecond": self.rate,
            "requests": self.requests,
            "failures": sum(self.failures.values()),
            "failuresByError": self.failures,
            "latencyMs": self.histogram.summary(),
            "latencyBuckets": self.histogram.coarse(),
        }


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
    ) -> None:
        url = urlsplit(host)
        self._address = (url.hostname or "127.0.0.1", url.port or 80)
        self._api_key = api_key
        self._parties = parties
        self._amount = amount
        self._timeout = timeout
        self.result = ProbeResult(rate=rate)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="latency-probe", daemon=True)

    def start(self) -> Probe:
        self._thread.start()
        return self

    def stop(self) -> ProbeResult:
        self._stop.set()
        self._thread.join(timeout=self._timeout + 5)
        return self.result

    def _body(self, rng: random.Random) -> bytes:
        payer, payee = self._parties.pair(rng)
        return json.dumps(
            {
                "payer": {"vpa": payer.vpa, "pin": payer.pin},
                "payee": {"vpa": payee.vpa},
                "amount": self._amount,
                "note": "latency probe",
            }
        ).encode()

    def _run(self) -> None:
        rng = random.Random()
        interval = 1.0 / self.result.rate
        conn = http.client.HTTPConnection(*self._address, timeout=self._timeout)
        start = time.monotonic()
        sent = 0
        try:
            while not self._stop.is_set():
                due = start + sent * interval
                pause = due - time.monotonic()
                if pause > 0 and self._stop.wait(pause):
                    break
                sent += 1
                conn = self._one(conn, self._body(rng))
        finally:
            conn.close()

    def _one(self, conn: http.client.HTTPConnection, body: bytes) -> http.client.HTTPConnection:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        began = time.perf_counter()
        try:
            conn.request("POST", PAY_PATH, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._fail(f"connection: {type(exc).__name__}")
            conn.close()
            return http.client.HTTPConnection(*self._address, timeout=self._timeout)
        elapsed_ms = (time.perf_counter() - began) * 1000.0
        if response.status != 200:
            self._fail(f"HTTP {response.status}")
            return conn
        code = json.loads(payload).get("responseCode")
        if code != "00":
            self._fail(f"responseCode {code}")
            return conn
        self.result.histogram.add(elapsed_ms)
        return conn

    def _fail(self, key: str) -> None:
        self.result.failures[key] = self.result.failures.get(key, 0) + 1
