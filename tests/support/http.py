"""The app over HTTP, in process: a client, a running app, and partners signed up through it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from sandbox.app import create_app
from sandbox.settings import Settings

PROBLEM = "application/problem+json"


def client_for(application: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://sandbox.test")


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app built by ``create_app(settings)``, its lifespan running (database, jobs)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """``started(settings)`` and a client for it."""
    async with started(settings) as app, client_for(app) as client:
        yield app, client


@dataclass(frozen=True)
class SignedUp:
    partner_id: str
    api_key: str
    webhook_secret: str
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def sign_up(client: httpx.AsyncClient, **overrides: Any) -> SignedUp:
    payload: dict[str, Any] = {"name": "Team Test", "contactEmail": "team@example.com"}
    payload.update(overrides)
    response = await client.post("/v1/partners", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    return SignedUp(body["partnerId"], body["apiKey"], body["webhookSecret"], body)
