"""A resident approves an AutoPay mandate on the PIN pad in real headless Chromium, at a
phone's size and partly by keyboard, then the merchant sees it ACTIVE through the API; a second
one she declines with the keyboard alone. Screenshots: ``console-resident-mandate*.png``."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.console_support import (
    PHONE,
    Partner,
    console_page,
    shot,
    sign_in_resident,
    world_now,
)
from tests.harness.server import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MERCHANT = "meeras.kirana@sandbox"


def request_mandate(partner: Partner, amount_limit: str) -> str:
    until = (world_now(partner) + timedelta(days=365)).astimezone(UTC)
    answer = partner.call(
        "POST",
        "/v1/upi/mandates",
        json={
            "payer": {"vpa": "asha@sandbox"},
            "payee": {"vpa": MERCHANT},
            "amountLimit": amount_limit,
            "recurrence": "MONTHLY",
            "validUntil": until.isoformat().replace("+00:00", "Z"),
            "purpose": "Milk subscription",
        },
    )
    assert answer.status_code == 201, answer.text
    umn: str = answer.json()["umn"]
    return umn


def fits_the_screen(page: Page) -> bool:
    """Nothing wider than the phone: no sideways scrolling to read the page."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_resident_approves_a_mandate_on_the_pin_pad(
    browser: Browser, server: ServerProcess, partner: Partner, artifacts: Path
) -> None:
    umn = request_mandate(partner, "499.00")
    declined = request_mandate(partner, "99.00")
    with console_page(browser, server, PHONE) as (page, log):
        page.goto(server.base_url + "/console/resident")
        sign_in_resident(page, partner)
        page.get_by_role("heading", name="Hello, Asha Verma").wait_for()
        shot(page, artifacts, "resident-home-mandates")
        page.get_by_role(
            "link", name=f"{MERCHANT} asks for an AutoPay mandate of up to 499.00"
        ).click()
        page.get_by_role("heading", name=f"{MERCHANT} asks for an AutoPay mandate").wait_for()
        assert page.get_by_text("Milk subscription").is_visible()
        assert fits_the_screen(page)
        shot(page, artifacts, "resident-mandate")

        pin = page.get_by_label("UPI PIN")  # a labelled field
        for digit in "12":
            page.get_by_role("button", name=f"digit {digit}", exact=True).click()
        page.keyboard.type("34")  # the pad left the focus in the field: the keyboard goes on
        assert pin.input_value() == "1234"
        shot(page, artifacts, "resident-mandate-pin")
        pin.press("Enter")  # submits with the form's first button: approve
        page.get_by_role("heading", name="Mandate approved").wait_for()
        assert page.get_by_text("code 00").is_visible()
        assert page.get_by_text("ACTIVE", exact=True).is_visible()
        assert fits_the_screen(page)
        shot(page, artifacts, "resident-mandate-approved")

        page.goto(f"{server.base_url}/console/resident/mandates/{declined}")
        decline = page.get_by_role("button", name="Decline")
        for _ in range(40):  # Tab through the page until the Decline button has the focus
            page.keyboard.press("Tab")
            if decline.evaluate("b => b === document.activeElement"):
                break
        else:
            pytest.fail("the Decline button cannot be reached with Tab")
        page.keyboard.press("Enter")
        page.get_by_role("heading", name="Mandate declined").wait_for()
        log.assert_clean()

    for found, status in ((umn, "ACTIVE"), (declined, "DECLINED")):
        mandate = partner.call("GET", f"/v1/upi/mandates/{found}").json()
        assert mandate["status"] == status, mandate
    assert mandate["payer"]["vpa"] == "asha@sandbox"
