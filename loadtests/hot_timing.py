"""CPU of a hot route through its lean double against the documented route, in one process:
two apps (one without ``Domain.hot``) on their own SQLite data dirs, called as ASGI apps
directly (no HTTP client), in alternating batches, so both see the same machine at the same
moments; a ``GET /healthz`` batch beside them for scale.

    .venv/bin/python -m loadtests.hot_timing --route pay --batches 20 --batch 100

Reported: process CPU per request of each (median over batches) and the difference. Payments are
P2P between the personas Asha and Ravi and back (1.00 each, so no balance drains); auths use the
easy path (a plain PID, no RSA), so the figure is the request path's, not the crypto's.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import time
from collections.abc import MutableMapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from loadtests.inprocess import migrated_settings
from sandbox.app import INSTALLED, create_app

ASHA_UID = "999941057058"


def _app(hot: bool) -> FastAPI:
    settings = migrated_settings("hot-timing-", residents=5)
    if hot:
        return create_app(settings)
    return create_app(settings, domains=[replace(d, hot=()) for d in INSTALLED])


async def call(
    app: FastAPI, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request straight into the ASGI app; (status, body)."""
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if body:
        raw += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 1),
        "server": ("sandbox", 80),
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _setup(app: FastAPI) -> dict[str, str]:
    signup = json.dumps({"name": "T", "contactEmail": "t@example.com", "country": "IN"}).encode()
    status, body = await call(app, "POST", "/v1/partners", signup)
    assert status == 201, body
    return {"Authorization": f"Bearer {json.loads(body)['apiKey']}"}


def _bodies(route: str) -> itertools.cycle[tuple[str, Any]]:
    if route == "pay":
        there = {"payer": {"vpa": "asha@sandbox", "pin": "1234"}, "payee": {"vpa": "ravi@sandbox"}}
        back = {"payer": {"vpa": "ravi@sandbox", "pin": "1234"}, "payee": {"vpa": "asha@sandbox"}}
        return itertools.cycle(
            [("/v1/upi/pay", {**b, "amount": "1.00", "note": "load test"}) for b in (there, back)]
        )
    return itertools.cycle([("/v1/identity/auth", None)])


def _ist_ts() -> str:
    """A PID ts a minute ago, IST (a fresh partner's world runs on real time)."""
    moment = datetime.now(UTC) + timedelta(hours=5, minutes=30) - timedelta(minutes=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


async def _batch(app: FastAPI, headers: dict[str, str], route: str, n: int, seq: Any) -> float:
    bodies = _bodies(route)
    cpu = time.process_time()
    for _ in range(n):
        if route == "noop":
            status, body = await call(app, "GET", "/healthz")
        else:
            path, content = next(bodies)
            if content is None:  # an easy-path auth with its own txn (no replay)
                pid = {"ts": _ist_ts(), "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}
                content = {"uid": ASHA_UID, "rc": "Y", "ver": "2.5", "txn": f"t{next(seq)}"}
                content |= {"uses": {"pi": "y"}, "pid": pid}
            status, body = await call(app, "POST", path, json.dumps(content).encode(), headers)
        assert status == 200, body
    return (time.process_time() - cpu) / n


async def measure(route: str, batches: int, n: int) -> dict[str, list[float]]:
    apps = {"double": _app(hot=True), "documented": _app(hot=False)}
    seq = itertools.count()
    out: dict[str, list[float]] = {"documented": [], "double": [], "no-op": []}
    documented, double = apps["documented"], apps["double"]
    async with (
        documented.router.lifespan_context(documented),
        double.router.lifespan_context(double),
    ):
        headers = {name: await _setup(app) for name, app in apps.items()}
        for name, app in apps.items():  # warm up
            await _batch(app, headers[name], route, n, seq)
        for _ in range(batches):
            for name, app in apps.items():
                out[name].append(await _batch(app, headers[name], route, n, seq))
            out["no-op"].append(await _batch(apps["double"], {}, "noop", n, seq))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--route", choices=["pay", "auth"], default="pay")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    out = asyncio.run(measure(args.route, args.batches, args.batch))
    med = {name: statistics.median(v) * 1e6 for name, v in out.items()}
    for name, value in med.items():
        print(f"{args.route} {name}: {value:.0f} us per request (median of {args.batches})")
    diff = med["documented"] - med["double"]
    print(
        f"documented - double: {diff:.0f} us; above the no-op: documented "
        f"{med['documented'] - med['no-op']:.0f} us, double {med['double'] - med['no-op']:.0f} us"
    )


if __name__ == "__main__":
    main()
