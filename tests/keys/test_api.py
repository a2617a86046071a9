"""``GET /.well-known/jwks.json`` and ``signed_json``: what a partner fetches and verifies."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sandbox.deps import Keys
from sandbox.keys.api import signed_json
from sandbox.keys.jws import verify_detached
from tests.support.http import client_for

pytestmark = pytest.mark.anyio

NON_ASCII = {
    "ver": "2.0.0",
    "name": "आशा देवी",  # Devanagari, sent as UTF-8
    "city": "Bengaluru / ಬೆಂಗಳೂರು",
    "amount": "1250.50",  # amounts are strings in the spec
    "note": 'quotes " and \\ and \n and \u2028 and emoji 🙂',
    "nested": {"b": [1, True, None, {"z": "ü"}], "a": -9007199254740991},
}


async def test_the_jwks_is_public_cacheable_and_shaped_per_rfc_7517(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=3600"
    (jwk,) = response.json()["keys"]
    assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}
    assert (jwk["kty"], jwk["use"], jwk["alg"]) == ("RSA", "sig", "RS256")
    assert jwk["kid"] == app.state.sandbox.keys.kid
    assert "PRIVATE" not in response.text


async def test_the_jwks_is_documented(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"]["/.well-known/jwks.json"]["get"]
    assert operation["tags"] == ["keys"]
    assert "security" not in operation
    ok = operation["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Jwks"}
    assert "Cache-Control" in ok["headers"]
    schema = document["components"]["schemas"]["Jwks"]
    (example,) = schema["examples"]
    assert set(example["keys"][0]) == {"kty", "n", "e", "kid", "use", "alg"}
    assert set(document["components"]["schemas"]["Jwk"]["required"]) == set(example["keys"][0])


async def _signed(app: FastAPI, content: Any, **kwargs: Any) -> httpx.Response:
    async def answer(keys: Keys) -> Any:
        return signed_json(content, keys, **kwargs)

    app.router.add_api_route("/test/signed", answer, methods=["POST"])
    async with client_for(app) as client:
        return await client.post("/test/signed")


async def test_signed_json_bytes_are_compact_json_of_the_parsed_body(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await _signed(app, NON_ASCII, status_code=201, headers={"X-Extra": "1"})

    assert response.status_code == 201
    assert response.headers["x-extra"] == "1"
    assert response.headers["content-type"] == "application/json"
    # what an FIU verifies: JSON.stringify(JSON.parse(body)), here in Python
    reparsed = json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)
    assert reparsed.encode() == response.content
    assert "आशा".encode() in response.content
    assert b"\\u" not in response.content
    assert response.json() == NON_ASCII

    jwks = (await client.get("/.well-known/jwks.json")).json()
    kid = verify_detached(response.headers["x-jws-signature"], response.content, jwks)
    assert kid == jwks["keys"][0]["kid"]
