"""Every page the sandbox serves works offline: /docs, /redoc and a problem page load in
Chromium with nothing but the sandbox reachable, and nothing on them fails to load."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.harness.server import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_MS = 20_000


@dataclass
class NetworkLog:
    """What went wrong while a page loaded: blocked or failed requests, 4xx/5xx answers,
    console errors (a Content-Security-Policy violation is one) and uncaught exceptions."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.blocked, f"requests to another host: {self.blocked}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.errors, f"console errors: {self.errors}"


@contextmanager
def offline_page(browser: Browser, server: ServerProcess) -> Iterator[tuple[Page, NetworkLog]]:
    """A page whose every request to a host other than the server is aborted and logged."""
    own_host = urlsplit(server.base_url).netloc
    log = NetworkLog()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def only_the_sandbox(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == own_host:
            route.continue_()
        else:
            log.blocked.append(url)
            route.abort("blockedbyclient")

    def on_failed(request: Request) -> None:
        log.failed.append(f"{request.method} {request.url}: {request.failure}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.errors.append(message.text)

    context.route("**/*", only_the_sandbox)
    page.on("requestfailed", on_failed)
    page.on(
        "response",
        lambda r: log.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("console", on_console)
    page.on("pageerror", lambda exc: log.errors.append(f"uncaught: {exc}"))
    try:
        yield page, log
    finally:
        context.close()


def test_swagger_ui_lists_and_expands_the_pay_operation(
    browser: Browser, server: ServerProcess, artifacts: Path
) -> None:
    with offline_page(browser, server) as (page, log):
        page.goto(server.base_url + "/docs", wait_until="networkidle")
        pay = page.locator(".opblock-post").filter(
            has=page.locator(".opblock-summary-path[data-path='/v1/upi/pay']")
        )
        summary = pay.locator(".opblock-summary").first
        summary.wait_for(state="visible")
        assert page.locator("button.authorize").is_visible(), "no Authorize button"
        summary.click()
        pay.locator(".opblock-body").wait_for(state="visible")
        pay.locator("button.try-out__btn").wait_for(state="visible")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=artifacts / "docs.png", full_page=False)
        log.assert_clean()


def test_redoc_lists_the_pay_operation(
    browser: Browser, server: ServerProcess, artifacts: Path
) -> None:
    with offline_page(browser, server) as (page, log):
        page.goto(server.base_url + "/redoc", wait_until="networkidle")
        page.locator(".menu-content").wait_for(state="visible")
        # the side menu lists the operation (by its operationId) under its tag, which opens on
        # a click; choosing the operation shows its path
        page.locator("li[data-item-id='tag/payments']").click()
        pay = page.locator("li[data-item-id='tag/payments/operation/pay__v1_upi_pay_post']")
        pay.wait_for(state="visible")
        pay.click()
        operation = page.locator("[id$='/operation/pay__v1_upi_pay_post']").first
        operation.get_by_text("/v1/upi/pay", exact=True).first.wait_for(state="visible")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=artifacts / "redoc.png", full_page=False)
        log.assert_clean()


def test_problem_page_is_readable(browser: Browser, server: ServerProcess, artifacts: Path) -> None:
    with offline_page(browser, server) as (page, log):
        answer = page.goto(server.base_url + "/problems/invalid-request")
        assert answer is not None
        assert answer.headers["content-type"].startswith("text/html")
        page.get_by_role("heading", name="Invalid request").wait_for()
        for heading in ("What causes it", "How to fix it", "Example"):
            assert page.get_by_role("heading", name=heading).is_visible(), heading
        assert '"type": "/problems/invalid-request"' in page.locator("pre").inner_text()
        back = page.get_by_role("link", name="Back to the API documentation")
        assert back.get_attribute("href") == "/docs"
        page.wait_for_load_state("networkidle")
        page.screenshot(path=artifacts / "problem.png", full_page=True)
        log.assert_clean()
