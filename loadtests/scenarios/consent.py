"""Consent (Account Aggregator): a year of a busy account's statement, requested, fetched and
decrypted by the FIU, as fast as the answers come back.

Each process makes a pool of approved consents before its users start
(``loadtests/consent_pool.py``). One task is one cycle on a consent leased from the pool:
``POST /aa/FI/request`` for the consent's whole range (365 days) with a fresh X25519 key, then
``POST /aa/FI/fetch`` of the session, then the decryption of every account's document on the
load generator (``sandbox.client.crypto.decrypt_fi``). Locust counts the two requests; the
decryption's time is recorded as a third entry, ``decrypt FI (locust side)``, so it is visible
and not mistaken for the server's. A cycle whose fetch answers no document, or a document that
does not open or is not the deposit XML, is a failure.
"""

from __future__ import annotations

import logging
import time
import uuid

import gevent  # type: ignore[import-untyped]
from locust import task
from locust.exception import StopUser

from loadtests.consent_pool import (
    DECRYPT_NAME,
    FETCH_NAME,
    REQUEST_NAME,
    ConsentPool,
    PooledConsent,
    envelope,
    pool_for,
)
from loadtests.scenarios.base import SandboxUser
from sandbox.client.crypto import decrypt_fi, new_fi_key

log = logging.getLogger("loadtests")

DECRYPT_TYPE = "CPU"


class FiFetchUser(SandboxUser):
    """Requests, fetches and decrypts a year of Meera's CURRENT account statement."""

    pool: ConsentPool

    def on_start(self) -> None:
        super().on_start()
        try:
            self.pool = pool_for(self.world, self.config.consent_pool, self.config.setup_timeout)
        except Exception as exc:
            log.error("making the consent pool failed on %s: %s", self.host, exc)
            self.environment.process_exit_code = 2
            if self.environment.runner is not None:
                gevent.spawn(self.environment.runner.quit)
            raise StopUser() from exc

    @task
    def fetch_statement(self) -> None:
        consent = self.pool.take()
        if consent is None:
            log.error("every consent of the pool spent its Frequency: raise LOADTEST_CONSENT_POOL")
            raise StopUser()
        ok = False
        try:
            ok = self._cycle(consent)
        finally:
            self.pool.give_back(consent, ok=ok)

    def _cycle(self, consent: PooledConsent) -> bool:
        now = self.pool.now()
        key = new_fi_key(int(now.timestamp() * 1_000_000))
        requested = self.call(
            "POST",
            "/aa/FI/request",
            name=REQUEST_NAME,
            json=envelope(
                self.pool,
                str(uuid.uuid4()),
                FIDataRange={"from": consent.data_from, "to": consent.data_to},
                Consent={"id": consent.consent_id, "digitalSignature": consent.signature},
                KeyMaterial=key.key_material(),
            ),
            expect_code=None,
        )
        if requested is None:
            return False
        fetched = self.call(
            "POST",
            "/aa/FI/fetch",
            name=FETCH_NAME,
            json=envelope(self.pool, str(uuid.uuid4()), sessionId=requested["sessionId"]),
            expect_code=None,
        )
        if fetched is None:
            return False
        started = time.perf_counter()
        error: Exception | None = None
        size = 0
        try:
            documents = decrypt_fi(fetched, key)
            if not documents:
                raise ValueError("the fetch answered no document")
            for doc in documents:
                if "<Transactions" not in doc.document:
                    raise ValueError(f"{doc.masked_acc_number}: no Transactions in the document")
                size += len(doc.document)
        except Exception as exc:
            error = exc
        self.environment.events.request.fire(
            request_type=DECRYPT_TYPE,
            name=DECRYPT_NAME,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=size,
            exception=error,
            context={},
        )
        return error is None
