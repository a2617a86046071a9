"""A consent's life: approve, reject, pause, resume, revoke, expire by world time; what the FI
part gets from ``usable_consent`` at each step; the notifications an FIU receives (a real
loopback receiver, the JWS verified); the consent log's hash chain."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from consent import errors
from consent.models import UsableConsent
from consent.service.lifecycle import sweep
from consent.service.usable import load_usable_consent, record_use
from sandbox.keys import jws
from sandbox.settings import Settings
from sandbox.storage.schema import consent_log
from tests.consent.conftest import Requested, act, fetch, handle_status, request_consent
from tests.consent.spec import validate, validate_response
from tests.support import clock
from tests.support.aa import fiu_listening, stamp, two_pages, world_of
from tests.support.http import SignedUp
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.anyio


async def _approve(client: httpx.AsyncClient, partner: SignedUp, handle: str) -> str:
    approved = await act(client, partner, handle, "approve")
    assert approved.status_code == 200, approved.text
    consent_id: str = approved.json()["consentId"]
    return consent_id


async def _usable(app: FastAPI, partner: SignedUp, consent_id: str) -> UsableConsent:
    return await load_usable_consent(app.state.sandbox.db, await world_of(app, partner), consent_id)


async def _use(app: FastAPI, partner: SignedUp, consent: UsableConsent) -> None:
    world = await world_of(app, partner)
    await app.state.sandbox.db.write(
        lambda conn: record_use(conn, world, consent, {"sessionId": "s-1"})
    )


async def _status(client: httpx.AsyncClient, partner: SignedUp, consent_id: str) -> str:
    answer = await fetch(client, partner, consent_id)
    assert answer.status_code == 200, answer.text
    validate_response("/Consent/fetch", "post", 200, answer.json())
    status: str = answer.json()["status"]
    return status


async def test_pause_resume_revoke_and_what_the_fi_part_sees(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, consent: Requested
) -> None:
    consent_id = await _approve(client, partner, consent.handle)
    usable = await _usable(app, partner, consent_id)
    assert usable.fi_types == ("DEPOSIT",)
    assert usable.fetch_type == "PERIODIC"
    assert usable.frequency_unit == "MONTH"
    assert usable.frequency_value == 30
    (account,) = usable.accounts
    assert account.account_number
    assert usable.account(account.link_ref_number) == account
    assert usable.signed_consent.endswith("." + usable.digital_signature)

    paused = await act(client, partner, consent.handle, "pause")
    assert paused.json()["status"] == "PAUSED"
    assert await _status(client, partner, consent_id) == "PAUSED"
    with pytest.raises(errors.ConsentPaused):
        await _usable(app, partner, consent_id)

    resumed = await act(client, partner, consent.handle, "resume")
    assert resumed.json()["status"] == "ACTIVE"
    await _usable(app, partner, consent_id)

    revoked = await act(client, partner, consent.handle, "revoke")
    assert revoked.json()["status"] == "REVOKED"
    assert await _status(client, partner, consent_id) == "REVOKED"
    with pytest.raises(errors.ConsentRevoked):
        await _usable(app, partner, consent_id)

    again = await act(client, partner, consent.handle, "resume")
    assert again.status_code == 409
    assert "it is REVOKED" in again.json()["detail"]
    assert again.json()["currentStatus"] == "REVOKED"

    log = (await client.get(f"/v1/consents/{consent.handle}/log", headers=partner.headers)).json()
    assert [e["kind"] for e in log["entries"]] == [
        "REQUESTED",
        "APPROVED",
        "PAUSED",
        "ACTIVE",
        "REVOKED",
    ]
    assert log["verified"] is True


async def test_reject_fails_the_handle(
    client: httpx.AsyncClient, partner: SignedUp, consent: Requested
) -> None:
    rejected = await act(client, partner, consent.handle, "reject")
    assert rejected.json()["status"] == "REJECTED"
    status = await handle_status(client, partner, consent.handle)
    assert status["ConsentStatus"] == {"status": "FAILED"}
    assert (await act(client, partner, consent.handle, "approve")).status_code == 409


async def test_approval_chooses_among_the_customers_own_accounts(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    requested = await request_consent(client, partner, jwks, Customer={"id": "vikram@sandbox-aa"})
    personas = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    (vikram,) = [p for p in personas["personas"] if p["key"] == "vikram"]
    numbers = [a["number"] for a in vikram["accounts"]]
    assert len(numbers) == 2
    wrong = await act(client, partner, requested.handle, "approve", accounts=["000000000000"])
    assert wrong.status_code == 422
    assert "body.accounts" in wrong.text
    picked = await act(client, partner, requested.handle, "approve", accounts=[numbers[1]])
    assert picked.status_code == 200, picked.text
    (account,) = picked.json()["accounts"]
    assert account["maskedAccNumber"].endswith(numbers[1][-4:])


async def test_onetime_serves_one_fetch_and_periodic_its_frequency(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    once = await request_consent(
        client,
        partner,
        jwks,
        fetchType="ONETIME",
        Purpose={"code": "105"},
        consentTypes=["PROFILE", "SUMMARY"],
        consentExpiry=stamp(now + timedelta(hours=20)),
        FIDataRange={"from": stamp(now - timedelta(hours=20)), "to": stamp(now)},
        DataLife={"unit": "DAY", "value": 1},
    )
    once_id = await _approve(client, partner, once.handle)
    await _use(app, partner, await _usable(app, partner, once_id))
    with pytest.raises(errors.InvalidConsentUse, match="ONETIME"):
        await _usable(app, partner, once_id)

    daily = await request_consent(client, partner, jwks, Frequency={"unit": "DAY", "value": 1})
    daily_id = await _approve(client, partner, daily.handle)
    await _use(app, partner, await _usable(app, partner, daily_id))
    with pytest.raises(errors.InvalidConsentUse, match="Frequency"):
        await _usable(app, partner, daily_id)
    await clock.advance(client, partner, 86_400)
    assert (await _usable(app, partner, daily_id)).use_count == 1
    artefact = (await fetch(client, partner, daily_id)).json()
    assert artefact["ConsentUse"]["count"] == 1

    with pytest.raises(errors.InvalidConsentId):
        await _usable(app, partner, "00000000-0000-4000-8000-000000000000")


async def test_consents_expire_by_world_time(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    short = {"consentExpiry": stamp(now + timedelta(days=2))}
    pending = await request_consent(client, partner, jwks, **short)
    active = await request_consent(client, partner, jwks, **short)
    active_id = await _approve(client, partner, active.handle)

    await clock.advance(client, partner, 3 * 86_400)
    assert (await handle_status(client, partner, pending.handle))["ConsentStatus"] == {
        "status": "EXPIRED"
    }
    assert (await act(client, partner, pending.handle, "approve")).status_code == 409
    with pytest.raises(errors.ConsentExpired):
        await _usable(app, partner, active_id)
    assert await _status(client, partner, active_id) == "EXPIRED"


async def test_the_sweep_expires_without_a_read(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    now = await clock.now(client, partner)
    requested = await request_consent(
        client, partner, jwks, consentExpiry=stamp(now + timedelta(days=1))
    )
    state = app.state.sandbox
    assert await sweep(state.db, state.settings.secret_key, state.clock) == 0
    await clock.advance(client, partner, 2 * 86_400)
    assert await sweep(state.db, state.settings.secret_key, state.clock) == 1
    listed = await client.get("/v1/consents", params={"status": "EXPIRED"}, headers=partner.headers)
    assert [c["consentHandle"] for c in listed.json()["consents"]] == [requested.handle]


async def test_a_tampered_log_no_longer_verifies(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, consent: Requested
) -> None:
    await _approve(client, partner, consent.handle)

    def tamper(conn: Any) -> None:
        conn.execute(
            sa.update(consent_log)
            .where(consent_log.c.handle == consent.handle, consent_log.c.seq == 1)
            .values(data={"txnid": "forged"})
        )

    await app.state.sandbox.db.write(tamper)
    log = (await client.get(f"/v1/consents/{consent.handle}/log", headers=partner.headers)).json()
    assert log["verified"] is False
    assert log["brokenAt"] == 1


async def test_listing_pages_with_a_cursor(
    client: httpx.AsyncClient, partner: SignedUp, jwks: dict[str, Any]
) -> None:
    handles = [(await request_consent(client, partner, jwks)).handle for _ in range(3)]
    first, second = await two_pages(client, partner, "/v1/consents")
    seen = [c["consentHandle"] for c in first["consents"] + second["consents"]]
    assert sorted(seen) == sorted(handles)
    assert second["nextCursor"] is None


async def test_the_fiu_receives_signed_spec_notifications(
    make_settings: Any, receiver: Receiver
) -> None:
    settings: Settings = make_settings(dispatch_webhooks=True)
    async with fiu_listening(settings, receiver) as listening:
        client, partner, jwks = listening.client, listening.partner, listening.jwks
        assert listening.notifications_go_to == listening.fiu_base + "/Consent/Notification"
        requested = await request_consent(client, partner, jwks)
        consent_id = await _approve(client, partner, requested.handle)
        await act(client, partner, requested.handle, "pause")
        got = await receiver.wait_for(5)

    spec = [r for r in got if r.path == "/fiu/Consent/Notification"]
    platform = [r for r in got if r.path == "/hooks"]
    # deliveries go out concurrently: their order of arrival is not the order of the events
    assert sorted(r.headers["sandbox-event-type"] for r in platform) == [
        "consent.approved",
        "consent.paused",
        "consent.requested",
    ]
    assert len(spec) == 2
    statuses = []
    for note in spec:
        jws.verify_detached(note.headers["x-jws-signature"], note.body, jwks)
        body = json.loads(note.body)
        validate("ConsentStatusNotification", body, file="FIU_2_0_0.yaml")
        assert body["txnid"] == requested.txnid
        assert body["Notifier"]["type"] == "AA"
        assert "sandbox-signature" not in note.headers
        statuses.append(body["ConsentStatusNotification"]["consentStatus"])
        assert body["ConsentStatusNotification"]["consentId"] == consent_id
    assert sorted(statuses) == ["ACTIVE", "PAUSED"]
