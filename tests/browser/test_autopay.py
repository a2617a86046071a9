"""In real headless Chromium at a phone's size: the resident opens her AutoPay list from the
menu, pauses a mandate with the mouse, resumes it and revokes it with the keyboard alone (the
revoke asks again on a page of its own: "No, keep it" leaves the mandate as it was, "Yes,
revoke" ends it), and after each step the merchant's API shows the new state. Then her home's
consents page: more than one page of them, walked with the "Older consents" link. Screenshots:
``console-resident-autopay*.png``, ``console-resident-home-page2.png``."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from console.resident import CONSENTS_PAGE
from tests.browser.console_support import (
    PHONE,
    Partner,
    console_page,
    request_consent,
    shot,
    sign_in_resident,
    world_now,
)
from tests.harness.server import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MERCHANT = "meeras.kirana@sandbox"


def active_mandate(partner: Partner) -> str:
    """A monthly mandate of Asha's, approved with her PIN, with one debit announced."""
    until = (world_now(partner) + timedelta(days=365)).astimezone(UTC)
    created = partner.call(
        "POST",
        "/v1/upi/mandates",
        json={
            "payer": {"vpa": "asha@sandbox"},
            "payee": {"vpa": MERCHANT},
            "amountLimit": "650.00",
            "recurrence": "MONTHLY",
            "validUntil": until.isoformat().replace("+00:00", "Z"),
            "purpose": "Newspaper",
        },
    )
    assert created.status_code == 201, created.text
    umn: str = created.json()["umn"]
    approved = partner.call("POST", f"/v1/upi/mandates/{umn}/approve", json={"pin": "1234"})
    assert approved.json()["status"] == "ACTIVE", approved.text
    notified = partner.call("POST", f"/v1/upi/mandates/{umn}/notify", json={"amount": "420.00"})
    assert notified.status_code == 201, notified.text
    return umn


def status_of(partner: Partner, umn: str) -> str:
    return str(partner.call("GET", f"/v1/upi/mandates/{umn}").json()["status"])


def fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus (the keyboard alone reaches it)."""
    for _ in range(60):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    pytest.fail(f"{target} cannot be reached with Tab")


def test_resident_pauses_resumes_and_revokes_a_mandate(
    browser: Browser, server: ServerProcess, partner: Partner, artifacts: Path
) -> None:
    umn = active_mandate(partner)
    with console_page(browser, server, PHONE) as (page, log):
        page.goto(server.base_url + "/console/resident")
        sign_in_resident(page, partner)
        page.get_by_role("heading", name="Hello, Asha Verma").wait_for()
        page.get_by_role("link", name="AutoPay").click()  # the menu, with the mouse
        page.get_by_role("heading", name="Your AutoPay mandates").wait_for()
        item = page.get_by_role("listitem").filter(has_text=MERCHANT)
        for shown in ("650.00 INR", "monthly, Newspaper", "ACTIVE", "420.00 INR"):
            assert item.get_by_text(shown).first.is_visible(), shown
        assert fits_the_screen(page)
        shot(page, artifacts, "resident-autopay")

        page.get_by_role("button", name=f"Pause AutoPay to {MERCHANT}").click()
        page.get_by_role("heading", name="Mandate paused").wait_for()
        assert page.get_by_text("refused while paused").is_visible()
        assert status_of(partner, umn) == "PAUSED"
        assert fits_the_screen(page)
        shot(page, artifacts, "resident-autopay-paused")

        tab_to(page, page.get_by_role("button", name=f"Resume AutoPay to {MERCHANT}"))
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Mandate resumed").wait_for()
        assert status_of(partner, umn) == "ACTIVE"

        page.get_by_role("link", name="All your AutoPay mandates").click()
        page.get_by_role("heading", name="Your AutoPay mandates").wait_for()
        revoke = page.get_by_role("link", name=f"Revoke AutoPay to {MERCHANT}")
        tab_to(page, revoke)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=f"Revoke AutoPay to {MERCHANT}?").wait_for()
        assert page.get_by_text("cannot be resumed").is_visible()
        assert status_of(partner, umn) == "ACTIVE"  # asked, not done
        assert fits_the_screen(page)
        shot(page, artifacts, "resident-autopay-revoke-confirm")
        page.get_by_role("link", name="No, keep it").click()
        page.get_by_role("heading", name=f"AutoPay to {MERCHANT}").wait_for()
        assert status_of(partner, umn) == "ACTIVE"

        tab_to(page, page.get_by_role("link", name=f"Revoke AutoPay to {MERCHANT}"))
        page.keyboard.press("Enter")
        confirm = page.get_by_role("button", name=f"Yes, revoke AutoPay to {MERCHANT}")
        tab_to(page, confirm)
        description = confirm.evaluate(
            "e => document.getElementById(e.getAttribute('aria-describedby')).textContent"
        )
        assert "Revoking is final" in description  # what a screen reader reads with it
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Mandate revoked").wait_for()
        assert page.get_by_text("REVOKED", exact=True).is_visible()
        assert page.get_by_role("button", name=re.compile("Pause|Resume|Revoke")).count() == 0
        assert page.get_by_role("link", name=re.compile("Revoke")).count() == 0
        shot(page, artifacts, "resident-autopay-revoked")
        log.assert_clean()
    assert status_of(partner, umn) == "REVOKED"
    listed = partner.call("GET", "/v1/upi/mandates", params={"vpa": "asha@sandbox"}).json()
    assert [m["status"] for m in listed["mandates"] if m["umn"] == umn] == ["REVOKED"]


def test_her_consents_page_past_the_first(
    browser: Browser, server: ServerProcess, partner: Partner, artifacts: Path
) -> None:
    made = [request_consent(partner) for _ in range(CONSENTS_PAGE + 1)]
    with console_page(browser, server, PHONE) as (page, log):
        page.goto(server.base_url + "/console/resident")
        sign_in_resident(page, partner)
        page.get_by_role("heading", name="Hello, Asha Verma").wait_for()
        links = page.locator('a[href*="/console/resident/consents/"]')
        assert links.count() == CONSENTS_PAGE
        assert made[0] not in page.content()  # the oldest is on the next page
        pager = page.get_by_role("navigation", name="Pages of consents")
        pager.get_by_role("link", name="Older consents").click()
        page.get_by_role("link", name="Newest consents").wait_for()
        assert links.count() == 1
        assert made[0] in (links.first.get_attribute("href") or "")
        assert fits_the_screen(page)
        shot(page, artifacts, "resident-home-page2")
        log.assert_clean()
