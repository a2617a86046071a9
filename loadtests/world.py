"""The world one locust process loads: its API key, its parties, and what the server offers.

Set up once per process, by the first user that starts (the others wait for it), outside
locust's statistics: the signup and the probes are not part of the load. With
``LOADTEST_API_KEY`` every process (and every machine) loads that partner's world; without it
each process signs up a partner of its own, so distributed workers never share a rate limit.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from loadtests.config import LoadConfig
from loadtests.parties import Parties, world_parties

log = logging.getLogger("loadtests")

COLLECT_PATH = "/v1/upi/collect"


class SetupError(RuntimeError):
    """The world could not be set up (signup refused, server unreachable...)."""


@dataclass(frozen=True)
class World:
    """A partner's world as the scenarios use it."""

    host: str
    api_key: str
    parties: Parties
    collect_available: bool
    signed_up: bool
    """True when this process created the partner (and so owns the world)."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


_lock = threading.Lock()  # locust patches threading: this is a gevent lock in a locust process
_worlds: dict[str, World] = {}
_warned: set[str] = set()


def world_for(host: str, config: LoadConfig) -> World:
    """The world of this process for ``host``, set up on first call."""
    with _lock:
        found = _worlds.get(host)
        if found is None:
            found = set_up(host, config)
            _worlds[host] = found
        return found


def existing_worlds() -> list[World]:
    """The worlds this process has set up so far."""
    with _lock:
        return list(_worlds.values())


def warn_once(key: str, message: str) -> None:
    """Log ``message`` the first time ``key`` is seen in this process."""
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(message)


def set_up(host: str, config: LoadConfig) -> World:
    """Sign up (unless a key is configured), derive the parties and probe the collect routes."""
    with httpx.Client(base_url=host, timeout=config.setup_timeout) as client:
        signed_up = config.api_key is None
        api_key = config.api_key or sign_up(client, config)
        headers = {"Authorization": f"Bearer {api_key}"}
        check = client.get("/v1/partners/me", headers=headers)
        if check.status_code != 200:
            raise SetupError(f"GET /v1/partners/me answered {check.status_code}: {check.text}")
        collect = _collect_available(client, headers)
    parties = world_parties(
        residents=config.residents, country=config.country, min_balance=config.min_payer_balance
    )
    log.info(
        "load world on %s: %d parties (%d residents configured), collect %s",
        host,
        len(parties),
        config.residents,
        "available" if collect else "missing",
    )
    return World(host, api_key, parties, collect, signed_up)


def sign_up(client: httpx.Client, config: LoadConfig) -> str:
    """A new partner's API key."""
    response = client.post(
        "/v1/partners",
        json={
            "name": f"Load test {uuid.uuid4().hex[:8]}",
            "contactEmail": "loadtest@example.com",
            "country": config.country,
        },
    )
    if response.status_code != 201:
        raise SetupError(f"POST /v1/partners answered {response.status_code}: {response.text}")
    body: dict[str, Any] = response.json()
    return str(body["apiKey"])


def _collect_available(client: httpx.Client, headers: dict[str, str]) -> bool:
    """Whether the collect routes exist: an empty body gets 422 from them, 404 without them."""
    response = client.post(COLLECT_PATH, json={}, headers=headers)
    return response.status_code != 404


def check_ledger(
    world: World, *, attempts: int = 4, pause: float = 2.0, timeout: float = 30.0
) -> dict[str, Any]:
    """``GET /v1/sandbox/ledger/check`` of the world, asked again (up to ``attempts`` times,
    ``pause`` seconds apart) while it says unbalanced.

    When a test stops, requests of stopped users (and of other processes loading the same
    world) may still be in flight; on PostgreSQL the check reads in several statements, so a
    payment that commits between them shows as money created (seen at 2 workers: +1.00 to
    +7.00 during load, balanced once quiet). Only an imbalance that persists is one.
    """
    with httpx.Client(base_url=world.host, timeout=timeout) as client:
        for attempt in range(attempts):
            if attempt:
                time.sleep(pause)
            response = client.get("/v1/sandbox/ledger/check", headers=world.headers)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            if body.get("balanced") is True:
                break
        return body
