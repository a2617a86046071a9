"""The web console over plain HTTP: pages answer with the strict policy, forms refuse a missing
CSRF token, pages refuse the signed-out, a partner's dashboard and a resident's screens show
only their world, the consent flow redirects back only where it may, the PIN pad pays."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from sandbox.web.pages import CSP, SELF_ONLY
from tests.support.console import (
    csrf_of,
    partner_signs_in,
    request_collect,
    request_consent,
    resident_signs_in,
    submit,
)
from tests.support.http import SignedUp, client_for, sign_up
from tests.support.identity import auth, easy, pid_ts
from tests.support.upi import pay

pytestmark = pytest.mark.anyio
FIU = "https://fiu.example"


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second client with its own cookie jar: the person at the browser."""
    async with client_for(app) as c:
        yield c


@pytest.fixture
async def fiu(client: httpx.AsyncClient) -> SignedUp:
    """A partner with a webhook URL on the FIU's origin (where consent redirects may go)."""
    return await sign_up(client, name="FIU Team", webhookUrl=f"{FIU}/hooks")


async def test_console_pages_carry_the_strict_policy(browser: httpx.AsyncClient) -> None:
    for path in ("/console", "/console/partner/sign-in", "/console/resident/sign-in"):
        page = await browser.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers[CSP] == SELF_ONLY
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text  # only <script src=...> from the sandbox
        assert 'name="viewport"' in page.text
    assert (await browser.get("/console/static/console.css")).status_code == 200
    assert (await browser.get("/console/static/console.js")).status_code == 200
    assert "/console" not in str((await browser.get("/openapi.json")).json()["paths"])


async def test_partner_signs_in_with_the_key_and_the_cookie_is_guarded(
    browser: httpx.AsyncClient, partner: SignedUp
) -> None:
    wrong = await submit(
        browser, "/console/partner/sign-in", "/console/partner/sign-in", api_key="sk_sandbox_no"
    )
    assert wrong.status_code == 401
    assert "unknown or has been rotated out" in wrong.text
    shown = await browser.get("/console/partner/sign-in")
    done = await browser.post(
        "/console/partner/sign-in", data={"csrf": csrf_of(shown), "api_key": partner.api_key}
    )
    assert done.status_code == 303
    cookie = done.headers["set-cookie"]
    assert "sbx_partner=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/console" in cookie
    assert partner.api_key not in cookie  # ids only, never the key
    assert (await browser.get("/console/partner/payments")).status_code == 200


async def test_forms_without_the_csrf_token_are_refused(
    browser: httpx.AsyncClient, partner: SignedUp
) -> None:
    await browser.get("/console/partner/sign-in")  # the browser holds a token
    missing = await browser.post("/console/partner/sign-in", data={"api_key": partner.api_key})
    assert missing.status_code == 403
    assert "CSRF" in missing.text
    forged = await browser.post(
        "/console/partner/sign-in", data={"api_key": partner.api_key, "csrf": "x" * 32}
    )
    assert forged.status_code == 403
    await partner_signs_in(browser, partner)
    for action in ("/console/partner/reset", "/console/partner/clock/advance"):
        refused = await browser.post(action, data={"amount": "10", "unit": "days"})
        assert refused.status_code == 403, action
    clock = await browser.get("/console/partner/clock")
    assert "Ahead of real time by</dt><dd>0 s" in clock.text


async def test_pages_refuse_the_signed_out_and_forged_cookies(browser: httpx.AsyncClient) -> None:
    for path in ("/console/partner", "/console/partner/payments", "/console/partner/webhooks"):
        answer = await browser.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/console/partner/sign-in"
    resident = await browser.get("/console/resident/consents/abc?redirect=/x")
    assert resident.status_code == 303
    target = urlsplit(resident.headers["location"])
    assert target.path == "/console/resident/sign-in"
    assert parse_qs(target.query)["next"] == ["/console/resident/consents/abc?redirect=/x"]
    browser.cookies.set("sbx_partner", "eyJwIjoicHRuX3gifQ.forged.sig", path="/console")
    assert (await browser.get("/console/partner/payments")).status_code == 303


async def test_a_rotated_key_ends_the_dashboard_session(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await partner_signs_in(browser, partner)
    assert (await browser.get("/console/partner/payments")).status_code == 200
    rotated = await client.post("/v1/partners/me/keys", headers=partner.headers)
    assert rotated.status_code in (200, 201), rotated.text
    assert (await browser.get("/console/partner/payments")).status_code == 303


async def test_dashboard_lists_payments_with_code_links(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    ok = await pay(client, partner, "asha@sandbox", "meeras.kirana@sandbox", "10.00")
    bad = await pay(client, partner, "asha@sandbox", "meeras.kirana@sandbox", "10.00", pin="0000")
    await partner_signs_in(browser, partner)
    page = await browser.get("/console/partner/payments")
    for answer in (ok, bad):
        txn = answer.json()
        assert f'data-txn="{txn["txnId"]}"' in page.text
        link = f"/console/partner/codes#payments-{txn['responseCode']}"
        assert link in page.text
    codes = await browser.get("/console/partner/codes")
    assert f'id="payments-{bad.json()["responseCode"]}"' in codes.text
    assert 'id="identity-' in codes.text


async def test_dashboard_pages_of_the_world(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    ts = await pid_ts(client, partner)
    done = await auth(
        client,
        partner,
        easy({"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}, txn="t-1", pi="y"),
    )
    handle = await request_consent(client, partner)
    await partner_signs_in(browser, partner)
    identity = await browser.get("/console/partner/identity")
    assert done["code"] in identity.text
    personas = await browser.get("/console/partner/personas")
    assert "asha@sandbox" in personas.text
    assert "999999990019" in personas.text
    assert 'id="magic"' in personas.text
    consents = await browser.get("/console/partner/consents")
    assert handle in consents.text
    log = await browser.get(f"/console/partner/consents/{handle}")
    assert "REQUESTED" in log.text or "CREATED" in log.text or "PENDING" in log.text
    assert "hash chain verified" in log.text


async def test_clock_advance_and_reset_from_the_dashboard(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await partner_signs_in(browser, partner)
    advanced = await submit(
        browser,
        "/console/partner/clock",
        "/console/partner/clock/advance",
        amount="2",
        unit="hours",
    )
    assert advanced.status_code == 303
    clock = await client.get("/v1/sandbox/clock", headers=partner.headers)
    assert clock.json()["offsetSeconds"] == 7200
    bad = await submit(
        browser, "/console/partner/clock", "/console/partner/clock/advance", amount="x", unit="days"
    )
    assert bad.status_code == 422
    reset = await submit(browser, "/console/partner/clock", "/console/partner/reset")
    assert reset.status_code == 303
    clock = await client.get("/v1/sandbox/clock", headers=partner.headers)
    assert clock.json()["offsetSeconds"] == 0


async def test_webhook_replay_from_the_dashboard(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, fiu: SignedUp
) -> None:
    await pay(client, fiu, "asha@sandbox", "meeras.kirana@sandbox", "10.00")
    listed = await client.get("/v1/sandbox/webhooks/deliveries", headers=fiu.headers)
    delivery = listed.json()["deliveries"][0]["id"]
    await partner_signs_in(browser, fiu)
    page = await browser.get("/console/partner/webhooks")
    assert f'data-delivery="{delivery}"' in page.text
    replayed = await browser.post(
        f"/console/partner/webhooks/{delivery}/replay", data={"csrf": csrf_of(page)}
    )
    assert replayed.status_code == 303
    assert replayed.headers["location"] == f"/console/partner/webhooks?replayed={delivery}"
    shown = await browser.get(replayed.headers["location"])
    assert "queued again" in shown.text
    unknown = await browser.post(
        "/console/partner/webhooks/whd_nope/replay", data={"csrf": csrf_of(page)}
    )
    assert unknown.status_code == 404


async def test_resident_approves_a_consent_and_is_sent_back_to_the_fiu(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, fiu: SignedUp
) -> None:
    handle = await request_consent(client, fiu)
    back = f"{FIU}/callback?session=42"
    link = f"/console/resident/consents/{handle}?redirect={quote(back, safe='')}"
    signed_in = await resident_signs_in(browser, client, fiu, next_page=link)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == link
    page = await browser.get(link)
    assert page.status_code == 200
    assert "fiu-team-test asks for your data" in page.text
    for shown in ("Customer spending patterns", "DEPOSIT", "30 times a month", "1 month"):
        assert shown in page.text, shown
    answer = await browser.post(
        f"/console/resident/consents/{handle}",
        data={"csrf": csrf_of(page), "action": "approve", "redirect": back, "account": []},
    )
    assert answer.status_code == 422  # no account ticked
    eligible = _checkbox_values(page.text)
    assert eligible
    answer = await browser.post(
        f"/console/resident/consents/{handle}",
        data={"csrf": csrf_of(page), "action": "approve", "redirect": back, "account": eligible},
    )
    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{FIU}/callback"
    assert parse_qs(target.query) == {
        "session": ["42"],
        "consentHandle": [handle],
        "status": ["ACTIVE"],
    }
    consent = await client.get(f"/v1/consents/{handle}", headers=fiu.headers)
    assert consent.json()["status"] == "ACTIVE"
    assert [a["linkRefNumber"] for a in consent.json()["accounts"]] == eligible
    home = await browser.get("/console/resident")
    assert handle in home.text
    paused = await browser.post(
        f"/console/resident/consents/{handle}", data={"csrf": csrf_of(home), "action": "pause"}
    )
    assert paused.status_code == 303
    revoked = await browser.post(
        f"/console/resident/consents/{handle}", data={"csrf": csrf_of(home), "action": "revoke"}
    )
    assert revoked.status_code == 303
    consent = await client.get(f"/v1/consents/{handle}", headers=fiu.headers)
    assert consent.json()["status"] == "REVOKED"
    again = await browser.post(
        f"/console/resident/consents/{handle}", data={"csrf": csrf_of(home), "action": "resume"}
    )
    assert again.status_code == 409
    assert "REVOKED" in again.text


def _checkbox_values(html: str) -> list[str]:
    return re.findall(r'type="checkbox" id="acc-\d+" name="account" value="([^"]+)"', html)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example/x",
        "/\\evil.example",
        "https://fiu.example.evil.example/",
        "http://fiu.example/",  # another scheme: another origin
        "javascript:alert(1)",
    ],
)
async def test_the_consent_flow_is_no_open_redirect(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, fiu: SignedUp, target: str
) -> None:
    handle = await request_consent(client, fiu)
    await resident_signs_in(browser, client, fiu)
    link = f"/console/resident/consents/{handle}?redirect={quote(target, safe='')}"
    assert (await browser.get(link)).status_code == 400
    page = await browser.get(f"/console/resident/consents/{handle}")
    refused = await browser.post(
        f"/console/resident/consents/{handle}",
        data={"csrf": csrf_of(page), "action": "reject", "redirect": target},
    )
    assert refused.status_code == 400
    consent = await client.get(f"/v1/consents/{handle}", headers=fiu.headers)
    assert consent.json()["status"] == "PENDING"  # nothing happened


async def test_resident_rejects_without_a_redirect(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    handle = await request_consent(client, partner)
    await resident_signs_in(browser, client, partner)
    page = await browser.get(f"/console/resident/consents/{handle}")
    done = await browser.post(
        f"/console/resident/consents/{handle}", data={"csrf": csrf_of(page), "action": "reject"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/resident/consents/{handle}?done=reject"
    consent = await client.get(f"/v1/consents/{handle}", headers=partner.headers)
    assert consent.json()["status"] == "REJECTED"


async def test_wrong_otp_and_unknown_mobile_are_refused_with_a_hint(
    browser: httpx.AsyncClient, partner: SignedUp
) -> None:
    page = "/console/resident/sign-in"
    await submit(browser, page, "/console/resident/world", api_key=partner.api_key)
    unknown = await submit(browser, page, "/console/resident/otp", mobile="+910000000000")
    assert unknown.status_code == 422
    assert "No persona" in unknown.text
    sent = await submit(browser, page, "/console/resident/otp", mobile="9876500001")
    assert sent.status_code == 303  # a national number gets the world's calling code
    wrong = await submit(browser, page, "/console/resident/verify", otp="000000")
    assert wrong.status_code == 401
    assert "Wrong OTP" in wrong.text
    assert (await browser.get("/console/resident")).status_code == 303  # still signed out


async def test_resident_pays_a_collect_on_the_pin_pad(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    txn_id = await request_collect(client, partner)
    await resident_signs_in(browser, client, partner)
    home = await browser.get("/console/resident")
    assert f"/console/resident/collects/{txn_id}" in home.text
    page = await browser.get(f"/console/resident/collects/{txn_id}")
    assert 'data-pin-key="7"' in page.text
    assert "250.00" in page.text
    wrong = await browser.post(
        f"/console/resident/collects/{txn_id}",
        data={"csrf": csrf_of(page), "action": "approve", "pin": "9999"},
    )
    assert wrong.status_code == 200
    assert "Not paid" in wrong.text
    assert "code ZM" in wrong.text
    status = await client.get(f"/v1/upi/transactions/{txn_id}", headers=partner.headers)
    assert status.json()["status"] == "FAILURE"
    txn_id = await request_collect(client, partner, amount="12.50")
    page = await browser.get(f"/console/resident/collects/{txn_id}")
    paid = await browser.post(
        f"/console/resident/collects/{txn_id}",
        data={"csrf": csrf_of(page), "action": "approve", "pin": "1234"},
    )
    assert "Paid" in paid.text
    assert "code 00" in paid.text
    status = await client.get(f"/v1/upi/transactions/{txn_id}", headers=partner.headers)
    assert status.json()["status"] == "SUCCESS"
    history = await browser.get("/console/resident/history")
    assert history.status_code == 200


async def test_isolation_between_partners_and_residents(
    app: FastAPI, browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    other = await sign_up(client, name="Other Team", webhookUrl=f"{FIU}/hooks")
    theirs = await pay(client, other, "asha@sandbox", "meeras.kirana@sandbox", "10.00")
    their_consent = await request_consent(client, other)
    their_collect = await request_collect(client, other)
    listed = await client.get("/v1/sandbox/webhooks/deliveries", headers=other.headers)
    their_delivery = listed.json()["deliveries"][0]["id"]

    await partner_signs_in(browser, partner)
    for path in ("payments", "consents", "webhooks", "identity"):
        page = await browser.get(f"/console/partner/{path}")
        assert page.status_code == 200
        for secret in (theirs.json()["txnId"], their_consent, their_delivery):
            assert secret not in page.text, (path, secret)
    assert (await browser.get(f"/console/partner/consents/{their_consent}")).status_code == 404
    page = await browser.get("/console/partner/webhooks")
    replay = await browser.post(
        f"/console/partner/webhooks/{their_delivery}/replay", data={"csrf": csrf_of(page)}
    )
    assert replay.status_code == 404

    # Asha of this partner's world is not Asha of the other's
    await resident_signs_in(browser, client, partner)
    assert (await browser.get(f"/console/resident/consents/{their_consent}")).status_code == 404
    assert (await browser.get(f"/console/resident/collects/{their_collect}")).status_code == 404
    home = await browser.get("/console/resident")
    assert their_consent not in home.text
    assert their_collect not in home.text


async def test_a_resident_sees_only_her_own_consents_and_collects(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    handle = await request_consent(client, partner)  # Asha's
    collect = await request_collect(client, partner)  # asks Asha
    async with client_for(app) as ravi:
        await resident_signs_in(ravi, client, partner, mobile="+919876500002")
        assert (await ravi.get(f"/console/resident/consents/{handle}")).status_code == 404
        assert (await ravi.get(f"/console/resident/collects/{collect}")).status_code == 404
        page = await ravi.get("/console/resident")
        refused = await ravi.post(
            f"/console/resident/consents/{handle}",
            data={"csrf": csrf_of(page), "action": "reject"},
        )
        assert refused.status_code == 404
        refused = await ravi.post(
            f"/console/resident/collects/{collect}",
            data={"csrf": csrf_of(page), "action": "decline"},
        )
        assert refused.status_code == 404
    consent = await client.get(f"/v1/consents/{handle}", headers=partner.headers)
    assert consent.json()["status"] == "PENDING"
