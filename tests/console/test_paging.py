"""Every list of the console pages with the services' cursors: payments, consents, webhook
deliveries and authentication records in the dashboard, her authentication history for the
resident. Each page shows the next older one's link and a link back to the newest; following
them walks every row once; a cursor that is not one is refused with the service's error."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from console import partner as dashboard
from console import resident
from tests.support.console import partner_signs_in, request_consent, resident_signs_in
from tests.support.http import SignedUp, client_for
from tests.support.identity import auth, easy, pid_ts
from tests.support.upi import pay

pytestmark = pytest.mark.anyio
_OLDER = re.compile(r'<a href="([^"]+)" rel="next">Older ')


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


async def _walk(browser: httpx.AsyncClient, first: str, row: re.Pattern[str]) -> list[list[str]]:
    """Follow the "Older" links from ``first``: the rows (``row``'s matches) of each page."""
    pages: list[list[str]] = []
    url: str | None = first
    while url is not None:
        page = await browser.get(url.replace("&amp;", "&"))
        assert page.status_code == 200, page.text
        pages.append(row.findall(page.text))
        if len(pages) > 1:
            assert "Newest " in page.text  # the way back to the first page
        older = _OLDER.search(page.text)
        url = older.group(1) if older else None
        assert len(pages) < 20, "the pages never end"
    return pages


def _flat(pages: list[list[str]]) -> list[str]:
    return list(itertools.chain.from_iterable(pages))


async def _authenticate(client: httpx.AsyncClient, partner: SignedUp, n: int) -> None:
    for i in range(n):
        ts = await pid_ts(client, partner)
        pid = {"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}
        await auth(client, partner, easy(pid, txn=f"page-{i}", pi="y"))


async def test_dashboard_lists_page_with_older_links(
    monkeypatch: pytest.MonkeyPatch,
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    partner: SignedUp,
) -> None:
    monkeypatch.setattr(dashboard, "PAGE", 2)
    partner_updated = await client.patch(
        "/v1/partners/me", json={"webhookUrl": "https://hooks.example/in"}, headers=partner.headers
    )
    assert partner_updated.status_code == 200
    for _ in range(3):
        answer = await pay(client, partner, "asha@sandbox", "meeras.kirana@sandbox", "1.00")
        assert answer.status_code == 200, answer.text
    handles = {await request_consent(client, partner) for _ in range(3)}
    await _authenticate(client, partner, 3)
    await partner_signs_in(browser, partner)

    payments = await _walk(browser, "/console/partner/payments", re.compile(r'data-txn="([^"]+)"'))
    assert [len(p) for p in payments] == [2, 1]
    consents = await _walk(
        browser, "/console/partner/consents", re.compile(r"consents/([0-9a-f-]{36})\"")
    )
    assert set(_flat(consents)) == handles
    assert [len(p) for p in consents] == [2, 1]
    deliveries = await _walk(
        browser, "/console/partner/webhooks", re.compile(r'data-delivery="([^"]+)"')
    )
    listed = await client.get(
        "/v1/sandbox/webhooks/deliveries", params={"limit": 100}, headers=partner.headers
    )
    every = [d["id"] for d in listed.json()["deliveries"]]
    assert len(every) > 2
    assert _flat(deliveries) == every  # each once, newest first, across the pages
    records = await _walk(
        browser, "/console/partner/identity", re.compile(r"<code>(page-\d)</code>")
    )
    assert _flat(records) == ["page-2", "page-1", "page-0"]
    assert [len(p) for p in records] == [2, 1]

    for path in ("payments", "consents", "webhooks", "identity"):
        bad = await browser.get(f"/console/partner/{path}", params={"cursor": "not-a-cursor"})
        assert bad.status_code == 422, path
        assert "cursor" in bad.text


async def test_her_history_pages_too(
    monkeypatch: pytest.MonkeyPatch,
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    partner: SignedUp,
) -> None:
    monkeypatch.setattr(resident, "HISTORY_PAGE", 2)
    await _authenticate(client, partner, 3)
    await resident_signs_in(browser, client, partner)
    pages = await _walk(browser, "/console/resident/history", re.compile(r"<code>(page-\d)</code>"))
    assert _flat(pages) == ["page-2", "page-1", "page-0"]
    first = await browser.get("/console/resident/history")
    assert "Newest " not in first.text  # the first page links only to older ones


async def test_her_consents_page_on_her_home(
    monkeypatch: pytest.MonkeyPatch,
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    partner: SignedUp,
) -> None:
    """Past the first page her older consents were out of reach (the home read 100, no pager)."""
    monkeypatch.setattr(resident, "CONSENTS_PAGE", 2)
    made = [await request_consent(client, partner) for _ in range(5)]
    await resident_signs_in(browser, client, partner)
    row = re.compile(r'consents/([0-9a-f-]{36})">Consent request')
    pages = await _walk(browser, "/console/resident", row)
    assert pages == [made[:2:-1], made[2:0:-1], made[:1]]  # newest first, each once
    bad = await browser.get("/console/resident", params={"cursor": "1.not-a-handle"})
    assert bad.status_code == 422
    assert "cursor" in bad.text


async def test_a_consents_log_pages_oldest_first_and_still_checks_the_chain(
    monkeypatch: pytest.MonkeyPatch,
    browser: httpx.AsyncClient,
    client: httpx.AsyncClient,
    partner: SignedUp,
) -> None:
    monkeypatch.setattr(dashboard, "PAGE", 2)
    handle = await request_consent(client, partner)
    for action in ("approve", "pause", "resume", "pause"):
        done = await client.post(
            f"/v1/sandbox/aa/consents/{handle}/{action}", headers=partner.headers
        )
        assert done.status_code == 200, done.text
    log = (await client.get(f"/v1/consents/{handle}/log", headers=partner.headers)).json()
    kinds = [e["kind"] for e in log["entries"]]
    assert len(kinds) > 4
    await partner_signs_in(browser, partner)
    pages: list[list[str]] = []
    url: str | None = f"/console/partner/consents/{handle}"
    while url is not None:
        page = await browser.get(url.replace("&amp;", "&"))
        assert page.status_code == 200, page.text
        assert "hash chain verified" in page.text  # the whole chain, on every page
        pages.append(re.findall(r"<li><strong>([A-Z_]+)</strong>", page.text))
        later = re.search(r'<a href="([^"]+)" rel="next">Later log entries', page.text)
        url = later.group(1) if later else None
        if len(pages) > 1:
            assert "First log entries" in page.text
        assert len(pages) < 10
    assert _flat(pages) == kinds  # oldest first, each entry once
    assert all(len(p) == 2 for p in pages[:-1])

    other = await request_consent(client, partner)
    second = await browser.get(f"/console/partner/consents/{handle}")
    cursor = re.search(r"cursor=([^\"]+)\" rel=\"next\"", second.text)
    assert cursor is not None
    foreign = await browser.get(f"/console/partner/consents/{other}?cursor={cursor.group(1)}")
    assert foreign.status_code == 422  # a cursor of another consent's log
    assert f"not of {other}" in foreign.text
