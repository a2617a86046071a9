"""The lean doubles of the hot routes (``sandbox.hot``) answer every request exactly as the
documented routes do: a corpus of bad (and a few unusual good) requests is sent to an app
without the doubles and to one with them, and the status, headers and body bytes compared."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.requests import ClientDisconnect

from sandbox import hot
from sandbox.app import INSTALLED, create_app
from tests.support.http import client_for, sign_up
from tests.support.identity import easy, pid_ts

pytestmark = pytest.mark.anyio

JSON = "application/json"
BAD_KEY = "Bearer sk_sandbox_nope"
PAY = b'{"payer":{"vpa":"asha@sandbox","pin":"1234"},"payee":{"vpa":"ravi@sandbox"}'
COLLECT = b'{"payee":{"vpa":"asha@sandbox"},"payer":{"vpa":"ravi@sandbox"}'
AMOUNT, OTHER_AMOUNT = b',"amount":"1.00"}', b',"amount":"2.00"}'

# name -> (content type or None, body, extra headers: None removes the Authorization)
Case = tuple[str | None, bytes, dict[str, str | None]]


def _corpus(good: bytes, tail: bytes, other: bytes, tag: str = "") -> dict[str, Case]:
    """Requests to a route whose valid body is ``good + tail`` (``good + other`` is another);
    its Idempotency-Keys start with ``tag`` (a partner's keys are one namespace)."""
    ok = good + tail
    again: dict[str, str | None] = {"Idempotency-Key": f"{tag}again"}
    return {
        "malformed": (JSON, b"{", {}),
        "truncated": (JSON, good, {}),
        "trailing garbage": (JSON, ok + b"x", {}),
        "not UTF-8": (JSON, good + b',"note":"\xff\xfe"}', {}),
        "lone surrogate": (JSON, good + b',"note":"\\ud800","amount":"1.00"}', {}),
        "BOM": (JSON, b"\xef\xbb\xbf" + ok, {}),
        "nested deep": (JSON, b"[" * 5000 + b"]" * 5000, {}),
        "huge number": (JSON, good + b',"amount":' + b"9" * 5000 + b"}", {}),
        "empty body": (JSON, b"", {}),
        "empty object": (JSON, b"{}", {}),
        "array": (JSON, b"[]", {}),
        "null": (JSON, b"null", {}),
        "string": (JSON, b'"x"', {}),
        "number amount": (JSON, good + b',"amount":100}', {}),
        "wrong types": (JSON, b'{"payer":1,"payee":"x","amount":[],"uid":{},"rc":2}', {}),
        "extra field": (JSON, good + b',"amount":"1.00","tip":"1.00"}', {}),
        "NUL": (JSON, good + b',"amount":"1.00","note":"a\\u0000"}', {}),
        "no content type": (None, ok, {}),
        "text/plain": ("text/plain", ok, {}),
        "charset": ("application/json; charset=utf-8", ok, {"Idempotency-Key": tag + "charset"}),
        "+json": ("application/merge-patch+json", ok, {"Idempotency-Key": tag + "plus"}),
        "upper case type": ("Application/JSON", ok, {"Idempotency-Key": tag + "upper"}),
        "key too long": (JSON, ok, {"Idempotency-Key": "k" * 256}),
        "key longest": (JSON, ok, {"Idempotency-Key": tag + "k" * (255 - len(tag))}),
        "key empty": (JSON, ok, {"Idempotency-Key": ""}),
        "key and body bad": (JSON, b'{"amount":-1}', {"Idempotency-Key": "k" * 300}),
        "no auth": (JSON, ok, {"Authorization": None}),
        "bad auth": (JSON, ok, {"Authorization": BAD_KEY}),
        "bad auth, malformed": (JSON, b"{", {"Authorization": BAD_KEY}),
        "bad auth, invalid": (JSON, b"{}", {"Authorization": BAD_KEY}),
        "bad auth, empty": (JSON, b"", {"Authorization": BAD_KEY}),
        "bad auth, bad key": (JSON, ok, {"Authorization": BAD_KEY, "Idempotency-Key": ""}),
        "replay 1": (JSON, ok, again),
        "replay 2": (JSON, ok, again),
        "key reused": (JSON, good + other, again),
    }


_VARYING = "txnId|rrn|createdAt|updatedAt|expiresAt|instance|requestId|ts|uidToken|code"
_DROPPED = {"x-request-id", "x-jws-signature", "content-length", "date"}


def _answer(response: Any) -> tuple[int, list[tuple[str, str]], str]:
    """Status, headers in order (those that differ on every request dropped) and the body
    bytes as text, its per-request values (ids, times) masked."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in _DROPPED]
    text = re.sub(rf'"({_VARYING})":"[^"]*"', r'"\1":"<varies>"', response.text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", text)
    return response.status_code, headers, text


async def _answers(app: FastAPI, auth_body: Callable[[Any, Any], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with app.router.lifespan_context(app), client_for(app) as client:
        partner = await sign_up(client)
        auth = (await auth_body(client, partner))[:-1]
        for path, good, tail, other in (
            ("/v1/upi/pay", PAY, AMOUNT, OTHER_AMOUNT),
            ("/v1/upi/collect", COLLECT, AMOUNT, OTHER_AMOUNT),
            ("/v1/identity/auth", auth, b"}", b',"txn":"hot-other"}'),
        ):
            for name, (content_type, body, extra) in _corpus(good, tail, other, path).items():
                headers = {
                    **partner.headers,
                    **({"Content-Type": content_type} if content_type else {}),
                }
                headers.update(extra)  # type: ignore[arg-type]
                sent = {k: v for k, v in headers.items() if v is not None}
                response = await client.post(path, content=body, headers=sent)
                out[f"{path} {name}"] = _answer(response)
    return out


async def _auth_body(client: Any, partner: Any) -> bytes:
    """A valid easy-path auth."""
    pid = {
        "ts": await pid_ts(client, partner),
        "ver": "2.0",
        "demo": {"pi": {"name": "Asha Verma"}},
    }
    return json.dumps(easy(pid, txn="hot-corpus", pi="y"), separators=(",", ":")).encode()


async def test_the_doubles_answer_a_corpus_of_requests_as_the_documented_routes(
    make_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[bytes] = []
    hand_over = hot._HandOver.__call__

    async def counted(self: Any, scope: Any, receive: Any, send: Any) -> None:
        handed.append(self.body)
        await hand_over(self, scope, receive, send)

    monkeypatch.setattr(hot._HandOver, "__call__", counted)
    settings = make_settings()
    plain = create_app(settings, domains=[replace(d, hot=()) for d in INSTALLED])
    documented = await _answers(plain, _auth_body)
    assert handed == []
    doubled = await _answers(create_app(settings), _auth_body)
    assert documented.keys() == doubled.keys()
    for name, answer in documented.items():
        assert doubled[name] == answer, name
    statuses = {name: answer[0] for name, answer in documented.items()}
    assert statuses["/v1/upi/pay malformed"] == 422
    assert statuses["/v1/upi/pay bad auth, malformed"] == 422  # the body is judged first
    assert statuses["/v1/upi/pay bad auth, invalid"] == 401  # the key before the fields
    assert statuses["/v1/upi/pay key longest"] == 200
    assert statuses["/v1/upi/collect key reused"] == 409
    assert statuses["/v1/identity/auth replay 2"] == 200
    assert statuses["/v1/identity/auth key reused"] == 409
    assert '"ret":"y"' in documented["/v1/identity/auth BOM"][2]  # the first to go through
    # the doubles served the plain valid requests themselves, and handed over the rest
    served = {"key longest", "replay 1", "replay 2", "key reused", "no auth", "bad auth"}
    assert len(handed) == 3 * (len(_corpus(b"", b"", b"")) - len(served))


async def test_a_double_s_requests_are_counted_under_the_route_s_path(make_settings: Any) -> None:
    """The metrics and the access log label a request by its route's path, a double's too."""
    app = create_app(make_settings())
    async with app.router.lifespan_context(app), client_for(app) as client:
        partner = await sign_up(client)
        paid = await client.post(
            "/v1/upi/pay", content=PAY + AMOUNT, headers={**partner.headers, "Content-Type": JSON}
        )
        assert paid.status_code == 200
        metrics = (await client.get("/metrics")).text
    assert 'route="/v1/upi/pay"' in metrics
    assert 'route="unmatched"' not in metrics


async def _asgi(app: FastAPI, messages: list[dict[str, Any]], headers: dict[str, str]) -> Any:
    """POST /v1/upi/pay straight into the app, its body as ``messages``; (status, body)."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/upi/pay",
        "raw_path": b"/v1/upi/pay",
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 1),
        "server": ("sandbox", 80),
    }
    pending = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"] if sent else None, body


async def test_a_double_reads_a_body_sent_in_pieces_and_stops_at_a_disconnect(
    make_settings: Any,
) -> None:
    app = create_app(make_settings())
    async with app.router.lifespan_context(app), client_for(app) as client:
        partner = await sign_up(client)
        whole = PAY + AMOUNT
        pieces = [whole[:10], whole[10:40], whole[40:]]
        messages = [
            {"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1}
            for i, piece in enumerate(pieces)
        ]
        status, body = await _asgi(app, messages, partner.headers)
        assert status == 200
        assert json.loads(body)["status"] == "SUCCESS"
        cut = [{"type": "http.request", "body": whole[:10], "more_body": True}]
        with pytest.raises(ClientDisconnect):  # as from Request.body(): the server drops it
            await _asgi(app, cut, partner.headers)
