"""GET /v1/consents/{handle}/log pages as the console does: oldest first, ``limit`` (1-100,
default 100) entries and a ``nextCursor`` per page, the whole hash chain checked on every page,
a cursor good only for the log that answered it."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from consent.service.log import append_log
from sandbox.storage.schema import consent_log
from tests.consent.conftest import Requested, act, request_consent
from tests.support.aa import world_of
from tests.support.http import SignedUp

pytestmark = pytest.mark.anyio


async def _log(
    client: httpx.AsyncClient, partner: SignedUp, handle: str, **params: Any
) -> httpx.Response:
    return await client.get(f"/v1/consents/{handle}/log", params=params, headers=partner.headers)


async def _walk(
    client: httpx.AsyncClient, partner: SignedUp, handle: str, **params: Any
) -> list[dict[str, Any]]:
    """Every page of the log, first to last, by following ``nextCursor``."""
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        got = await _log(
            client, partner, handle, **params, **({"cursor": cursor} if cursor else {})
        )
        assert got.status_code == 200, got.text
        pages.append(got.json())
        cursor = pages[-1]["nextCursor"]
        if cursor is None:
            return pages
        assert len(pages) < 200


async def _grow(app: FastAPI, partner: SignedUp, handle: str, n: int) -> None:
    """``n`` FI_REQUEST entries appended as the FI part appends them (one unit of work)."""
    world = await world_of(app, partner)

    def unit(conn: Any) -> None:
        for i in range(n):
            append_log(conn, world, handle, "FI_REQUEST", {"sessionId": f"s-{i}"})

    await app.state.sandbox.db.write(unit)


async def test_a_short_log_is_one_page_as_before(
    client: httpx.AsyncClient, partner: SignedUp, consent: Requested
) -> None:
    for action in ("approve", "pause", "resume"):
        assert (await act(client, partner, consent.handle, action)).status_code == 200
    log = (await _log(client, partner, consent.handle)).json()
    assert [e["kind"] for e in log["entries"]] == ["REQUESTED", "APPROVED", "PAUSED", "ACTIVE"]
    assert (log["verified"], log["brokenAt"], log["nextCursor"]) == (True, None, None)
    assert log["consentHandle"] == consent.handle


async def test_pages_walk_the_log_oldest_first_each_entry_once(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, consent: Requested
) -> None:
    await _grow(app, partner, consent.handle, 6)  # 7 entries with REQUESTED
    pages = await _walk(client, partner, consent.handle, limit=3)
    assert [len(p["entries"]) for p in pages] == [3, 3, 1]
    seqs = [e["seq"] for p in pages for e in p["entries"]]
    assert seqs == sorted(seqs) == list(range(seqs[0], seqs[0] + 7))
    assert all(p["verified"] for p in pages)
    # each entry's prevHash is the hash of the one before, across page boundaries too
    entries = [e for p in pages for e in p["entries"]]
    assert all(b["prevHash"] == a["hash"] for a, b in pairwise(entries))


async def test_without_parameters_the_first_page_is_the_first_100_entries(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, consent: Requested
) -> None:
    await _grow(app, partner, consent.handle, 120)
    first = (await _log(client, partner, consent.handle)).json()
    assert len(first["entries"]) == 100
    assert first["entries"][0]["kind"] == "REQUESTED"
    assert first["nextCursor"] is not None
    rest = (await _log(client, partner, consent.handle, cursor=first["nextCursor"])).json()
    assert len(rest["entries"]) == 21
    assert rest["entries"][0]["seq"] == first["entries"][-1]["seq"] + 1
    assert rest["nextCursor"] is None


async def test_every_page_checks_the_whole_chain(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, consent: Requested
) -> None:
    await _grow(app, partner, consent.handle, 4)

    def tamper(conn: Any) -> None:  # the first entry, on the first page only
        conn.execute(
            sa.update(consent_log)
            .where(consent_log.c.handle == consent.handle, consent_log.c.seq == 1)
            .values(data={"txnid": "forged"})
        )

    await app.state.sandbox.db.write(tamper)
    pages = await _walk(client, partner, consent.handle, limit=2)
    assert len(pages) == 3
    assert [(p["verified"], p["brokenAt"]) for p in pages] == [(False, 1)] * 3


async def test_a_cursor_of_another_consents_log_is_refused(
    app: FastAPI,
    client: httpx.AsyncClient,
    partner: SignedUp,
    consent: Requested,
    jwks: dict[str, Any],
) -> None:
    await _grow(app, partner, consent.handle, 3)
    cursor = (await _log(client, partner, consent.handle, limit=2)).json()["nextCursor"]
    other = (await request_consent(client, partner, jwks)).handle
    refused = await _log(client, partner, other, cursor=cursor)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["errors"][0]["field"] == "query.cursor"
    assert problem["errors"][0]["rule"] == "cursor"
    assert f"not of {other}" in problem["detail"]
    assert "unchanged" in problem["hint"]


async def test_an_unknown_consent_with_a_cursor_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, consent: Requested
) -> None:
    """The handle is checked before the cursor: a 404, not the cursor's 422."""
    await _grow(app, partner, consent.handle, 3)
    cursor = (await _log(client, partner, consent.handle, limit=2)).json()["nextCursor"]
    unknown = "0" * 8 + "-0000-4000-8000-" + "0" * 12
    refused = await _log(client, partner, unknown, cursor=cursor)
    assert refused.status_code == 404, refused.text
    assert unknown in refused.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"limit": 0}, "query.limit", "greater_than_equal"),
        ({"limit": 101}, "query.limit", "less_than_equal"),
        ({"cursor": "not-a-cursor"}, "query.cursor", "cursor"),
    ],
)
async def test_a_bad_limit_or_cursor_is_a_422_naming_it(
    client: httpx.AsyncClient,
    partner: SignedUp,
    consent: Requested,
    params: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    refused = await _log(client, partner, consent.handle, **params)
    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    assert (error["field"], error["rule"]) == (field, rule), error


async def test_another_partners_consent_log_is_not_found(
    client: httpx.AsyncClient, partner: SignedUp, consent: Requested, other_partner: SignedUp
) -> None:
    refused = await _log(client, other_partner, consent.handle)
    assert refused.status_code == 404, refused.text
