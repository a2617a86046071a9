"""``create_app`` wires domains generically: a new domain brings its routes, its periodic jobs and
its webhook signers without a change to the platform (``sandbox.domains.Domain``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import anyio
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.engine import Connection

from payments.api.common import JSONBytes
from payments.domain import DOMAIN as PAYMENTS
from payments.schemas.pay import PayIn
from sandbox.app import INSTALLED, create_app
from sandbox.deps import CurrentWorld, Served, State
from sandbox.domains import Domain, signers_of
from sandbox.hot import HotRouter
from sandbox.kit.clock import SYSTEM_CLOCK, Clock
from sandbox.ops.periodic import Periodic
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks import service as webhooks
from sandbox.webhooks.signing import Signer
from sandbox.webhooks.store import DueDelivery
from tests.support.http import client_for, sign_up
from tests.support.identity import easy, pid_ts
from tests.support.webhooks import Receiver, eventually

pytestmark = pytest.mark.anyio


class FakeSigner:
    def body(self, event: Mapping[str, Any]) -> bytes:
        return json.dumps(event["data"]).encode()

    def headers(self, delivery: DueDelivery, body: bytes) -> Mapping[str, str]:
        return {"X-Fake-Signature": "fake"}


class FakeDomain:
    """A domain the platform has never heard of: one route that emits an event, one job."""

    def __init__(self) -> None:
        self.rounds = 0
        self.built_with: tuple[Database, Settings, Clock] | None = None
        self.router = APIRouter(prefix="/v1/fake", tags=["fake"])

        @self.router.post("/notify", status_code=202)
        async def notify(world: CurrentWorld, state: State) -> dict[str, str]:
            def unit(conn: Connection) -> str:
                return webhooks.emit(conn, world, "fake.notified", {"spec": "shaped"})

            event_id = await state.db.write(unit)
            if state.dispatcher is not None:
                state.dispatcher.wake()
            return {"eventId": event_id}

    async def _round(self) -> int:
        self.rounds += 1
        return 0

    def jobs(self, db: Database, settings: Settings, clock: Clock) -> list[Periodic]:
        self.built_with = (db, settings, clock)
        return [Periodic("fake-job", 0.01, self._round)]

    def signers(self, settings: Settings) -> Mapping[str, Signer]:
        return {"fake.": FakeSigner()}

    @property
    def domain(self) -> Domain:
        return Domain("fake", [self.router], jobs=self.jobs, signers=self.signers)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    # the webhook tests' loopback receiver; its fixture lives in tests/webhooks/conftest.py
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()
        r.thread.join(timeout=5)


def _paths(app: Any) -> set[str]:
    return set(app.openapi()["paths"])


async def test_a_new_domain_is_served_its_jobs_run_and_its_events_use_its_signer(
    make_settings: Any, receiver: Receiver
) -> None:
    fake = FakeDomain()
    settings: Settings = make_settings(dispatch_webhooks=True, webhook_poll_seconds=0.01)
    app = create_app(settings, domains=(*INSTALLED, fake.domain))
    assert fake.built_with == (app.state.sandbox.db, settings, SYSTEM_CLOCK)
    assert {"/v1/fake/notify", "/v1/upi/pay"} <= _paths(app)

    async with app.router.lifespan_context(app), client_for(app) as client:
        await eventually(_ran(fake), what="the fake domain's job to run")
        partner = await sign_up(client, webhookUrl=receiver.url)
        response = await client.post("/v1/fake/notify", headers=partner.headers)
        assert response.status_code == 202, response.text
        [request] = await receiver.wait_for(1)

    assert request.headers["x-fake-signature"] == "fake"
    assert "sandbox-signature" not in request.headers
    assert json.loads(request.body) == {"spec": "shaped"}
    assert request.headers["sandbox-event-id"] == response.json()["eventId"]
    stopped_at = fake.rounds
    await anyio.sleep(0.05)  # five intervals: the lifespan stopped the job
    assert fake.rounds == stopped_at


def _ran(fake: FakeDomain) -> Any:
    async def check() -> bool | None:
        return True if fake.rounds else None

    return check


async def test_the_platform_runs_without_any_domain(make_settings: Any) -> None:
    app = create_app(make_settings(), domains=())
    paths = _paths(app)
    assert not any(p.startswith("/v1/upi") for p in paths)
    assert "/v1/partners" in paths
    async with app.router.lifespan_context(app), client_for(app) as client:
        partner = await sign_up(client)
        response = await client.get("/v1/sandbox/personas", headers=partner.headers)
    assert response.status_code == 200


async def test_payments_is_installed_with_its_routes_and_its_sweeper(app: FastAPI) -> None:
    assert PAYMENTS in INSTALLED
    db, settings = app.state.sandbox.db, app.state.sandbox.settings
    [sweeper] = PAYMENTS.jobs(db, settings, SYSTEM_CLOCK)
    assert (sweeper.name, sweeper.interval) == ("payments-sweeper", settings.sweep_seconds)
    assert PAYMENTS.jobs(db, settings.model_copy(update={"sweep_seconds": 0}), SYSTEM_CLOCK) == []
    routes = [route for router in PAYMENTS.routers for route in router.routes]
    assert "/v1/upi/pay" in {route.path for route in routes if isinstance(route, APIRoute)}


def test_two_domains_cannot_claim_one_signer_prefix(settings: Settings) -> None:
    one, two = FakeDomain().domain, FakeDomain().domain
    with pytest.raises(ValueError, match=r"'fake\.' claimed twice"):
        signers_of([one, two], settings)


async def test_hot_routes_are_matched_first_and_stay_out_of_the_document(
    make_settings: Any,
) -> None:
    """The payment's and the auth's routes are tried before every router (a hidden copy at the
    front); the OpenAPI document is the one the routers alone give, and a wrong method still
    gets 405."""
    settings = make_settings()
    plain = create_app(settings, domains=[replace(d, hot=()) for d in INSTALLED])
    app = create_app(settings)
    assert json.dumps(app.openapi()) == json.dumps(plain.openapi())
    assert [getattr(r, "path", None) for r in app.router.routes[:3]] == [
        "/v1/upi/pay",
        "/v1/upi/collect",
        "/v1/identity/auth",
    ]
    async with app.router.lifespan_context(app), client_for(app) as client:
        wrong = await client.get("/v1/upi/pay")
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "POST"


_VARYING = {"txnId", "rrn", "createdAt", "updatedAt", "expiresAt", "instance", "requestId"}
_VARYING |= {"code", "ts", "info"}  # an auth's response code, time and UID token (per partner)


def _comparable(response: Any) -> tuple[int, str | None, Any]:
    body = response.json()
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in _VARYING}
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", json.dumps(body))
    return response.status_code, response.headers.get("idempotent-replayed"), text


async def _hot_path_answers(app: FastAPI) -> list[tuple[int, str | None, Any]]:
    answers = []
    async with app.router.lifespan_context(app), client_for(app) as client:
        partner = await sign_up(client)
        good = partner.headers
        pay = {"payer": {"vpa": "asha@sandbox", "pin": "1234"}, "payee": {"vpa": "ravi@sandbox"}}
        collect = {"payee": {"vpa": "asha@sandbox"}, "payer": {"vpa": "ravi@sandbox"}}
        for path, body in (("/v1/upi/pay", pay), ("/v1/upi/collect", collect)):
            key = {"Idempotency-Key": path}
            sent = [
                ({"Authorization": "Bearer sk_sandbox_nope"}, {"amount": "x"}),  # key first
                ({}, {**body, "amount": "1.00"}),  # no key at all
                ({**good, "Idempotency-Key": "k" * 300}, {"amount": -1}),  # every 422 field
                ({**good, **key}, {**body, "amount": "1.00"}),
                ({**good, **key}, {**body, "amount": "1.00"}),  # replayed
                ({**good, **key}, {**body, "amount": "2.00"}),  # the key reused: 409
            ]
            for headers, json_body in sent:
                answers.append(
                    _comparable(await client.post(path, json=json_body, headers=headers))
                )
            answers.append(_comparable(await client.post(path, content=b"{", headers=good)))
        # the auth: a match, a mismatch, a bad key before a bad body, a malformed body
        demo = {"ts": await pid_ts(client, partner), "ver": "2.0"}
        right = {**demo, "demo": {"pi": {"name": "Asha Verma"}}}
        wrong = {**demo, "ts": await pid_ts(client, partner), "demo": {"pi": {"name": "Nobody"}}}
        for headers, json_body in (
            (good, easy(right, txn="hot-1", pi="y")),
            (good, easy(wrong, txn="hot-2", pi="y")),
            ({"Authorization": "Bearer sk_sandbox_nope"}, {"uid": 1}),
            (good, {"uid": "12", "rc": "N"}),
        ):
            response = await client.post("/v1/identity/auth", json=json_body, headers=headers)
            answers.append(_comparable(response))
    return answers


async def test_hot_doubles_answer_as_the_documented_routes(make_settings: Any) -> None:
    """The lean doubles give the documented routes' answers, errors included, in the same
    order: a bad key before a bad body (``tests/test_hot.py`` sends a larger corpus)."""
    settings = make_settings()
    plain = create_app(settings, domains=[replace(d, hot=()) for d in INSTALLED])
    documented = await _hot_path_answers(plain)
    doubled = await _hot_path_answers(create_app(settings))
    assert [a[0] for a in documented] == [401, 401, 422, 200, 200, 409, 422] * 2 + [
        200,
        200,
        401,
        422,
    ]
    assert [json.loads(a[2]).get("ret") for a in documented[-4:-2]] == ["y", "n"]
    assert doubled == documented


def test_a_hot_route_must_double_a_documented_one(make_settings: Any) -> None:
    stray = HotRouter()

    @stray.post("/v1/upi/elsewhere", PayIn)
    async def elsewhere(body: PayIn, served: Served, key: str | None) -> Response:
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="doubles no route"):
        create_app(make_settings(), domains=[replace(PAYMENTS, hot=(stray,))])


def test_hot_answers_are_the_bytes_json_response_writes() -> None:
    answer = {"note": 'chai ☕ \u2028 "q" \\ </a>', "n": 10**20, "ok": True, "x": None, "l": [1]}
    assert JSONBytes(answer).body == JSONResponse(answer).body
