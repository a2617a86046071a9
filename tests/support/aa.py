"""The FIU's side of the AA API for tests: request bodies that pass, signed requests, and the
check of the AA's detached JWS on answers and notifications; and what the consent tests share:
the partner's world as the services see it, a listing's two pages, a consent log's kinds."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from joserfc.jwk import RSAKey

from sandbox.keys import jws
from sandbox.keys.canonical import compact_json
from sandbox.partners.store import get_partner
from sandbox.settings import Settings
from sandbox.world.context import WorldContext
from tests.support.http import SignedUp, running, sign_up
from tests.support.webhooks import Receiver

PERSONA_HANDLE = "asha@sandbox-aa"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def consent_detail(now: datetime, **overrides: Any) -> dict[str, Any]:
    """A purpose-102 PERIODIC consent within the fair-use limits, for Asha."""
    detail: dict[str, Any] = {
        "consentStart": stamp(now),
        "consentExpiry": stamp(now + timedelta(days=180)),
        "consentMode": "STORE",
        "fetchType": "PERIODIC",
        "consentTypes": ["PROFILE", "SUMMARY", "TRANSACTIONS"],
        "fiTypes": ["DEPOSIT"],
        "DataConsumer": {"id": "fiu-team-test", "type": "FIU"},
        "Customer": {"id": PERSONA_HANDLE},
        "Purpose": {
            "code": "102",
            "refUri": "https://api.rebit.org.in/aa/purpose/102.xml",
            "text": "Customer spending patterns, budget or other reportings",
            "Category": {"type": "string"},
        },
        "FIDataRange": {"from": stamp(now - timedelta(days=365)), "to": stamp(now)},
        "DataLife": {"unit": "MONTH", "value": 1},
        "Frequency": {"unit": "MONTH", "value": 30},
    }
    detail.update(overrides)
    return detail


def envelope(now: datetime, **fields: Any) -> dict[str, Any]:
    return {"ver": "2.0.0", "timestamp": stamp(now), "txnid": str(uuid.uuid4()), **fields}


def verify_aa_signature(response: httpx.Response, jwks: dict[str, Any]) -> None:
    """The answer's x-jws-signature covers exactly its bytes, which are what a JavaScript client
    gets back from ``JSON.stringify(JSON.parse(body))``."""
    jws.verify_detached(response.headers[jws.HEADER], response.content, jwks)
    assert compact_json(json.loads(response.content)) == response.content


async def post(
    client: httpx.AsyncClient,
    partner: SignedUp,
    path: str,
    body: dict[str, Any],
    *,
    key: rsa.RSAPrivateKey | None = None,
    kid: str = "fiu-key-1",
    header: str = "client_api_key",
) -> httpx.Response:
    """POST ``body`` as compact JSON to ``/aa{path}`` with the key in ``header`` (or Bearer),
    signed with ``key`` when given."""
    raw = compact_json(body)
    headers = {"Content-Type": "application/json"}
    if header == "client_api_key":
        headers["client_api_key"] = partner.api_key
    else:
        headers.update(partner.headers)
    if key is not None:
        headers[jws.HEADER] = jws.sign_detached(raw, key, jws.protected_header(kid))
    return await client.post(f"/aa{path}", content=raw, headers=headers)


def public_jwk(key: rsa.RSAPrivateKey, kid: str = "fiu-key-1") -> dict[str, Any]:
    jwk = RSAKey.import_key(key.public_key()).as_dict(private=False)
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": kid}


async def world_of(app: FastAPI, partner: SignedUp) -> WorldContext:
    """The partner's world as the services get it (for calling them without HTTP)."""
    state = app.state.sandbox
    found = await state.db.read(lambda conn: get_partner(conn, partner.partner_id))
    assert found is not None
    return WorldContext.of(found, state.settings.secret_key, state.clock)


async def two_pages(
    client: httpx.AsyncClient, partner: SignedUp, path: str, *, limit: int = 2
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A listing's first page of ``limit`` rows and the page its ``nextCursor`` names."""
    first = await client.get(path, params={"limit": limit}, headers=partner.headers)
    assert first.status_code == 200, first.text
    cursor = first.json()["nextCursor"]
    assert cursor
    second = await client.get(
        path, params={"limit": limit, "cursor": cursor}, headers=partner.headers
    )
    assert second.status_code == 200, second.text
    return first.json(), second.json()


async def log_kinds(client: httpx.AsyncClient, partner: SignedUp, handle: str) -> list[str]:
    """The kinds of a consent's log entries, oldest first; the hash chain verified."""
    log = (await client.get(f"/v1/consents/{handle}/log", headers=partner.headers)).json()
    assert log["verified"] is True
    return [e["kind"] for e in log["entries"]]


@dataclass(frozen=True)
class Fiu:
    """A running app with dispatch on, and a partner whose platform webhooks and AA
    notifications both go to one loopback receiver (``<receiver>/hooks``, ``<fiu_base>/...``)."""

    client: httpx.AsyncClient
    partner: SignedUp
    jwks: dict[str, Any]
    fiu_base: str  # the partner's AA notificationUrl
    notifications_go_to: str  # what PUT /v1/partners/me/aa answered for consent notifications


@asynccontextmanager
async def fiu_listening(settings: Settings, receiver: Receiver) -> AsyncIterator[Fiu]:
    """``Fiu`` for the duration of the block (the app stops, and its deliveries, after it)."""
    async with running(settings) as (_app, client):
        partner = await sign_up(client)
        jwks = (await client.get("/.well-known/jwks.json")).json()
        fiu_base = receiver.url.rsplit("/", 1)[0] + "/fiu"
        hooks = await client.patch(
            "/v1/partners/me", json={"webhookUrl": receiver.url}, headers=partner.headers
        )
        assert hooks.status_code == 200, hooks.text
        saved = await client.put(
            "/v1/partners/me/aa", json={"notificationUrl": fiu_base}, headers=partner.headers
        )
        assert saved.status_code == 200, saved.text
        yield Fiu(client, partner, jwks, fiu_base, saved.json()["notificationsGoTo"])
