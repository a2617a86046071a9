"""What happens to queued deliveries when the partner changes its webhook URL or replays one,
and which world time an event carries. The tests drive ``Dispatcher.run_once`` themselves."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from sandbox.kit.clock import ManualClock
from sandbox.partners.store import get_partner
from sandbox.webhooks.dispatcher import Dispatcher
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext
from tests.support.http import SignedUp, running, sign_up
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.anyio
DAY = 86_400


async def _ping(client: httpx.AsyncClient, partner: SignedUp) -> None:
    response = await client.post("/v1/sandbox/webhooks/test", headers=partner.headers)
    assert response.status_code == 202, response.text


async def _only(client: httpx.AsyncClient, partner: SignedUp) -> dict[str, Any]:
    listed = await client.get("/v1/sandbox/webhooks/deliveries", headers=partner.headers)
    assert listed.status_code == 200, listed.text
    [delivery] = listed.json()["deliveries"]
    detail = await client.get(
        f"/v1/sandbox/webhooks/deliveries/{delivery['id']}", headers=partner.headers
    )
    assert detail.status_code == 200, detail.text
    body: dict[str, Any] = detail.json()
    return body


async def _set_url(client: httpx.AsyncClient, partner: SignedUp, url: str | None) -> None:
    patched = await client.patch(
        "/v1/partners/me", json={"webhookUrl": url}, headers=partner.headers
    )
    assert patched.status_code == 200, patched.text


async def _replay(client: httpx.AsyncClient, partner: SignedUp, delivery_id: str) -> httpx.Response:
    return await client.post(
        f"/v1/sandbox/webhooks/deliveries/{delivery_id}/replay", headers=partner.headers
    )


async def test_a_new_webhook_url_takes_the_queued_deliveries_at_once(
    make_settings: Any, closed_port_url: str, receiver: Receiver
) -> None:
    settings = make_settings(webhook_max_attempts=3, webhook_backoff_seconds=60)
    async with running(settings) as (app, client):
        partner = await sign_up(client, webhookUrl=closed_port_url)
        await _ping(client, partner)
        clock = ManualClock()  # the dispatcher's time moves only when told to
        dispatcher = Dispatcher(app.state.sandbox.db, settings, clock=clock)
        try:
            assert await dispatcher.run_once() == 1  # refused, retried in 60 s
            waiting = await _only(client, partner)
            assert (waiting["status"], waiting["attempts"]) == ("pending", 1)

            await _set_url(client, partner, receiver.url)
            moved = await _only(client, partner)
            assert moved["url"] == receiver.url
            assert moved["attempts"] == 0  # the old receiver's failures do not count
            clock.advance(1)  # due now (the PATCH's time), not after the old URL's 60 s backoff
            assert await dispatcher.run_once() == 1
            done = await _only(client, partner)
        finally:
            await dispatcher.stop()

    assert done["status"] == "succeeded"
    assert [a["statusCode"] for a in done["attemptLog"]] == [None, 200]
    [request] = receiver.received()
    assert request.headers["sandbox-delivery-id"] == done["id"]


async def test_a_cleared_webhook_url_cancels_the_queued_deliveries_with_a_reason(
    make_settings: Any, closed_port_url: str
) -> None:
    settings = make_settings(webhook_backoff_seconds=0.01)
    async with running(settings) as (app, client):
        dispatcher = Dispatcher(app.state.sandbox.db, settings)
        try:
            partner = await sign_up(client, webhookUrl=closed_port_url)
            await _ping(client, partner)
            await _set_url(client, partner, None)
            assert await dispatcher.run_once() == 0  # nothing left to send
            cancelled = await _only(client, partner)
            listed = await client.get(
                "/v1/sandbox/webhooks/deliveries",
                params={"status": "cancelled"},
                headers=partner.headers,
            )
            refused = await _replay(client, partner, cancelled["id"])
        finally:
            await dispatcher.stop()

    assert cancelled["status"] == "cancelled"
    assert cancelled["nextAttemptAt"] is None
    assert cancelled["attemptLog"] == []
    assert "webhook URL was cleared" in cancelled["lastError"]
    assert [d["id"] for d in listed.json()["deliveries"]] == [cancelled["id"]]
    assert refused.status_code == 409  # replay needs a URL to send to
    assert refused.json()["type"].endswith("/no-webhook-url")


async def test_setting_the_same_url_again_leaves_the_queue_alone(
    make_settings: Any, closed_port_url: str
) -> None:
    settings = make_settings(webhook_backoff_seconds=60)
    async with running(settings) as (app, client):
        dispatcher = Dispatcher(app.state.sandbox.db, settings)
        try:
            partner = await sign_up(client, webhookUrl=closed_port_url)
            await _ping(client, partner)
            assert await dispatcher.run_once() == 1
            before = await _only(client, partner)
            await _set_url(client, partner, closed_port_url)
            after = await _only(client, partner)
        finally:
            await dispatcher.stop()
    assert after["attempts"] == before["attempts"] == 1
    assert after["nextAttemptAt"] == before["nextAttemptAt"]


async def test_a_replay_gets_a_fresh_retry_budget(make_settings: Any, receiver: Receiver) -> None:
    settings = make_settings(webhook_max_attempts=2, webhook_backoff_seconds=60)
    receiver.fail_first = 3  # fails both attempts, and the replay's first
    async with running(settings) as (app, client):
        partner = await sign_up(client, webhookUrl=receiver.url)
        await _ping(client, partner)
        clock = ManualClock()
        dispatcher = Dispatcher(app.state.sandbox.db, settings, clock=clock)
        try:
            assert await dispatcher.run_once() == 1
            clock.advance(60)
            assert await dispatcher.run_once() == 1
            failed = await _only(client, partner)
            assert (failed["status"], failed["attempts"]) == ("failed", 2)

            replayed = await _replay(client, partner, failed["id"])
            assert replayed.status_code == 202, replayed.text
            assert replayed.json()["attempts"] == 0
            assert await dispatcher.run_once() == 1  # fails: one of two fresh attempts used
            retrying = await _only(client, partner)
            clock.advance(60)
            assert await dispatcher.run_once() == 1
            done = await _only(client, partner)
        finally:
            await dispatcher.stop()

    assert (retrying["status"], retrying["attempts"]) == ("pending", 1)
    assert (done["status"], done["attempts"]) == ("succeeded", 2)
    assert [a["statusCode"] for a in done["attemptLog"]] == [500, 500, 500, 200]


async def test_a_replay_goes_to_the_current_webhook_url(
    make_settings: Any, closed_port_url: str, receiver: Receiver
) -> None:
    settings = make_settings(webhook_max_attempts=1)
    async with running(settings) as (app, client):
        dispatcher = Dispatcher(app.state.sandbox.db, settings)
        try:
            partner = await sign_up(client, webhookUrl=closed_port_url)
            await _ping(client, partner)
            assert await dispatcher.run_once() == 1
            failed = await _only(client, partner)
            assert failed["status"] == "failed"
            await _set_url(client, partner, receiver.url)  # a failed delivery is not moved
            assert (await _only(client, partner))["url"] == closed_port_url

            replayed = await _replay(client, partner, failed["id"])
            assert replayed.json()["url"] == receiver.url
            assert await dispatcher.run_once() == 1
            done = await _only(client, partner)
        finally:
            await dispatcher.stop()
    assert done["status"] == "succeeded"
    assert len(receiver.received()) == 1


def _instant(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


async def test_clock_and_reset_events_carry_the_world_time_they_bring(
    make_settings: Any, receiver: Receiver
) -> None:
    """An event's createdAt is the world time of its change: an advance announces the clock's
    new reading, a reset the real time it goes back to."""
    async with running(make_settings()) as (_app, client):
        partner = await sign_up(client, webhookUrl=receiver.url)
        advanced = await client.post(
            "/v1/sandbox/clock/advance", json={"seconds": DAY}, headers=partner.headers
        )
        assert advanced.status_code == 200, advanced.text
        await _ping(client, partner)  # any event after the advance: world time is a day on
        reset = await client.post("/v1/sandbox/reset", headers=partner.headers)
        assert reset.status_code == 200, reset.text
        listed = await client.get(
            "/v1/sandbox/webhooks/deliveries", params={"limit": 10}, headers=partner.headers
        )
        events = {}
        for d in listed.json()["deliveries"]:
            detail = await client.get(
                f"/v1/sandbox/webhooks/deliveries/{d['id']}", headers=partner.headers
            )
            events[d["eventType"]] = detail.json()["event"]

    now = time.time()
    assert abs(_instant(events["sandbox.clock.advanced"]["createdAt"]) - (now + DAY)) < 60
    assert abs(_instant(events["sandbox.ping"]["createdAt"]) - (now + DAY)) < 60
    assert abs(_instant(events["sandbox.world.reset"]["createdAt"]) - now) < 60


async def test_a_delivery_a_domain_addressed_elsewhere_keeps_its_address(
    make_settings: Any, closed_port_url: str, receiver: Receiver
) -> None:
    """An AA notification goes to the FIU's notification URL (``emit(url=...)``): a new or
    cleared webhook URL leaves it queued where it was, and a replay sends it there again."""
    settings = make_settings(webhook_max_attempts=3, webhook_backoff_seconds=60)
    async with running(settings) as (app, client):
        partner = await sign_up(client, webhookUrl=closed_port_url)
        state = app.state.sandbox
        found = await state.db.read(lambda conn: get_partner(conn, partner.partner_id))
        assert found is not None
        world = WorldContext.of(found, settings.secret_key, state.clock)
        await state.db.write(
            lambda conn: emit(conn, world, "test.addressed", {"n": 1}, url=receiver.url)
        )
        await _set_url(client, partner, "http://127.0.0.1:9/elsewhere")
        kept = await _only(client, partner)
        assert (kept["url"], kept["status"]) == (receiver.url, "pending")
        await _set_url(client, partner, None)
        still = await _only(client, partner)
        assert (still["url"], still["status"]) == (receiver.url, "pending")
        replayed = await _replay(client, partner, kept["id"])
        assert replayed.status_code == 202, replayed.text
        assert replayed.json()["url"] == receiver.url
