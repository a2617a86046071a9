"""Delivers queued webhook events: signed, retried with bounded exponential backoff, logged.

One dispatcher task runs per API process. Deliveries are claimed with a lease (and, on
PostgreSQL, ``FOR UPDATE SKIP LOCKED``), so several processes share the work; a process that dies
mid-delivery leaves the lease to expire and another retries: delivery is at least once, and
each event carries an id for receivers to drop duplicates.

The body and signature of each attempt come from the ``Signer`` registered for the event type's
prefix (``signing.signer_for``), HMAC by default; the dispatcher adds the headers every
delivery carries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping

import httpx
from sqlalchemy.engine import Connection

from sandbox.kit.clock import SYSTEM_CLOCK, Clock
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks import signing
from sandbox.webhooks.store import DueDelivery, claim_due, record_attempt

log = logging.getLogger("sandbox.webhooks")
MAX_BACKOFF_SECONDS = 300.0
BATCH = 32


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Delay before attempt ``attempts + 1``: base x 2^(attempts-1), at most 300 s."""
    return float(min(settings.webhook_backoff_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS))


class Dispatcher:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        signers: Mapping[str, signing.Signer] | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.signers: Mapping[str, signing.Signer] = dict(signers or {})
        self.client = client or httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False
        )
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    def wake(self) -> None:
        """Look for due deliveries now instead of at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Finish the round in progress (its database writes included), then stop."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=30)
            except TimeoutError:  # a stuck round: give up on it
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        await self.client.aclose()

    async def _run(self) -> None:
        while not self._stopping:
            # cleared before the round, so a wake() during the round starts the next one at once
            self._wake.clear()
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook dispatch round failed")
                sent = 0
            if sent or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.webhook_poll_seconds)

    async def run_once(self) -> int:
        """Claim due deliveries and attempt each once; returns how many were attempted."""
        lease_us = int((self.settings.webhook_timeout_seconds + 30) * 1_000_000)

        def claim(conn: Connection) -> list[DueDelivery]:
            return claim_due(conn, now_us=self.clock.now_us(), lease_us=lease_us, limit=BATCH)

        due = await self.db.write(claim)
        results = await asyncio.gather(*(self._attempt(d) for d in due), return_exceptions=True)
        for delivery, result in zip(due, results, strict=True):
            if isinstance(result, Exception):
                log.error(
                    "webhook attempt not recorded; retried when its lease expires",
                    exc_info=result,
                    extra={"delivery_id": delivery.id},
                )
        return len(due)

    def _request(self, delivery: DueDelivery) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one attempt, signed by the event type's signer."""
        signer = signing.signer_for(str(delivery.event["type"]), self.signers)
        body = signer.body(delivery.event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "india-stack-sandbox-webhooks/1",
            **signer.headers(delivery, body),
            "Sandbox-Event-Id": str(delivery.event["id"]),
            "Sandbox-Event-Type": str(delivery.event["type"]),
            "Sandbox-Delivery-Id": delivery.id,
        }
        return body, headers

    async def _attempt(self, delivery: DueDelivery) -> None:
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            # signing inside the try: a signer that fails (a missing key) is a logged, failed
            # attempt the partner can see, not a lease left to expire
            body, headers = self._request(delivery)
            response = await self.client.post(delivery.url, content=body, headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"receiver answered HTTP {status_code}"
        except Exception as exc:  # any failure to send is a failed attempt, never a stuck lease
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = int((time.perf_counter() - started) * 1000)
        attempts = delivery.attempts + 1
        now_us = self.clock.now_us()
        if error is None:
            new_status, next_us = "succeeded", None
        elif attempts >= self.settings.webhook_max_attempts:
            new_status, next_us = "failed", None
        else:
            delay = backoff_seconds(self.settings, attempts)
            new_status, next_us = "pending", now_us + int(delay * 1_000_000)
        log.info(
            "webhook attempt",
            extra={
                "delivery_id": delivery.id,
                "event_type": delivery.event.get("type"),
                "attempt": attempts,
                "status_code": status_code,
                "outcome": new_status,
                "ms": duration_ms,
                "error": error,
            },
        )

        def unit(conn: Connection) -> None:
            record_attempt(
                conn,
                delivery=delivery,
                attempted_us=now_us,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                new_status=new_status,
                next_attempt_us=next_us,
            )

        await self.db.write(unit)
