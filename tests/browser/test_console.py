"""The web console in real headless Chromium against a real server: a resident approves a
consent end to end (sent back to the FIU), pays a collect on the PIN pad; the partner finds the
payment in the dashboard and replays a webhook. Every page is screenshotted into
``test-artifacts/browser/console-*.png``; the resident's pages at a phone's size."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from consent.crypto import EphemeralKey
from sandbox.keys.canonical import compact_json
from tests.browser.console_support import (
    DESKTOP,
    FIU,
    PHONE,
    Partner,
    console_page,
    request_consent,
    shot,
    sign_in_resident,
    world_now,
)
from tests.harness.server import ServerProcess
from tests.support.aa import envelope

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_resident_approves_a_consent_and_returns_to_the_fiu(
    browser: Browser, server: ServerProcess, partner: Partner, artifacts: Path
) -> None:
    handle = request_consent(partner)
    back = f"{FIU}/callback?session=42"
    link = f"{server.base_url}/console/resident/consents/{handle}?redirect={quote(back, safe='')}"
    with console_page(browser, server, PHONE) as (page, log):
        page.goto(link)
        sign_in_resident(page, partner, artifacts)
        page.get_by_role("heading", name="fiu-team-test asks for your data").wait_for()
        assert page.get_by_text("Customer spending patterns").is_visible()
        boxes = page.get_by_role("checkbox")
        assert boxes.count() >= 1
        assert boxes.first.is_checked()
        shot(page, artifacts, "resident-consent")
        page.get_by_role("button", name="Approve").click()
        page.wait_for_url(f"{FIU}/callback**")
        query = parse_qs(urlsplit(page.url).query)
        assert query == {"session": ["42"], "consentHandle": [handle], "status": ["ACTIVE"]}
        log.assert_clean()
    consent = partner.call("GET", f"/v1/consents/{handle}").json()
    assert consent["status"] == "ACTIVE"
    assert consent["accounts"]

    # the FIU fetches the data of the consent the resident approved in the browser
    fetch_fi_data(partner, consent)


def fetch_fi_data(partner: Partner, consent: dict[str, Any]) -> None:
    artefact = partner.api.post(
        "/aa/Consent/fetch",
        content=compact_json(envelope(world_now(partner), consentId=consent["consentId"])),
        headers={"client_api_key": partner.api_key, "Content-Type": "application/json"},
    )
    assert artefact.status_code == 200, artefact.text
    signed = artefact.json()["signedConsent"]
    signature = signed.rsplit(".", 1)[1]
    payload = signed.split(".")[1]
    detail = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    granted = detail["FIDataRange"]  # ask for the last 30 days of what she consented to
    until = datetime.fromisoformat(granted["to"].replace("Z", "+00:00"))
    now = world_now(partner)
    key = EphemeralKey.generate(int(now.timestamp() * 1_000_000))
    body = envelope(
        now,
        FIDataRange={
            "from": (until - timedelta(days=30)).astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "to": granted["to"],
        },
        Consent={"id": consent["consentId"], "digitalSignature": signature},
        KeyMaterial=key.key_material(),
    )
    answer = partner.api.post(
        "/aa/FI/request",
        content=compact_json(body),
        headers={"client_api_key": partner.api_key, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    session_id = answer.json()["sessionId"]
    fetched = partner.api.post(
        "/aa/FI/fetch",
        content=compact_json(envelope(world_now(partner), sessionId=session_id)),
        headers={"client_api_key": partner.api_key, "Content-Type": "application/json"},
    )
    assert fetched.status_code == 200, fetched.text
    assert [d["encryptedFI"] for fi in fetched.json()["FI"] for d in fi["data"]]


def test_collect_on_the_pin_pad_then_the_dashboard_and_a_replay(
    browser: Browser, server: ServerProcess, partner: Partner, artifacts: Path
) -> None:
    raised = partner.call(
        "POST",
        "/v1/upi/collect",
        json={
            "payee": {"vpa": "meeras.kirana@sandbox"},
            "payer": {"vpa": "asha@sandbox"},
            "amount": "250.00",
            "note": "Groceries",
        },
    )
    assert raised.status_code == 200, raised.text
    txn_id = raised.json()["txnId"]
    with console_page(browser, server, PHONE) as (page, log):
        page.goto(server.base_url + "/console/resident")
        sign_in_resident(page, partner)
        page.get_by_role("heading", name="Hello, Asha Verma").wait_for()
        shot(page, artifacts, "resident-home")
        page.get_by_role("link", name="meeras.kirana@sandbox asks for 250.00").click()
        pin = page.get_by_label("UPI PIN")
        for digit in "1239":
            page.get_by_role("button", name=f"digit {digit}", exact=True).click()
        page.get_by_role("button", name="delete last digit").click()
        page.get_by_role("button", name="digit 4", exact=True).click()
        assert pin.input_value() == "1234"  # typed by the pad (console.js), not the keyboard
        shot(page, artifacts, "resident-pin-pad")
        page.get_by_role("button", name="Pay 250.00 INR").click()
        page.get_by_role("heading", name="Paid").wait_for()
        assert page.get_by_text("code 00").is_visible()
        shot(page, artifacts, "resident-paid")
        log.assert_clean()
    status = partner.call("GET", f"/v1/upi/transactions/{txn_id}").json()
    assert status["status"] == "SUCCESS"

    with console_page(browser, server, DESKTOP) as (page, log):
        page.goto(server.base_url + "/console/partner")
        page.get_by_label("API key").fill(partner.api_key)
        shot(page, artifacts, "partner-sign-in")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Payments").wait_for()
        row = page.locator(f"tr[data-txn='{txn_id}']")
        assert "SUCCESS" in row.inner_text()
        assert "250.00" in row.inner_text()
        shot(page, artifacts, "partner-payments")
        row.get_by_role("link", name="00").click()
        page.get_by_role("heading", name="Response codes").wait_for()
        assert page.url.endswith("#payments-00")
        assert page.locator("#payments-00").is_visible()
        shot(page, artifacts, "partner-codes")

        page.get_by_role("link", name="Webhooks").click()
        page.get_by_role("heading", name="Webhook deliveries").wait_for()
        first = page.locator("tr[data-delivery]").first
        delivery = first.get_attribute("data-delivery")
        first.get_by_role("button", name=f"Replay delivery {delivery}").click()
        page.get_by_role("status").filter(has_text="queued again").wait_for()
        shot(page, artifacts, "partner-webhooks")

        for name, heading in (
            ("Consents", "Consents"),
            ("Authentications", "Authentication records"),
            ("Personas", "Personas"),
            ("Clock", "World clock"),
        ):
            page.get_by_role("navigation").get_by_role("link", name=name).click()
            page.get_by_role("heading", name=heading, exact=True).wait_for()
            shot(page, artifacts, f"partner-{name.lower()}")
        page.get_by_label("By").fill("1")
        page.get_by_label("Unit").select_option("hours")
        page.get_by_role("button", name="Advance").click()
        page.get_by_text("The clock moved forward").wait_for()
        log.assert_clean()
    clock = partner.call("GET", "/v1/sandbox/clock").json()
    assert clock["offsetSeconds"] == 3600
