"""Standard Webhooks: what a loopback receiver gets verifies with the ``standardwebhooks``
package and the partner's secret alone, never with the sandbox's own code.

https://www.standardwebhooks.com: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature:
v1,<base64>``; the secret is ``whsec_<base64>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook, WebhookVerificationError

from sandbox.kit import secrets
from sandbox.ops.logs import mask_text
from sandbox.storage.database import Database
from sandbox.storage.schema import partners
from sandbox.webhooks.dispatcher import Dispatcher
from tests.support.http import SignedUp, running, sign_up
from tests.support.webhooks import Received, Receiver

pytestmark = pytest.mark.anyio


def _standard(secret: str, request: Received) -> dict[str, Any]:
    """The event, once the package has verified the request; raises otherwise."""
    event: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return event


async def _ping(client: Any, partner: SignedUp) -> str:
    response = await client.post("/v1/sandbox/webhooks/test", headers=partner.headers)
    assert response.status_code == 202, response.text
    event_id: str = response.json()["eventId"]
    return event_id


async def test_delivered_webhooks_verify_with_the_standardwebhooks_package(
    make_settings: Any, receiver: Receiver
) -> None:
    settings = make_settings(
        dispatch_webhooks=True, webhook_backoff_seconds=0.05, webhook_poll_seconds=0.01
    )
    receiver.fail_first = 1  # the retry is signed afresh, with the same webhook-id
    async with running(settings) as (_app, client):
        partner = await sign_up(client, webhookUrl=receiver.url)
        event_id = await _ping(client, partner)
        first, second = await receiver.wait_for(2)

    secret = partner.body["standardWebhooksSecret"]
    assert secret == partner.webhook_secret  # one secret for both signatures
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24
    for request in (first, second):
        event = _standard(secret, request)
        assert event["id"] == event_id
        assert event["type"] == "sandbox.ping"
        assert request.headers["webhook-id"] == event_id
        assert request.headers["webhook-signature"].startswith("v1,")
        assert request.headers["webhook-timestamp"].isdigit()
        assert "sandbox-signature" in request.headers  # the sandbox's own scheme stays

    # the package refuses what the sandbox did not send
    with pytest.raises(WebhookVerificationError):
        _standard(secret, Received("POST", "/", first.headers, first.body + b" ", 0.0))
    forged = {**first.headers, "webhook-id": "evt_someoneelse"}
    with pytest.raises(WebhookVerificationError):
        _standard(secret, Received("POST", "/", forged, first.body, 0.0))
    other = "whsec_" + base64.b64encode(b"\x01" * 24).decode()
    with pytest.raises(WebhookVerificationError):
        _standard(other, first)


async def test_a_secret_issued_before_verifies_in_its_standard_base64_form(
    make_settings: Any, receiver: Receiver
) -> None:
    """Secrets issued before were ``whsec_`` + URL-safe base64: the libraries read standard
    base64, so the documented mapping (``-`` to ``+``, ``_`` to ``/``) gives the secret they
    take, while ``Sandbox-Signature`` keeps verifying with the string as issued."""
    raw = bytes([0xFB, 0xEF, 0xBE, 0xFF, 0xFF, 0xFF]) * 4
    legacy_secret = "whsec_" + base64.urlsafe_b64encode(raw).decode()
    assert "-" in legacy_secret
    assert "_" in legacy_secret.removeprefix("whsec_")
    settings = make_settings()
    async with running(settings) as (app, client):
        partner = await sign_up(client, webhookUrl=receiver.url)
        db: Database = app.state.sandbox.db
        await db.write(
            lambda conn: conn.execute(
                sa.update(partners)
                .where(partners.c.id == partner.partner_id)
                .values(webhook_secret=legacy_secret)
            )
        )
        await _ping(client, partner)
        dispatcher = Dispatcher(db, settings)
        try:
            assert await dispatcher.run_once() == 1
        finally:
            await dispatcher.stop()

    [request] = receiver.received()
    mapped = legacy_secret.replace("-", "+").replace("_", "/").replace("whsec/", "whsec_")
    assert _standard(mapped, request)["type"] == "sandbox.ping"
    assert secrets.standard_webhook_secret(legacy_secret) == mapped
    header = request.headers["sandbox-signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    expected = hmac.new(
        legacy_secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert header.endswith(f"v1={expected}")


def test_new_secrets_are_standard_webhooks_secrets() -> None:
    for _ in range(50):
        secret = secrets.new_webhook_secret()
        body = secret.removeprefix("whsec_")
        assert len(base64.b64decode(body, validate=True)) == 24
        assert secrets.standard_webhook_secret(secret) == secret
        assert secrets.standard_webhook_key(secret) == base64.b64decode(body)


def test_a_secret_that_is_not_base64_is_keyed_by_its_own_bytes() -> None:
    assert secrets.standard_webhook_key("whsec_outbox_test") == b"whsec_outbox_test"
    shown = secrets.standard_webhook_secret("whsec_outbox_test")
    at = datetime(2025, 1, 1, tzinfo=UTC)
    assert Webhook(shown).sign("evt_1", at, "{}") == Webhook(b"whsec_outbox_test").sign(
        "evt_1", at, "{}"
    )


def test_logs_mask_secrets_in_standard_base64() -> None:
    line = mask_text("secret whsec_ab+/cd+/ef+/gh== leaked")
    assert "ab+/" not in line
    assert "whsec_****" in line


async def test_signup_shows_the_standard_webhooks_secret(make_settings: Any) -> None:
    async with running(make_settings()) as (_app, client):
        partner = await sign_up(client)
        spec = (await client.get("/openapi.json")).json()
    assert partner.body["standardWebhooksSecret"] == partner.webhook_secret
    created = spec["components"]["schemas"]["PartnerCreated"]["properties"]
    assert "Standard Webhooks" in created["standardWebhooksSecret"]["description"]
