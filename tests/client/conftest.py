from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox.client import AsyncSandbox
from tests.support.http import SignedUp


@pytest.fixture
async def sb(client: httpx.AsyncClient, partner: SignedUp) -> AsyncIterator[AsyncSandbox]:
    """The async client on the in-process app (httpx ASGI transport), as ``partner``."""
    async with AsyncSandbox(partner.api_key, http=client) as sandbox:
        yield sandbox


async def fi_routes(client: httpx.AsyncClient, partner: SignedUp) -> bool:
    """Whether this build serves ``POST /aa/FI/request`` (being built beside the client)."""
    answer = await client.post("/aa/FI/request", json={}, headers=partner.headers)
    return answer.status_code != 404


@pytest.fixture
async def needs_fi(client: httpx.AsyncClient, partner: SignedUp) -> None:
    if not await fi_routes(client, partner):
        pytest.skip("POST /aa/FI/request answers 404: the FI data flow has not landed yet")
