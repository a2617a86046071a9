"""A partner's webhooks: events queued as deliveries (``listen``, ``events``), a real HTTP
receiver on loopback for dispatch tests, and ``eventually`` for what happens in the background.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import anyio
import httpx

from tests.support.http import SignedUp

T = TypeVar("T")

# The discard port: nothing answers there, and dispatching is off in tests, so events only queue.
UNREACHABLE_WEBHOOK = "http://127.0.0.1:9/"


async def listen(client: httpx.AsyncClient, partner: SignedUp) -> None:
    """Give the partner a webhook URL so that its events are queued as deliveries."""
    patched = await client.patch(
        "/v1/partners/me", json={"webhookUrl": UNREACHABLE_WEBHOOK}, headers=partner.headers
    )
    assert patched.status_code == 200, patched.text


async def events(client: httpx.AsyncClient, partner: SignedUp) -> list[str]:
    """Event types queued for the partner since ``listen``, oldest first, leaving out the
    platform's own ``sandbox.*`` events (e.g. ``sandbox.clock.advanced``)."""
    listed = await client.get(
        "/v1/sandbox/webhooks/deliveries", params={"limit": 100}, headers=partner.headers
    )
    assert listed.status_code == 200, listed.text
    types = [d["eventType"] for d in reversed(listed.json()["deliveries"])]
    return [t for t in types if not t.startswith("sandbox.")]


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, within: float = 5.0, what: str = "a condition"
) -> T:
    """Poll ``check`` until it returns something (for at most ``within`` seconds)."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await anyio.sleep(0.01)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float  # time.monotonic() on arrival


class Receiver:
    """Records every request; answers ``fail_status`` to the first ``fail_first`` of them.

    ``start()`` and ``close()`` it (the ``receiver`` fixture of ``tests/webhooks`` does)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.fail_first = 0
        self.fail_status = 500
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver._record(
                    Received(
                        method=self.command,
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                        at=time.monotonic(),
                    )
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def _record(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            return self.fail_status if len(self.requests) <= self.fail_first else 200

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    async def wait_for(self, count: int, within: float = 5.0) -> list[Received]:
        """The first ``count`` requests, once they have arrived."""

        async def enough() -> list[Received] | None:
            got = self.received()
            return got if len(got) >= count else None

        return await eventually(enough, within=within, what=f"{count} webhook request(s)")
