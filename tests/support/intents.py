"""Helpers of the intent tests: build and read back links through the API, the published keys."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.http import SignedUp

MERCHANT = "meeras.kirana@sandbox"


async def build(
    client: httpx.AsyncClient, partner: SignedUp, **fields: Any
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"payee": {"vpa": MERCHANT}, **fields}
    response = await client.post("/v1/upi/intents", json=body, headers=partner.headers)
    return response.status_code, response.json()


async def intent(client: httpx.AsyncClient, partner: SignedUp, **fields: Any) -> dict[str, Any]:
    status, body = await build(client, partner, **fields)
    assert status == 200, body
    return body


async def parse(client: httpx.AsyncClient, partner: SignedUp, link: str) -> httpx.Response:
    return await client.post("/v1/upi/intents/parse", json={"link": link}, headers=partner.headers)


async def parsed(client: httpx.AsyncClient, partner: SignedUp, link: str) -> dict[str, Any]:
    response = await parse(client, partner, link)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def split_signed(link: str) -> tuple[str, str]:
    """``(signed text, sign)`` the way a PSP app reads a link: the query before ``&sign=``."""
    query = link.split("?", 1)[1]
    text, sign = query.rsplit("&sign=", 1)
    return text, sign


def public_key_of(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")
    numbers = ec.EllipticCurvePublicNumbers(number(jwk["x"]), number(jwk["y"]), ec.SECP256R1())
    return numbers.public_key()


async def published_keys(client: httpx.AsyncClient, partner: SignedUp) -> list[dict[str, Any]]:
    response = await client.get("/v1/upi/intents/keys", headers=partner.headers)
    assert response.status_code == 200, response.text
    keys: list[dict[str, Any]] = response.json()["keys"]
    return keys
