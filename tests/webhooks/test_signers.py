"""A signer per event-type prefix: a spec's own body and signature for its events, HMAC for the
rest (the seam AA's detached-JWS notifications plug into)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks.dispatcher import Dispatcher
from sandbox.webhooks.signing import HMAC, Signer, encode, signer_for, verify
from sandbox.webhooks.store import DueDelivery, WebhookStore
from tests.support.http import client_for, sign_up
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.anyio


class FakeSigner:
    """Sends only the event's ``data`` (a spec-shaped body) with a header naming the delivery."""

    def body(self, event: Mapping[str, Any]) -> bytes:
        return json.dumps(event["data"]).encode()

    def headers(self, delivery: DueDelivery, body: bytes) -> Mapping[str, str]:
        return {"X-Fake-Signature": f"{delivery.id}:{len(body)}"}


def _queue(db: Database, world_id: str, url: str, *events: tuple[str, str, dict[str, Any]]) -> Any:
    """Write each (delivery id, event type, data) as an event with one pending delivery."""

    def unit(conn: Any) -> None:
        store = WebhookStore(conn, world_id)
        for delivery_id, event_type, data in events:
            event_id = "evt_" + delivery_id
            payload = {"id": event_id, "type": event_type, "data": data}
            store.add_event(
                event_id=event_id, type=event_type, payload=payload, now_us=1, world_time_us=1
            )
            store.add_delivery(delivery_id=delivery_id, event_id=event_id, url=url, now_us=1)

    return db.write(unit)


async def test_the_signer_registered_for_a_prefix_signs_its_events_and_hmac_the_rest(
    make_settings: Any, app: FastAPI, receiver: Receiver
) -> None:
    settings: Settings = make_settings()
    db: Database = app.state.sandbox.db
    dispatcher = Dispatcher(db, settings, signers={"fake.": FakeSigner()})
    try:
        async with client_for(app) as client:
            partner = await sign_up(client)
        await _queue(
            db,
            partner.partner_id,
            receiver.url,
            ("whd_fake", "fake.consent.approved", {"ver": "2.0.0", "consentId": "c-1"}),
            ("whd_ping", "sandbox.ping", {"message": "hello"}),
        )
        assert await dispatcher.run_once() == 2
    finally:
        await dispatcher.stop()

    requests = {r.headers["sandbox-delivery-id"]: r for r in receiver.received()}
    assert set(requests) == {"whd_fake", "whd_ping"}

    fake = requests["whd_fake"]
    assert json.loads(fake.body) == {"ver": "2.0.0", "consentId": "c-1"}
    assert fake.headers["x-fake-signature"] == f"whd_fake:{len(fake.body)}"
    assert "sandbox-signature" not in fake.headers
    # a spec's own signature only: no Standard Webhooks headers either (docs/decisions)
    assert not [name for name in fake.headers if name.startswith("webhook-")]
    assert fake.headers["sandbox-event-type"] == "fake.consent.approved"
    assert fake.headers["content-type"] == "application/json"

    ping = requests["whd_ping"]
    assert "x-fake-signature" not in ping.headers
    verify(
        partner.webhook_secret, ping.headers["sandbox-signature"], ping.body, now=int(time.time())
    )
    assert ping.body == encode(json.loads(ping.body))  # the envelope, canonical as before
    Webhook(partner.webhook_secret).verify(ping.body, ping.headers)
    assert ping.headers["webhook-id"] == "evt_whd_ping"


async def test_a_signer_that_fails_is_a_recorded_failed_attempt(
    make_settings: Any, app: FastAPI, receiver: Receiver
) -> None:
    class Broken(FakeSigner):
        def headers(self, delivery: DueDelivery, body: bytes) -> Mapping[str, str]:
            raise LookupError("no signing key in the data dir")

    settings: Settings = make_settings(webhook_max_attempts=1)
    db: Database = app.state.sandbox.db
    dispatcher = Dispatcher(db, settings, signers={"fake.": Broken()})
    try:
        async with client_for(app) as client:
            partner = await sign_up(client)
            await _queue(db, partner.partner_id, receiver.url, ("whd_broken", "fake.x", {}))
            assert await dispatcher.run_once() == 1
            response = await client.get(
                "/v1/sandbox/webhooks/deliveries/whd_broken", headers=partner.headers
            )
    finally:
        await dispatcher.stop()
    done = response.json()
    assert done["status"] == "failed"
    assert "LookupError: no signing key" in done["attemptLog"][0]["error"]
    assert receiver.received() == []


def test_the_longest_registered_prefix_wins_and_hmac_is_the_default() -> None:
    short, long = FakeSigner(), FakeSigner()
    signers: dict[str, Signer] = {"aa.": short, "aa.fi.": long}
    assert signer_for("aa.consent.approved", signers) is short
    assert signer_for("aa.fi.ready", signers) is long
    assert signer_for("payment.settled", signers) is HMAC
    assert signer_for("sandbox.ping", {}) is HMAC
