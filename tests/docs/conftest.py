"""A live ``sandbox serve`` on the test's engine, and a reader's terminal pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.settings import Settings
from tests.docs.guide import Terminal
from tests.harness.server import ServerProcess


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(settings, tmp_path / "server.log") as process:
        process.wait_ready()
        yield process


@pytest.fixture
def terminal(server: ServerProcess, tmp_path: Path) -> Terminal:
    """A terminal where ``BASE`` is the sandbox and ``KEY`` a fresh partner's API key, as the
    quickstart's first blocks leave them."""
    signup = httpx.post(
        f"{server.base_url}/v1/partners",
        json={"name": "Guide reader", "contactEmail": "reader@example.com", "country": "IN"},
        timeout=10,
    )
    assert signup.status_code == 201, signup.text
    return Terminal(tmp_path, server, BASE=server.base_url, KEY=signup.json()["apiKey"])
