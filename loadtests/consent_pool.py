"""Approved consents for the consent scenario, made before the load starts.

A consent is requested (``POST /aa/Consent``), approved (the test-only
``POST /v1/sandbox/aa/consents/{handle}/approve``), and its id and signature read back
(``/aa/Consent/handle``, ``/aa/Consent/fetch``): four requests the timed path should not carry.
Each process therefore makes a pool of them once, outside the statistics (like
``loadtests/auth_pool.py`` seals its PIDs), with the Python client (``sandbox.client``).

The consent rules the pool is built around:

- Frequency: purpose 102 allows at most 45 FI requests per 30 days of world time, so each
  consent is PERIODIC with Frequency 45 per MONTH and serves 45 cycles, then leaves the pool.
- One ACTIVE FI session per consent: a consent is leased to one user for one FI request + FI
  fetch; the fetch delivers the only account, which completes the session, and the consent goes
  back. A cycle that failed may have left its session ACTIVE: that consent is dropped.
- The customer is Meera (``meera@sandbox-aa``): a kirana's CURRENT account, whose FIP history
  has several UPI takings a day (``consent.fip.history``), the busiest statement of the
  personas. Every FI request asks for the consent's whole FIDataRange: the 365 days before setup.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loadtests.world import SetupError, World
from sandbox.client import Sandbox, consent_detail
from sandbox.client.calls import AA_VERSION, parse_time, stamp

BUSY_CUSTOMER = "meera@sandbox-aa"
USES_PER_CONSENT = 45  # purpose 102's fair use: 45 fetches a month (consent.models.PURPOSES)
RANGE_DAYS = 365
REQUEST_NAME = "POST /aa/FI/request (a year)"
FETCH_NAME = "POST /aa/FI/fetch"
DECRYPT_NAME = "decrypt FI (locust side)"


@dataclass(slots=True)
class PooledConsent:
    consent_id: str
    signature: str  # the last part of signedConsent: FIRequest's Consent.digitalSignature
    data_from: str
    data_to: str
    uses_left: int = USES_PER_CONSENT


@dataclass
class ConsentPool:
    """Consents leased one cycle at a time, and the world's clock (for the AA envelopes)."""

    consents: Iterable[PooledConsent]
    world_now: datetime
    real_at_setup: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self._free: deque[PooledConsent] = deque(self.consents)
        self.size = len(self._free)
        self.leased = 0
        if not self._free:
            raise ValueError("an empty pool")

    def __len__(self) -> int:
        return len(self._free)

    def take(self) -> PooledConsent | None:
        """A consent no other user holds (waiting for one while all are leased), or ``None``
        when every consent's Frequency is spent."""
        while not self._free:
            if self.leased == 0:
                return None
            time.sleep(0.005)  # gevent's sleep in a locust process (locust patches time)
        self.leased += 1
        return self._free.popleft()

    def give_back(self, consent: PooledConsent, *, ok: bool) -> None:
        """Return a consent after its cycle; one that failed or is used up leaves the pool."""
        self.leased -= 1
        consent.uses_left -= 1
        if ok and consent.uses_left > 0:
            self._free.append(consent)

    def now(self) -> datetime:
        """The world's time now (its clock does not move during a benchmark)."""
        return self.world_now + timedelta(seconds=time.time() - self.real_at_setup)


def make_consent(sb: Sandbox, customer: str, now: datetime) -> PooledConsent:
    """One approved consent of ``customer``, PERIODIC, Frequency 45/MONTH, a year's range."""
    data_range = {"from": stamp(now - timedelta(days=RANGE_DAYS)), "to": stamp(now)}
    detail = consent_detail(
        customer,
        now,
        FIDataRange=data_range,
        Frequency={"unit": "MONTH", "value": USES_PER_CONSENT},
    )
    handle = sb.request_consent(detail=detail)["ConsentHandle"]
    sb.approve_consent(handle)
    status = sb.consent_handle(handle)["ConsentStatus"]
    if status.get("status") != "READY":
        raise SetupError(f"consent {handle} is {status.get('status')} after approval, not READY")
    consent_id = status["id"]
    signed = sb.fetch_consent(consent_id)["signedConsent"]
    signature = signed.rsplit(".", 1)[-1]
    return PooledConsent(consent_id, signature, data_range["from"], data_range["to"])


def build_pool(world: World, size: int, timeout: float) -> ConsentPool:
    """``size`` approved consents of the busy customer, made through ``world.host``."""
    try:
        with Sandbox(api_key=world.api_key, base_url=world.host, timeout=timeout) as sb:
            now = parse_time(sb.clock()["now"])
            real = time.time()
            made = [make_consent(sb, BUSY_CUSTOMER, now) for _ in range(size)]
    except SetupError:
        raise
    except Exception as exc:  # the client's typed refusals carry the code and the hint
        raise SetupError(f"making the consent pool failed: {exc}") from exc
    return ConsentPool(made, now, real)


def envelope(pool: ConsentPool, txnid: str, **fields: Any) -> dict[str, Any]:
    """An AA request body: ver, the world's timestamp, ``txnid``, then ``fields``."""
    return {"ver": AA_VERSION, "timestamp": stamp(pool.now()), "txnid": txnid, **fields}


_lock = threading.Lock()  # a gevent lock in a locust process (locust patches threading)
_pools: dict[str, ConsentPool] = {}


def pool_for(world: World, size: int, timeout: float) -> ConsentPool:
    """This process's pool for ``world``, made on first call."""
    with _lock:
        found = _pools.get(world.host)
        if found is None:
            found = build_pool(world, size, timeout)
            _pools[world.host] = found
        return found
