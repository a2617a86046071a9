"""Delivery against a real HTTP receiver on loopback: signed, retried with backoff, logged."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from sandbox.kit.clock import ManualClock
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks.dispatcher import MAX_BACKOFF_SECONDS, Dispatcher, backoff_seconds
from sandbox.webhooks.signing import verify
from sandbox.webhooks.store import WebhookStore
from tests.support.http import SignedUp, client_for, running, sign_up
from tests.support.webhooks import Received, Receiver, eventually

pytestmark = pytest.mark.anyio


def _settings(make_settings: Any, **overrides: Any) -> Settings:
    s: Settings = make_settings(**overrides)
    return s


def _check_signed(partner: SignedUp, request: Received) -> dict[str, Any]:
    """The request is a signed event; returns the event."""
    header = request.headers["sandbox-signature"]
    timestamp = verify(partner.webhook_secret, header, request.body, now=int(time.time()))
    assert abs(timestamp - time.time()) < 60
    event: dict[str, Any] = json.loads(request.body)
    return event


async def _deliveries(client: httpx.AsyncClient, partner: SignedUp, **params: Any) -> Any:
    response = await client.get(
        "/v1/sandbox/webhooks/deliveries", params=params, headers=partner.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["deliveries"]


async def _detail(client: httpx.AsyncClient, partner: SignedUp, delivery_id: str) -> Any:
    response = await client.get(
        f"/v1/sandbox/webhooks/deliveries/{delivery_id}", headers=partner.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _settled(
    client: httpx.AsyncClient, partner: SignedUp, delivery_id: str, *, attempts: int
) -> Any:
    """The delivery once it is no longer pending and has ``attempts`` attempts in its log."""

    async def check() -> Any:
        d = await _detail(client, partner, delivery_id)
        done = d["status"] != "pending" and len(d["attemptLog"]) >= attempts
        return d if done else None

    return await eventually(check, what=f"delivery {delivery_id} to settle")


async def _send_test(client: httpx.AsyncClient, partner: SignedUp) -> str:
    response = await client.post("/v1/sandbox/webhooks/test", headers=partner.headers)
    assert response.status_code == 202, response.text
    event_id: str = response.json()["eventId"]
    return event_id


def _instant(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# -- end to end, through the background dispatcher started by the app's lifespan --------------


async def test_a_test_event_reaches_the_receiver_signed(
    make_settings: Any, receiver: Receiver
) -> None:
    settings = _settings(make_settings, dispatch_webhooks=True)
    async with running(settings) as (app, client):
        assert app.state.sandbox.dispatcher is not None
        partner = await sign_up(client, webhookUrl=receiver.url)
        event_id = await _send_test(client, partner)

        [request] = await receiver.wait_for(1)
        assert request.method == "POST"
        assert request.path == "/hooks"
        assert request.headers["content-type"] == "application/json"
        event = _check_signed(partner, request)
        assert set(event) == {"id", "type", "createdAt", "partnerId", "data"}
        assert event["id"] == event_id
        assert event["type"] == "sandbox.ping"
        assert event["partnerId"] == partner.partner_id
        assert abs(_instant(event["createdAt"]) - time.time()) < 60
        assert isinstance(event["data"], dict)
        assert request.headers["sandbox-event-id"] == event_id
        assert request.headers["sandbox-event-type"] == "sandbox.ping"

        [listed] = await _deliveries(client, partner)
        assert request.headers["sandbox-delivery-id"] == listed["id"]
        assert listed["eventId"] == event_id
        assert listed["url"] == receiver.url
        done = await _settled(client, partner, listed["id"], attempts=1)
        assert done["status"] == "succeeded"
        assert done["attempts"] == 1
        assert done["lastStatusCode"] == 200
        assert done["lastError"] is None
        assert done["nextAttemptAt"] is None
        assert done["event"] == event
        [attempt] = done["attemptLog"]
        assert attempt["statusCode"] == 200
        assert attempt["error"] is None
        assert attempt["durationMs"] >= 0
    assert len(receiver.received()) == 1


async def test_failed_attempts_are_retried_with_growing_backoff(
    make_settings: Any, receiver: Receiver
) -> None:
    backoff = 0.1
    settings = _settings(
        make_settings,
        dispatch_webhooks=True,
        webhook_backoff_seconds=backoff,
        webhook_poll_seconds=0.01,
    )
    receiver.fail_first = 2
    async with running(settings) as (_app, client):
        partner = await sign_up(client, webhookUrl=receiver.url)
        event_id = await _send_test(client, partner)
        requests = await receiver.wait_for(3)
        [listed] = await _deliveries(client, partner)
        done = await _settled(client, partner, listed["id"], attempts=3)

    assert done["status"] == "succeeded"
    assert done["attempts"] == 3
    assert [a["statusCode"] for a in done["attemptLog"]] == [500, 500, 200]
    assert "500" in done["attemptLog"][0]["error"]
    assert done["attemptLog"][2]["error"] is None
    logged = [_instant(a["attemptedAt"]) for a in done["attemptLog"]]
    assert logged == sorted(logged)
    # the same event, signed afresh, each time
    assert {r.headers["sandbox-event-id"] for r in requests} == {event_id}
    assert {r.headers["sandbox-delivery-id"] for r in requests} == {listed["id"]}
    for r in requests:
        _check_signed(partner, r)
    first_gap = requests[1].at - requests[0].at
    second_gap = requests[2].at - requests[1].at
    # lower bounds only: the backoff doubles (>= 1x, then >= 2x); a loaded machine may stretch
    # either gap, so comparing the two gaps with each other would only measure the machine
    assert first_gap >= backoff * 0.9
    assert second_gap >= 2 * backoff * 0.9
    assert len(receiver.received()) == 3


async def test_a_receiver_that_always_fails_ends_failed_after_max_attempts(
    make_settings: Any, receiver: Receiver
) -> None:
    settings = _settings(
        make_settings,
        dispatch_webhooks=True,
        webhook_max_attempts=3,
        webhook_backoff_seconds=0.02,
        webhook_poll_seconds=0.01,
    )
    receiver.fail_first, receiver.fail_status = 1_000, 503
    async with running(settings) as (_app, client):
        partner = await sign_up(client, webhookUrl=receiver.url)
        await _send_test(client, partner)
        [listed] = await _deliveries(client, partner)
        done = await _settled(client, partner, listed["id"], attempts=3)
        await anyio.sleep(0.2)  # ten poll intervals: no fourth attempt comes
        assert len(receiver.received()) == 3
        failed = await _deliveries(client, partner, status="failed")

    assert done["status"] == "failed"
    assert done["attempts"] == 3
    assert done["nextAttemptAt"] is None
    assert done["lastStatusCode"] == 503
    assert "503" in done["lastError"]
    assert [a["statusCode"] for a in done["attemptLog"]] == [503, 503, 503]
    assert [d["id"] for d in failed] == [listed["id"]]


async def test_replay_delivers_the_same_event_again(make_settings: Any, receiver: Receiver) -> None:
    settings = _settings(make_settings, dispatch_webhooks=True, webhook_poll_seconds=0.01)
    async with running(settings) as (_app, client):
        partner = await sign_up(client, webhookUrl=receiver.url)
        event_id = await _send_test(client, partner)
        await receiver.wait_for(1)
        [listed] = await _deliveries(client, partner)
        await _settled(client, partner, listed["id"], attempts=1)

        replay = await client.post(
            f"/v1/sandbox/webhooks/deliveries/{listed['id']}/replay", headers=partner.headers
        )
        assert replay.status_code == 202, replay.text
        assert replay.json()["id"] == listed["id"]
        assert replay.json()["status"] in ("pending", "succeeded")

        first, second = await receiver.wait_for(2)
        done = await _settled(client, partner, listed["id"], attempts=2)

    assert first.headers["sandbox-event-id"] == second.headers["sandbox-event-id"] == event_id
    assert first.body == second.body
    _check_signed(partner, second)
    assert done["status"] == "succeeded"
    assert done["attempts"] == 1  # since the replay: a fresh count
    assert [a["statusCode"] for a in done["attemptLog"]] == [200, 200]
    assert len(receiver.received()) == 2


# -- deterministic rounds: the test drives Dispatcher.run_once itself -------------------------


async def _one_round(dispatcher: Dispatcher, expected: int) -> None:
    assert await dispatcher.run_once() == expected


async def test_connection_refused_is_recorded_retried_and_logged(
    make_settings: Any, closed_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sandbox.webhooks")
    settings = _settings(make_settings, webhook_max_attempts=2, webhook_backoff_seconds=0.05)
    async with running(settings) as (app, client):
        partner = await sign_up(client, webhookUrl=closed_port_url)
        await _send_test(client, partner)
        [listed] = await _deliveries(client, partner)
        clock = ManualClock()  # from now on the dispatcher's time moves only when told to
        dispatcher = Dispatcher(app.state.sandbox.db, settings, clock=clock)
        try:
            await _one_round(dispatcher, 1)
            after_one = await _detail(client, partner, listed["id"])
            assert after_one["status"] == "pending"
            assert after_one["attempts"] == 1
            assert after_one["nextAttemptAt"] is not None
            assert after_one["lastStatusCode"] is None
            [attempt] = after_one["attemptLog"]
            assert attempt["statusCode"] is None
            assert "ConnectError" in attempt["error"]
            await _one_round(dispatcher, 0)  # not due before its backoff
            clock.advance(settings.webhook_backoff_seconds)
            await _one_round(dispatcher, 1)
            after_two = await _detail(client, partner, listed["id"])
        finally:
            await dispatcher.stop()

    assert after_two["status"] == "failed"
    assert after_two["attempts"] == 2
    assert [a["statusCode"] for a in after_two["attemptLog"]] == [None, None]
    assert all("ConnectError" in a["error"] for a in after_two["attemptLog"])
    logged = [r.__dict__ for r in caplog.records if r.getMessage() == "webhook attempt"]
    assert [(r["delivery_id"], r["attempt"], r["outcome"]) for r in logged] == [
        (listed["id"], 1, "pending"),
        (listed["id"], 2, "failed"),
    ]
    assert all(r["status_code"] is None and "ConnectError" in r["error"] for r in logged)


async def test_replay_of_a_failed_delivery_delivers_it(
    make_settings: Any, receiver: Receiver
) -> None:
    settings = _settings(make_settings, webhook_max_attempts=1)
    receiver.fail_first = 1
    async with running(settings) as (app, client):
        dispatcher = Dispatcher(app.state.sandbox.db, settings)
        try:
            partner = await sign_up(client, webhookUrl=receiver.url)
            await _send_test(client, partner)
            [listed] = await _deliveries(client, partner)
            await _one_round(dispatcher, 1)
            failed = await _detail(client, partner, listed["id"])
            assert failed["status"] == "failed"

            replay = await client.post(
                f"/v1/sandbox/webhooks/deliveries/{listed['id']}/replay", headers=partner.headers
            )
            assert replay.status_code == 202
            assert replay.json()["status"] == "pending"
            assert len(replay.json()["attemptLog"]) == 1
            await _one_round(dispatcher, 1)
            await _one_round(dispatcher, 0)
            done = await _detail(client, partner, listed["id"])
        finally:
            await dispatcher.stop()

    assert done["status"] == "succeeded"
    assert done["attempts"] == 1  # since the replay: a fresh count
    assert [a["statusCode"] for a in done["attemptLog"]] == [500, 200]
    assert len(receiver.received()) == 2


async def test_clock_advance_and_reset_are_delivered(
    make_settings: Any, receiver: Receiver
) -> None:
    settings = _settings(make_settings)
    async with running(settings) as (app, client):
        dispatcher = Dispatcher(app.state.sandbox.db, settings)
        try:
            partner = await sign_up(client, webhookUrl=receiver.url)
            advanced = await client.post(
                "/v1/sandbox/clock/advance", json={"seconds": 3600}, headers=partner.headers
            )
            assert advanced.status_code == 200
            reset = await client.post("/v1/sandbox/reset", headers=partner.headers)
            assert reset.status_code == 200
            listed = await _deliveries(client, partner)
            assert [d["eventType"] for d in listed] == [
                "sandbox.world.reset",
                "sandbox.clock.advanced",
            ]
            assert {d["status"] for d in listed} == {"pending"}
            await _one_round(dispatcher, 2)
            after = await _deliveries(client, partner, status="succeeded")
        finally:
            await dispatcher.stop()

    assert {d["id"] for d in after} == {d["id"] for d in listed}
    events = {e["type"]: e for e in (_check_signed(partner, r) for r in receiver.received())}
    assert set(events) == {"sandbox.clock.advanced", "sandbox.world.reset"}
    assert events["sandbox.clock.advanced"]["data"] == {"seconds": 3600}
    assert events["sandbox.world.reset"]["data"] == {"residents": settings.world_residents}
    assert {e["partnerId"] for e in events.values()} == {partner.partner_id}


async def test_an_unsendable_url_is_a_failed_attempt_not_a_stuck_delivery(
    make_settings: Any, app: FastAPI
) -> None:
    """httpx raises InvalidURL (not an HTTPError) for this URL: still one logged attempt."""
    settings = _settings(make_settings, webhook_max_attempts=1)
    db: Database = app.state.sandbox.db
    dispatcher = Dispatcher(db, settings)
    try:
        async with client_for(app) as client:
            partner = await sign_up(client)

            def unit(conn: Any) -> None:
                store = WebhookStore(conn, partner.partner_id)
                store.add_event(
                    event_id="evt_bad_url",
                    type="sandbox.ping",
                    payload={"id": "evt_bad_url", "type": "sandbox.ping"},
                    now_us=1,
                    world_time_us=1,
                )
                store.add_delivery(
                    delivery_id="whd_badurl", event_id="evt_bad_url", url="http://[::1", now_us=1
                )

            await db.write(unit)
            await _one_round(dispatcher, 1)
            done = await _detail(client, partner, "whd_badurl")
    finally:
        await dispatcher.stop()
    assert done["status"] == "failed"
    assert done["attempts"] == 1
    assert "InvalidURL" in done["attemptLog"][0]["error"]


def test_backoff_doubles_and_is_bounded(make_settings: Any) -> None:
    settings = _settings(make_settings, webhook_backoff_seconds=2.0)
    delays = [backoff_seconds(settings, n) for n in range(1, 12)]
    assert delays[:5] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert max(delays) == MAX_BACKOFF_SECONDS
    assert delays == sorted(delays)
