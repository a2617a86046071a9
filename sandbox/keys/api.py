"""``GET /.well-known/jwks.json``, and ``signed_json``: the answer of a route whose body is signed.

A route that answers signed JSON returns ``signed_json(content, keys)``: the body is
``canonical.compact_json(content)`` and ``x-jws-signature`` covers exactly those bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sandbox.deps import Keys
from sandbox.keys import jws
from sandbox.keys.canonical import compact_json
from sandbox.keys.ring import KeyRing

router = APIRouter(tags=["keys"])

CACHE_CONTROL = "public, max-age=3600"  # the key changes only when an operator replaces its file

EXAMPLE_KID = "XlPeTiT7eTTkX8QgpYzgJQFXIwbJtEtsKl792fpxvG4"  # the example key's thumbprint


class Jwk(BaseModel):
    """One public signing key (RFC 7517), RSA."""

    model_config = ConfigDict(frozen=True)

    kty: Literal["RSA"] = Field(description="Key type.")
    n: str = Field(description="Modulus, base64url (2048 bits).")
    e: str = Field(description="Public exponent, base64url.", examples=["AQAB"])
    kid: str = Field(
        description="Key id: the RFC 7638 thumbprint of the key; the `kid` of the JWS headers "
        "it signs.",
        examples=[EXAMPLE_KID],
    )
    use: Literal["sig"] = Field(description="Signatures only.")
    alg: Literal["RS256"] = Field(description="The one algorithm this key signs with.")


class Jwks(BaseModel):
    """The sandbox's public keys (RFC 7517 JWK Set)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "keys": [
                        {
                            "kty": "RSA",
                            "n": "miUOuxXaLo9x5JzZVsNXusC73X_CKj5e1FvPS9TW5mB0_1Q_FNyoZ8OD4Qqa"
                            "6doGHMOvKGb2uHksNgAq9ZhXB_FeyeI2MXrhb2T7ScbIdde0MDCbnwwHOcOn"
                            "0DLLF4ZPrSeKelQtfcK6nsjbydvpi7k9uJgwRiLEhxhVc7yp5pbh3DTywWxi"
                            "_vRDW9HfCj8tVd_udSK3NwOcsgTMuVFe6PpT9hjegAawUQyYlzdxJDznOFeE"
                            "8vA-ySFElBvnZ6HxCWEYeCUkj4Zs8rzTZ3Xl0IrnupKNAZFayypSmRxJkLsS"
                            "moKwf6pStg46JjImeNhiPPCzRAIoMLYQfgZAjX2m2w",
                            "e": "AQAB",
                            "kid": EXAMPLE_KID,
                            "use": "sig",
                            "alg": "RS256",
                        }
                    ]
                }
            ]
        },
    )

    keys: list[Jwk] = Field(description="Keys that may have signed a response.")


@router.get(
    "/.well-known/jwks.json",
    summary="The sandbox's public signing keys",
    description=(
        "Verify the `x-jws-signature` of the sandbox's signed answers and notifications (detached "
        "JWS, RFC 7797, RS256) with the key whose `kid` the JWS header names. No API key needed."
    ),
    response_model=Jwks,
    responses={
        200: {
            "headers": {
                "Cache-Control": {
                    "description": "How long the set may be cached.",
                    "schema": {"type": "string"},
                }
            }
        }
    },
)
async def jwks(keys: Keys) -> Response:
    return Response(
        compact_json(keys.jwks()),
        media_type="application/json",
        headers={"Cache-Control": CACHE_CONTROL},
    )


def signed_json(
    content: Any,
    keys: KeyRing,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``content`` as compact JSON with a detached JWS over exactly the bytes sent."""
    body = compact_json(content)
    response = Response(body, status_code=status_code, media_type="application/json")
    if headers:
        response.headers.update(headers)
    response.headers[jws.HEADER] = keys.sign_detached(body)
    return response
