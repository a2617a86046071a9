"""What the console's browser tests share: a page that reaches only the sandbox (and the FIU's
callback, answered here), the partner's API client, screenshots into
``test-artifacts/browser/console-*.png``, and the resident's sign-in steps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from sandbox.keys.canonical import compact_json
from tests.harness.server import ServerProcess
from tests.support.aa import consent_detail, envelope
from tests.support.identity import ASHA_MOBILE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

TIMEOUT_MS = 20_000
FIU = "https://fiu.example"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
_OTP = re.compile(r"\b(\d{6})\b")


@dataclass
class Log:
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.blocked, f"requests to another host: {self.blocked}"
        assert not self.errors, f"console errors (a CSP violation is one): {self.errors}"


@contextmanager
def console_page(
    browser: Browser, server: ServerProcess, viewport: dict[str, int]
) -> Iterator[tuple[Page, Log]]:
    """A page that reaches only the sandbox, and the FIU's callback (answered here)."""
    own = urlsplit(server.base_url).netloc
    log = Log()
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def route(r: Route) -> None:
        url = urlsplit(r.request.url)
        if url.netloc == own or url.scheme in ("data", "blob"):
            r.continue_()
        elif f"{url.scheme}://{url.netloc}" == FIU:
            r.fulfill(status=200, content_type="text/html", body="<h1>FIU callback</h1>")
        else:
            log.blocked.append(r.request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: log.errors.append(f"uncaught: {exc}"))
    try:
        yield page, log
    finally:
        context.close()


@dataclass(frozen=True)
class Partner:
    api_key: str
    api: httpx.Client

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}", **kwargs.pop("headers", {})}
        return self.api.request(method, path, headers=headers, **kwargs)


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    path = artifacts / f"console-{name}.png"
    page.screenshot(path=path, full_page=True)
    print(f"screenshot: {path}")


def world_now(partner: Partner) -> datetime:
    return datetime.fromisoformat(partner.call("GET", "/v1/sandbox/clock").json()["now"])


def sign_in_resident(page: Page, partner: Partner, artifacts: Path | None = None) -> None:
    """From the world step to signed in: the API key, Asha's mobile, the OTP from the inbox."""
    page.get_by_label("Partner API key").fill(partner.api_key)
    if artifacts:
        shot(page, artifacts, "resident-world")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Mobile number").fill(ASHA_MOBILE)
    if artifacts:
        shot(page, artifacts, "resident-mobile")
    page.get_by_role("button", name="Send OTP").click()
    page.get_by_label("OTP").wait_for()
    inbox = partner.call("GET", "/v1/sandbox/inbox", params={"to": ASHA_MOBILE}).json()
    found = _OTP.search(inbox["messages"][0]["body"])
    assert found is not None
    page.get_by_label("OTP").fill(found.group(1))
    if artifacts:
        shot(page, artifacts, "resident-otp")
    page.get_by_label("OTP").press("Enter")  # the keyboard submits the form


def request_consent(partner: Partner) -> str:
    """An FIU's POST /aa/Consent for Asha (the easy path: no signature); its ConsentHandle."""
    now = world_now(partner)
    body = envelope(now, ConsentDetail=consent_detail(now - timedelta(seconds=1)))
    answer = partner.api.post(
        "/aa/Consent",
        content=compact_json(body),
        headers={"client_api_key": partner.api_key, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    handle: str = answer.json()["ConsentHandle"]
    return handle
