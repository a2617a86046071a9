"""Encrypted Auth 2.5 requests for the identity scenario, sealed before the load starts.

Sealing a PID (a fresh AES-256 session key, AES-GCM of the PID and of its SHA-256, the session
key under the sandbox's RSA certificate; ``identity.client``) costs the load generator about as
much as sending the request, so a locust process that sealed on the timed path would measure
itself. Each process therefore seals a pool of PIDs once, outside the statistics (like the
world's setup), and sends them round robin.

Replays (563) are refused by (txn, PID ts): the txn is outside the encrypted PID, so every request
gets a txn of its own (``lt-<process token>-<counter>``) and no two requests of a run, of any
process, share one. The server still does all the work of each: it caches no session key, so it
decrypts the RSA Skey, the Data and the Hmac of every request. The pool's PID ts is the world's
time at setup (IST), minus a minute: it stays inside the 24 h window (561) for a day of load.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import quoteattr

import httpx

from identity.client import json_body, seal
from identity.crypto import EncryptedPid
from loadtests.world import SetupError, World

AUTH_PATH = "/v1/identity/auth"
USES = {"pi": "y"}
IST = timedelta(hours=5, minutes=30)


@dataclass(frozen=True, slots=True)
class Person:
    uid: str
    name: str  # as enrolled: exact demographic match (Pi ms E)


@dataclass(frozen=True, slots=True)
class Sealed:
    uid: str
    pid: EncryptedPid


def demo_pid(person: Person, ts: str) -> bytes:
    """The PID XML of a demographic auth by the enrolled name."""
    pi = f'<Pi ms="E" name={quoteattr(person.name)}/>'
    return f'<Pid ts="{ts}" ver="2.0"><Demo>{pi}</Demo></Pid>'.encode()


def ist_ts(world_now: str, *, back: timedelta = timedelta(minutes=1)) -> str:
    """A PID ts (IST wall time, no zone) ``back`` before the world time ``world_now`` (RFC 3339)."""
    moment = datetime.fromisoformat(world_now.replace("Z", "+00:00")) + IST - back
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


class AuthPool:
    """Sealed PIDs sent round robin, each request with a txn never used before."""

    def __init__(self, sealed: Sequence[Sealed]) -> None:
        if not sealed:
            raise ValueError("an empty pool")
        self.sealed = list(sealed)
        self._token = uuid.uuid4().hex[:12]
        self._counter = itertools.count()

    def __len__(self) -> int:
        return len(self.sealed)

    def next_body(self) -> dict[str, Any]:
        n = next(self._counter)
        entry = self.sealed[n % len(self.sealed)]
        return json_body(entry.pid, uid=entry.uid, txn=f"lt-{self._token}-{n}", uses=USES)


def build_pool(people: Sequence[Person], certificate_pem: str, ts: str, size: int) -> AuthPool:
    """``size`` PIDs, each under its own session key, cycling through ``people``."""
    return AuthPool(
        [
            Sealed(p.uid, seal(demo_pid(p, ts), certificate_pem, ts=ts))
            for p in (people[i % len(people)] for i in range(size))
        ]
    )


def fetch_and_build(world: World, size: int, timeout: float) -> AuthPool:
    """The world's personas, the sandbox's auth certificate and world time, then the pool."""
    with httpx.Client(base_url=world.host, timeout=timeout, headers=world.headers) as client:
        listed = _get(client, "/v1/sandbox/personas")
        certificate = _get(client, "/v1/identity/certificate")["certificate"]
        now = _get(client, "/v1/sandbox/clock")["now"]
    people = [Person(p["uid"], p["name"]) for p in listed["personas"]]
    return build_pool(people, certificate, ist_ts(now), size)


def _get(client: httpx.Client, path: str) -> dict[str, Any]:
    got = client.get(path)
    if got.status_code != 200:
        raise SetupError(f"GET {path} answered {got.status_code}: {got.text[:300]}")
    body: dict[str, Any] = got.json()
    return body


_lock = threading.Lock()  # a gevent lock in a locust process (locust patches threading)
_pools: dict[str, AuthPool] = {}


def pool_for(world: World, size: int, timeout: float) -> AuthPool:
    """This process's pool for ``world``, sealed on first call."""
    with _lock:
        found = _pools.get(world.host)
        if found is None:
            found = fetch_and_build(world, size, timeout)
            _pools[world.host] = found
        return found
