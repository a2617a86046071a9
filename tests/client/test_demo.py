"""``sandbox demo``: the story on the in-process app (``AsyncSandbox``), and the command itself
against a real ``sandbox serve``. The FI half runs once ``POST /aa/FI/request`` exists; until then
the demo must stop with its clear message and exit code 3, and the test skips with the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.client import AsyncSandbox
from sandbox.client.demo import story
from tests.harness.server import ServerProcess, sandbox_env


@pytest.mark.anyio
async def test_the_story_in_process(client: httpx.AsyncClient) -> None:
    printed: list[tuple[str, str]] = []
    sb = AsyncSandbox(http=client)
    result = await sb.run(story(lambda step, detail: printed.append((step, detail))))
    steps = [step for step, _ in printed]
    assert steps[:2] == ["Sign up", "Meet the personas"]
    assert "Asha approves it" in steps
    assert any(d.startswith("ret y: Asha Verma") for _, d in printed)
    assert result.payment is not None
    assert result.collect is not None
    assert set(result.found) == {result.payment["txnId"], result.collect["txnId"]}
    assert 'amount="250.00"' in result.found[result.payment["txnId"]]
    assert result.statements
    assert result.session_id


@pytest.mark.slow
def test_sandbox_demo_against_a_served_sandbox(settings: Any, tmp_path: Path) -> None:
    server = ServerProcess(settings, tmp_path / "server.log").start()
    try:
        server.wait_ready()
        done = subprocess.run(
            [sys.executable, "-m", "sandbox", "demo", "--base-url", server.base_url],
            env=sandbox_env(settings),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.stop()
    out = done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    for expected in (" 1. Sign up", "ret y: Asha Verma", "Ravi pays Asha 250.00", "SUCCESS 00"):
        assert expected in out, out
    assert "handle READY" in out, out
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.count("In her statement") == 2, out
    assert "NOT FOUND" not in out, out
    assert "Every step passed" in out
