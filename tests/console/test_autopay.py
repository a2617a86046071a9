"""The resident's AutoPay list in the console, over plain HTTP: her mandates (payee, limit,
frequency, status, next announced debit), and pause, resume and revoke through the same service
calls as POST /v1/upi/mandates/{umn}/pause (resume, revoke): the API then shows the new state;
revoking asks again on a page of its own first, and nothing is revoked until she confirms;
a mandate in the wrong state answers the API's 409 ``invalid-state`` with its hint; the forms
need the CSRF token and a signed-in payer; another resident's mandate does not exist for her."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from console import resident_upi
from tests.support.console import csrf_of, resident_signs_in
from tests.support.http import SignedUp, client_for
from tests.support.mandates import act, active, created, notice

pytestmark = pytest.mark.anyio
LIST = "/console/resident/mandates"
RAVI_MOBILE = "+919876500002"


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


async def _status(client: httpx.AsyncClient, partner: SignedUp, umn: str) -> str:
    answer = await client.get(f"/v1/upi/mandates/{umn}", headers=partner.headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


async def _do(browser: httpx.AsyncClient, umn: str, action: str) -> httpx.Response:
    """Press ``action`` on the AutoPay list, as the list's form posts it."""
    page = await browser.get(LIST)
    assert page.status_code == 200, page.text
    return await browser.post(f"{LIST}/{umn}", data={"csrf": csrf_of(page), "action": action})


async def _confirm_page(browser: httpx.AsyncClient, umn: str) -> httpx.Response:
    """Follow the list's Revoke link to the page that asks again."""
    listed = await browser.get(LIST)
    link = re.search(
        rf'<a href="([^"]*/mandates/{re.escape(umn)}/revoke)" class="button', listed.text
    )
    assert link is not None, listed.text
    page = await browser.get(link.group(1))
    assert page.status_code == 200, page.text
    return page


async def _revoke(browser: httpx.AsyncClient, umn: str) -> httpx.Response:
    """Revoke as she does: the list's Revoke link, then "Yes, revoke" on the page it opens."""
    page = await _confirm_page(browser, umn)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    assert fields.keys() == {"csrf", "action", "confirm"}, fields
    return await browser.post(f"{LIST}/{umn}", data=fields)


async def _her_monthly_mandate(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> str:
    """An ACTIVE monthly mandate of Asha's (750.00 at most) with a debit of 499.00 announced;
    Asha signed in."""
    umn = await active(client, partner, amountLimit="750.00", recurrence="MONTHLY")
    await notice(client, partner, umn, "499.00")
    await resident_signs_in(browser, client, partner)
    return umn


async def test_she_pauses_resumes_and_revokes_and_the_api_shows_each_state(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await _her_monthly_mandate(browser, client, partner)
    listed = await browser.get(LIST)
    assert listed.status_code == 200
    assert f'{LIST}/{umn}"' in listed.text
    for shown in ("meeras.kirana@sandbox", "750.00 INR", "monthly", "ACTIVE", "499.00 INR"):
        assert shown in listed.text, shown
    assert 'value="pause"' in listed.text
    assert 'value="resume"' not in listed.text

    for action, state in (("pause", "PAUSED"), ("resume", "ACTIVE"), ("pause", "PAUSED")):
        done = await _do(browser, umn, action)
        assert done.status_code == 303, done.text
        assert done.headers["location"].endswith(f"{LIST}/{umn}?done={action}")
        assert await _status(client, partner, umn) == state
        page = await browser.get(done.headers["location"])
        assert f"Mandate {action}d" in page.text
        assert f"status-{state.lower()}" in page.text
    assert "refused while paused" in page.text  # the announced debit would answer QA
    assert 'value="resume"' in page.text

    revoked = await _revoke(browser, umn)
    assert revoked.status_code == 303
    assert revoked.headers["location"].endswith(f"{LIST}/{umn}?done=revoke")
    assert await _status(client, partner, umn) == "REVOKED"
    page = await browser.get(revoked.headers["location"])
    assert "Mandate revoked" in page.text
    assert "/revoke" not in page.text  # final: no buttons left
    assert "Next debit" not in page.text


async def test_a_wrong_state_answers_the_apis_problem(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)
    await resident_signs_in(browser, client, partner)
    api = await act(client, partner, umn, "resume")
    assert api.status_code == 409
    problem = api.json()
    refused = await _do(browser, umn, "resume")
    assert refused.status_code == 409
    assert "code invalid-state" in refused.text
    assert problem["detail"] in refused.text
    assert problem["hint"] in refused.text
    assert await _status(client, partner, umn) == "ACTIVE"

    assert (await _revoke(browser, umn)).status_code == 303
    final = await _do(browser, umn, "pause")
    assert final.status_code == 409
    assert "it is REVOKED" in final.text
    assert "A revoked mandate is final; create a new one." in final.text
    page = await browser.get(f"{LIST}/{umn}")
    again = await browser.post(
        f"{LIST}/{umn}", data={"csrf": csrf_of(page), "action": "revoke", "confirm": "revoke"}
    )
    assert again.status_code == 409  # a confirmed revoke of a revoked mandate: the API's 409
    assert "it is REVOKED" in again.text
    asked = await browser.get(f"{LIST}/{umn}/revoke")  # nothing left to revoke: its own page
    assert asked.status_code == 303
    assert asked.headers["location"].endswith(f"{LIST}/{umn}")

    pending = await created(client, partner)
    early = await _do(browser, pending, "pause")  # not approved yet
    assert early.status_code == 409
    assert "it is PENDING_APPROVAL" in early.text
    assert await _status(client, partner, pending) == "PENDING_APPROVAL"


async def test_the_forms_need_csrf_a_signed_in_payer_and_her_own_mandate(
    app: FastAPI, browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)  # Asha pays
    signed_out = await browser.post(f"{LIST}/{umn}", data={"action": "pause"})
    assert signed_out.status_code == 303
    assert "/console/resident/sign-in" in signed_out.headers["location"]
    listing = await browser.get(LIST)
    assert listing.status_code == 303
    assert "/console/resident/sign-in" in listing.headers["location"]

    await resident_signs_in(browser, client, partner)
    forged = await browser.post(f"{LIST}/{umn}", data={"csrf": "x" * 32, "action": "pause"})
    assert forged.status_code == 403
    missing = await browser.post(f"{LIST}/{umn}", data={"action": "pause"})
    assert missing.status_code == 403
    assert await _status(client, partner, umn) == "ACTIVE"

    async with client_for(app) as ravi:
        await resident_signs_in(ravi, client, partner, mobile=RAVI_MOBILE)
        theirs = await ravi.get(LIST)
        assert umn not in theirs.text
        for action in ("pause", "revoke"):
            refused = await ravi.post(
                f"{LIST}/{umn}", data={"csrf": csrf_of(theirs), "action": action}
            )
            assert refused.status_code == 404, action
            assert "No such mandate" in refused.text
    assert await _status(client, partner, umn) == "ACTIVE"


async def test_her_list_pages_with_the_services_cursors(
    monkeypatch: pytest.MonkeyPatch,
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    partner: SignedUp,
) -> None:
    monkeypatch.setattr(resident_upi, "MANDATES_PAGE", 2)
    mine = [await created(client, partner) for _ in range(3)]
    await created(client, partner, payer={"vpa": "ravi@sandbox"})  # not hers
    await resident_signs_in(browser, client, partner)
    seen: list[list[str]] = []
    url: str | None = LIST
    while url is not None:
        page = await browser.get(url.replace("&amp;", "&"))
        assert page.status_code == 200, page.text
        seen.append(re.findall(r'<h2 class="item"><a href="[^"]*/mandates/([^"]+)"', page.text))
        older = re.search(r'<a href="([^"]+)" rel="next">Older mandates', page.text)
        url = older.group(1) if older else None
        assert len(seen) < 5
    assert seen == [mine[:0:-1], mine[:1]]  # newest first, hers only, each once
    bad = await browser.get(LIST, params={"cursor": "nope"})
    assert bad.status_code == 422
    assert "cursor" in bad.text


async def test_an_action_the_page_does_not_take_is_refused_by_name(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """A hand-made form's unknown action is a 422 naming ``action``, not taken for an approval."""
    umn = await active(client, partner)
    pending = await created(client, partner)
    await resident_signs_in(browser, client, partner)
    for ref in (umn, pending):
        refused = await _do(browser, ref, "pauze")
        assert refused.status_code == 422
        assert "action" in refused.text
        hint = (
            "action=approve (with pin) or action=decline, pause, resume or revoke "
            "(with confirm=revoke)"
        )
        assert hint in refused.text
    assert await _status(client, partner, umn) == "ACTIVE"
    assert await _status(client, partner, pending) == "PENDING_APPROVAL"


async def test_revoking_asks_again_and_changes_nothing_until_she_confirms(
    browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await _her_monthly_mandate(browser, client, partner)
    listed = await browser.get(LIST)
    assert 'name="action" value="revoke"' not in listed.text  # no one-step revoke on the list
    page = await _confirm_page(browser, umn)
    assert await _status(client, partner, umn) == "ACTIVE"  # opening the page changes nothing
    for shown in (
        "Revoke AutoPay to meeras.kirana@sandbox?",
        "Revoking is final",
        "cannot be resumed",
        "pause it instead",  # ACTIVE: the gentler way out is named
        "750.00 INR",
        "499.00 INR",
        "Yes, revoke AutoPay to meeras.kirana@sandbox",
        f'href="{LIST}/{umn}">No, keep it',
    ):
        assert shown in page.text, shown
    assert 'aria-describedby="revoke-final"' in page.text

    # the old one-step form, or a hand-made one: sent to the page that asks, nothing revoked
    unconfirmed = await _do(browser, umn, "revoke")
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"].endswith(f"{LIST}/{umn}/revoke")
    wrong = await browser.post(
        f"{LIST}/{umn}", data={"csrf": csrf_of(page), "action": "revoke", "confirm": "yes"}
    )
    assert wrong.status_code == 303
    assert wrong.headers["location"].endswith(f"{LIST}/{umn}/revoke")
    forged = await browser.post(f"{LIST}/{umn}", data={"action": "revoke", "confirm": "revoke"})
    assert forged.status_code == 403
    assert await _status(client, partner, umn) == "ACTIVE"

    assert (await _do(browser, umn, "pause")).status_code == 303
    paused = await _confirm_page(browser, umn)
    assert "pause it instead" not in paused.text  # already paused: revoke or keep
    assert (await _revoke(browser, umn)).status_code == 303
    assert await _status(client, partner, umn) == "REVOKED"


async def test_the_confirmation_page_is_hers_alone(
    app: FastAPI, browser: httpx.AsyncClient, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    umn = await active(client, partner)  # Asha pays
    signed_out = await browser.get(f"{LIST}/{umn}/revoke")
    assert signed_out.status_code == 303
    assert "/console/resident/sign-in" in signed_out.headers["location"]
    async with client_for(app) as ravi:
        await resident_signs_in(ravi, client, partner, mobile=RAVI_MOBILE)
        theirs = await ravi.get(f"{LIST}/{umn}/revoke")
        assert theirs.status_code == 404
        assert "No such mandate" in theirs.text
    pending = await created(client, partner)
    await resident_signs_in(browser, client, partner)
    early = await browser.get(f"{LIST}/{pending}/revoke")  # not live: its own page (approve)
    assert early.status_code == 303
    assert early.headers["location"].endswith(f"{LIST}/{pending}")
    assert await _status(client, partner, umn) == "ACTIVE"
