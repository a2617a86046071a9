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
