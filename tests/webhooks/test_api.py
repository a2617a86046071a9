"""Routes of webhook deliveries: test event, listing and paging, isolation between partners."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Connection

from sandbox.settings import Settings
from sandbox.webhooks.dispatcher import Dispatcher
from sandbox.webhooks.store import WebhookStore
from tests.support.http import SignedUp, sign_up
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.anyio
DELIVERIES = "/v1/sandbox/webhooks/deliveries"


async def _send_test(client: httpx.AsyncClient, partner: SignedUp) -> str:
    response = await client.post("/v1/sandbox/webhooks/test", headers=partner.headers)
    assert response.status_code == 202, response.text
    event_id: str = response.json()["eventId"]
    return event_id


async def _page(client: httpx.AsyncClient, partner: SignedUp, **params: Any) -> Any:
    response = await client.get(DELIVERIES, params=params, headers=partner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _all_pages(
    client: httpx.AsyncClient, partner: SignedUp, **params: Any
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for _ in range(50):
        body = await _page(client, partner, **params, **({"cursor": cursor} if cursor else {}))
        pages.append(body["deliveries"])
        cursor = body["nextCursor"]
        if cursor is None:
            return pages
    raise AssertionError("paging never ended")


async def test_without_a_webhook_url_the_test_event_is_a_409_with_a_hint(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await client.post("/v1/sandbox/webhooks/test", headers=partner.headers)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/no-webhook-url")
    assert problem["status"] == 409
    assert "PATCH /v1/partners/me" in problem["hint"]
    assert (await _page(client, partner))["deliveries"] == []


async def test_setting_a_webhook_url_queues_the_test_event(
    client: httpx.AsyncClient, partner: SignedUp, receiver: Receiver
) -> None:
    patched = await client.patch(
        "/v1/partners/me", json={"webhookUrl": receiver.url}, headers=partner.headers
    )
    assert patched.status_code == 200, patched.text
    event_id = await _send_test(client, partner)
    [delivery] = (await _page(client, partner))["deliveries"]
    assert delivery["eventId"] == event_id
    assert delivery["eventType"] == "sandbox.ping"
    assert delivery["url"] == receiver.url
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 0
    assert delivery["nextAttemptAt"] is not None


async def test_the_list_pages_newest_first(client: httpx.AsyncClient, receiver: Receiver) -> None:
    partner = await sign_up(client, webhookUrl=receiver.url)
    sent = [await _send_test(client, partner) for _ in range(5)]
    pages = await _all_pages(client, partner, limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [d for page in pages for d in page]
    assert [d["eventId"] for d in listed] == sent[::-1]
    created = [d["createdAt"] for d in listed]
    assert created == sorted(created, reverse=True)
    exact = await _all_pages(client, partner, limit=5)
    assert [len(p) for p in exact] == [5]  # a full last page has no nextCursor


async def test_paging_does_not_skip_deliveries_created_in_the_same_microsecond(
    client: httpx.AsyncClient, app: FastAPI, partner: SignedUp
) -> None:
    def unit(conn: Connection) -> None:
        store = WebhookStore(conn, partner.partner_id)
        for i in range(5):
            store.add_event(
                event_id=f"evt_same{i}",
                type="sandbox.ping",
                payload={"id": f"evt_same{i}"},
                now_us=1_700_000_000_000_000,
                world_time_us=1_700_000_000_000_000,
            )
            store.add_delivery(
                delivery_id=f"whd_same{i}",
                event_id=f"evt_same{i}",
                url="http://127.0.0.1:9/hooks",
                now_us=1_700_000_000_000_000,
            )

    await app.state.sandbox.db.write(unit)
    for limit in (1, 2, 3):
        pages = await _all_pages(client, partner, limit=limit)
        ids = [d["id"] for page in pages for d in page]
        assert ids == [f"whd_same{i}" for i in range(4, -1, -1)], limit


async def test_the_list_filters_by_status(
    client: httpx.AsyncClient, app: FastAPI, receiver: Receiver
) -> None:
    partner = await sign_up(client, webhookUrl=receiver.url)
    delivered = {await _send_test(client, partner) for _ in range(2)}
    settings: Settings = app.state.sandbox.settings
    dispatcher = Dispatcher(app.state.sandbox.db, settings)
    try:
        assert await dispatcher.run_once() == 2
    finally:
        await dispatcher.stop()
    waiting = await _send_test(client, partner)

    succeeded = (await _page(client, partner, status="succeeded"))["deliveries"]
    pending = (await _page(client, partner, status="pending"))["deliveries"]
    failed = (await _page(client, partner, status="failed"))["deliveries"]
    assert {d["eventId"] for d in succeeded} == delivered
    assert {d["status"] for d in succeeded} == {"succeeded"}
    assert [d["eventId"] for d in pending] == [waiting]
    assert failed == []
    paged = await _all_pages(client, partner, status="succeeded", limit=1)
    assert [len(p) for p in paged] == [1, 1]
    bad = await client.get(DELIVERIES, params={"status": "lost"}, headers=partner.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.status"


@pytest.mark.parametrize(
    "cursor",
    ["abc", "123", "1.2", "-1.whd_abc", "1700000000000000.prt_abc", "9" * 30 + ".whd_a", ""],
)
async def test_a_bad_cursor_is_a_422_naming_the_field(
    client: httpx.AsyncClient, partner: SignedUp, cursor: str
) -> None:
    response = await client.get(DELIVERIES, params={"cursor": cursor}, headers=partner.headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "query.cursor"
    assert "nextCursor" in problem["hint"]


async def test_a_partner_never_sees_another_partners_deliveries(
    client: httpx.AsyncClient, receiver: Receiver, other_partner: SignedUp
) -> None:
    owner = await sign_up(client, webhookUrl=receiver.url)
    await _send_test(client, owner)
    [delivery] = (await _page(client, owner))["deliveries"]
    path = f"{DELIVERIES}/{delivery['id']}"

    peek = await client.get(path, headers=other_partner.headers)
    replay = await client.post(f"{path}/replay", headers=other_partner.headers)
    for response in (peek, replay):
        assert response.status_code == 404, response.text
        assert response.json()["type"].endswith("/delivery-not-found")
    assert (await _page(client, other_partner))["deliveries"] == []
    assert (await _page(client, other_partner, status="pending"))["deliveries"] == []

    mine = await client.get(path, headers=owner.headers)
    assert mine.status_code == 200
    assert mine.json()["attemptLog"] == []
    assert mine.json()["status"] == "pending"


async def test_an_unknown_delivery_is_a_404(client: httpx.AsyncClient, partner: SignedUp) -> None:
    for response in (
        await client.get(f"{DELIVERIES}/whd_nope", headers=partner.headers),
        await client.post(f"{DELIVERIES}/whd_nope/replay", headers=partner.headers),
    ):
        assert response.status_code == 404
        assert "GET /v1/sandbox/webhooks/deliveries" in response.json()["hint"]


async def test_deliveries_need_an_api_key(client: httpx.AsyncClient) -> None:
    assert (await client.get(DELIVERIES)).status_code == 401
    assert (await client.post("/v1/sandbox/webhooks/test")).status_code == 401
