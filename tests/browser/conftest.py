"""Real headless Chromium (Debian's ``chromium`` driven by Playwright) against a real server,
with every request to another host aborted: a page that needs the internet fails here.

Without Chromium or Playwright the tests skip with the reason, except under ``CI``, where they
fail: CI installs Chromium (``.ci/run``) and these tests are mandatory there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from sandbox.settings import Settings
from tests.browser.console_support import FIU, Partner
from tests.harness.server import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = os.environ.get("SANDBOX_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


# module scope, not session: Playwright's sync API keeps an event loop running in this thread
# until it stops, and the async tests of other modules need the thread to themselves
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing = _unavailable()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests are mandatory in CI: {missing}", pytrace=False)
        pytest.skip(f"browser tests skipped: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(settings, tmp_path / "server.log") as process:
        process.wait_ready()
        yield process


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def partner(server: ServerProcess) -> Iterator[Partner]:
    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        signed = api.post(
            "/v1/partners",
            json={"name": "FIU Team", "contactEmail": "t@example.com", "webhookUrl": FIU + "/h"},
        )
        assert signed.status_code == 201, signed.text
        yield Partner(signed.json()["apiKey"], api)
