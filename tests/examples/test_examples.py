"""The partner examples in ``examples/`` run as a partner would run them: a separate process (the
Python one with httpx only, the JavaScript one with Node's fetch) against a live ``sandbox serve``.
Each must finish with exit 0, print every step's success marker, and leave its payment in the
world where the API shows it.

Without ``node`` on PATH the JavaScript example skips with the reason, except under ``CI``, where
it fails: CI installs Node (``.ci/run``) and the example is mandatory there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.settings import Settings
from tests.harness.server import ServerProcess

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PYTHON_EXAMPLE = EXAMPLES / "python" / "pay_and_consent.py"
JS_EXAMPLE = EXAMPLES / "js" / "pay_and_consent.mjs"
MARKERS = (
    "[ok] Validate VPA: ravi@sandbox is Ravi Kumar",
    "[ok] Pay: SUCCESS 00, txnId ",
    " is SUCCESS",
    "[ok] Declined as expected: 200 XI; hint: ",
    "[ok] Refused as expected: 422 body.amount: decimal_amount; hint: ",
    "[ok] Consent approved: handle READY, consent ",
    "[ok] FI requested: session ",
    "[ok] Statement: ",
    "[ok] Found our payment: txnId ",
    "[done] pay and consent flows completed",
)


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(settings, tmp_path / "server.log") as process:
        process.wait_ready()
        yield process


def run_example(command: list[str], server: ServerProcess, api_key: str | None = None) -> str:
    """Run an example with only SANDBOX_URL (and SANDBOX_API_KEY when given) set; its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env["SANDBOX_URL"] = server.base_url
    if api_key is not None:
        env["SANDBOX_API_KEY"] = api_key
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, cwd=EXAMPLES, check=False
    )
    assert done.returncode == 0, (
        f"{command[-1]} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        f"\nserver log:\n{server.log_tail()}"
    )
    return done.stdout


def assert_markers(output: str) -> str:
    """Every step's marker is printed, in order; answers the paid txnId."""
    position = 0
    for marker in MARKERS:
        found = output.find(marker, position)
        assert found >= 0, f"missing (or out of order): {marker!r}\n{output}"
        position = found + len(marker)
    paid = output.split("[ok] Pay: SUCCESS 00, txnId ", 1)[1].split(",", 1)[0]
    assert f"[ok] Found our payment: txnId {paid} is in her statement" in output
    return paid


def test_the_python_example_pays_and_reads_the_statement_with_a_key_from_the_env(
    server: ServerProcess,
) -> None:
    created = httpx.post(
        f"{server.base_url}/v1/partners",
        json={"name": "Examples test", "contactEmail": "examples@example.com"},
    ).json()
    output = run_example([sys.executable, str(PYTHON_EXAMPLE)], server, created["apiKey"])
    assert "[ok] API key: from SANDBOX_API_KEY" in output
    paid = assert_markers(output)
    # the payment happened in the world of the key it was given, not in a world of its own
    answer = httpx.get(
        f"{server.base_url}/v1/upi/transactions/{paid}",
        headers={"Authorization": f"Bearer {created['apiKey']}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["amount"] == "150.25"
    assert answer.json()["status"] == "SUCCESS"


@pytest.fixture
def node() -> str:
    """Node's path; checked before the server starts."""
    found = shutil.which("node")
    if found is None:
        reason = "no `node` on PATH (Node 18+: apt-get install nodejs)"
        if os.environ.get("CI"):
            pytest.fail(f"the JavaScript example is mandatory in CI: {reason}", pytrace=False)
        pytest.skip(f"JavaScript example skipped: {reason}")
    return found


def test_the_javascript_example_signs_up_pays_and_reads_the_statement(
    node: str, server: ServerProcess
) -> None:
    output = run_example([node, str(JS_EXAMPLE)], server)
    assert "[ok] Sign up: partner prt_" in output
    assert_markers(output)
