"""Tenant isolation: a partner can neither see nor change another partner's resources or world.

Per resource (``tests/harness/isolation.py`` ``CASES``): another partner gets 404, never 403, on
every request aimed at it, and the owner finds it unchanged. Per world: the clock, balances,
delivery lists and the partner record of one partner never move with another's. And a meta-test
walks the OpenAPI so that a new parameterised route without an isolation case fails here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from sandbox.storage.schema import accounts
from tests.harness.isolation import (
    CASES,
    IsolationCase,
    covered_operations,
    create_delivery,
    template_key,
    unknown_like,
)
from tests.support.http import PROBLEM, SignedUp, sign_up
from tests.support.webhooks import UNREACHABLE_WEBHOOK

pytestmark = pytest.mark.anyio

# Parameterised paths that are not partner-owned resources, so no isolation case applies.
NOT_PARTNER_OWNED = {
    "/problems/{slug}": "documentation of a problem type: public, the same for every caller",
    "/v1/sandbox/personas/{key}/biometrics": "persona keys are the same in every world, so "
    "every partner gets 200; the records are derived per world (another partner's do not "
    "match here): tests/identity/test_biometrics.py",
    **{
        f"/uidai/{kind}2.5/{{ac}}/{{uid0}}/{{uid1}}/{{asalk}}": "no resource id: the path holds "
        "the caller's own AUA credentials, which pick its world; another partner's ac or asalk "
        "answers 530/542: tests/identity/test_xml.py"
        for kind in ("", "auth/", "otp/", "kyc/")
    },
}


# -- per resource ----------------------------------------------------------------------------------


async def _read(client: httpx.AsyncClient, case: IsolationCase, rid: str, who: SignedUp) -> Any:
    response = await client.get(case.read.replace("{id}", rid), headers=who.headers)
    assert response.status_code == 200, f"{case.name}: the owner cannot read it: {response.text}"
    body = response.json()
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k not in case.volatile}
    return body


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_another_partner_gets_404_and_changes_nothing(
    case: IsolationCase, client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    rid = await case.create(client, partner)
    before = await _read(client, case, rid, partner)

    for attempt in case.attempts:
        label = f"{case.name}: {attempt.method} {attempt.path} by another partner"
        theirs = await client.request(
            attempt.method, attempt.url(rid), json=attempt.body(rid), headers=other_partner.headers
        )
        assert theirs.status_code == 404, f"{label}: {theirs.status_code} {theirs.text}"
        assert theirs.headers["content-type"].startswith(PROBLEM), label
        assert partner.partner_id not in theirs.text, f"{label} leaks the owner: {theirs.text}"
        unknown = await client.request(
            attempt.method,
            attempt.url(unknown_like(rid)),
            json=attempt.body(unknown_like(rid)),
            headers=other_partner.headers,
        )
        assert unknown.status_code == 404, f"{label}, unknown id: {unknown.text}"
        assert theirs.json()["type"] == unknown.json()["type"], f"{label}: tells ids apart"

    assert await _read(client, case, rid, partner) == before, f"{case.name}: changed by another"

    for attempt in case.attempts:
        mine = await client.request(
            attempt.method, attempt.url(rid), json=attempt.body(rid), headers=partner.headers
        )
        label = f"{case.name}: {attempt.method} {attempt.path} by the owner"
        if attempt.owner_status is None:
            assert 200 <= mine.status_code < 300, f"{label}: {mine.status_code} {mine.text}"
        else:
            assert mine.status_code == attempt.owner_status, f"{label}: {mine.text}"


async def test_every_parameterised_operation_has_an_isolation_case(app: FastAPI) -> None:
    covered = covered_operations(CASES)
    missing = []
    for path, operations in app.openapi()["paths"].items():
        if "{" not in path or path in NOT_PARTNER_OWNED:
            continue
        for method in operations:
            if (method.upper(), template_key(path)) not in covered:
                missing.append(f"{method.upper()} {path}")
    assert not missing, (
        f"no isolation case attempts {missing}: add an IsolationCase (or an Attempt) to "
        "tests/harness/isolation.py CASES, or, if it is not a partner-owned resource, explain "
        "why in NOT_PARTNER_OWNED in tests/test_isolation.py"
    )


async def test_isolation_cases_only_name_real_operations(app: FastAPI) -> None:
    """A case whose attempts name a route that is gone would prove nothing (404 for everyone)."""
    real = {
        (method.upper(), template_key(path))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    stale = sorted(covered_operations(CASES) - real)
    assert not stale, f"isolation cases attempt operations the API does not have: {stale}"
    assert set(NOT_PARTNER_OWNED) <= set(app.openapi()["paths"]), "stale NOT_PARTNER_OWNED entry"


# -- per world -------------------------------------------------------------------------------------


async def _get(client: httpx.AsyncClient, path: str, who: SignedUp) -> Any:
    response = await client.get(path, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_advancing_one_clock_leaves_the_others(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    theirs_before = await _get(client, "/v1/sandbox/personas", other_partner)
    moved = await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": 86_400}, headers=partner.headers
    )
    assert moved.status_code == 200, moved.text
    assert (await _get(client, "/v1/sandbox/clock", partner))["offsetSeconds"] == 86_400
    assert (await _get(client, "/v1/sandbox/clock", other_partner))["offsetSeconds"] == 0
    assert await _get(client, "/v1/sandbox/personas", other_partner) == theirs_before


async def test_balances_written_in_one_world_do_not_show_in_another(
    client: httpx.AsyncClient, app: FastAPI, partner: SignedUp, other_partner: SignedUp
) -> None:
    mine_before = await _get(client, "/v1/sandbox/personas", partner)
    theirs_before = await _get(client, "/v1/sandbox/personas", other_partner)
    assert mine_before == theirs_before  # same seed and country: identical worlds at signup

    def drain(conn: sa.Connection) -> None:
        world = accounts.c.world_id == partner.partner_id
        conn.execute(sa.update(accounts).where(world).values(balance=0))

    await app.state.sandbox.db.write(drain)
    mine = await _get(client, "/v1/sandbox/personas", partner)
    balances = {a["balance"] for p in mine["personas"] for a in p["accounts"]}
    assert balances == {"0.00"}, "the write did not reach the owner's world"
    assert await _get(client, "/v1/sandbox/personas", other_partner) == theirs_before


async def test_resetting_one_world_leaves_the_others(
    client: httpx.AsyncClient, app: FastAPI, partner: SignedUp, other_partner: SignedUp
) -> None:
    def drain(conn: sa.Connection) -> None:
        world = accounts.c.world_id == other_partner.partner_id
        conn.execute(sa.update(accounts).where(world).values(balance=0))

    await app.state.sandbox.db.write(drain)
    await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": 60}, headers=other_partner.headers
    )
    theirs = await _get(client, "/v1/sandbox/personas", other_partner)
    reset = await client.post("/v1/sandbox/reset", headers=partner.headers)
    assert reset.status_code == 200, reset.text
    assert await _get(client, "/v1/sandbox/personas", other_partner) == theirs
    assert (await _get(client, "/v1/sandbox/clock", other_partner))["offsetSeconds"] == 60


async def _all_deliveries(client: httpx.AsyncClient, who: SignedUp, **query: str) -> list[str]:
    """Every delivery id ``who`` can list, page by page (one per page, to cross every cursor)."""
    ids: list[str] = []
    params: dict[str, str] = {"limit": "1", **query}
    while True:
        page = await client.get(
            "/v1/sandbox/webhooks/deliveries", params=params, headers=who.headers
        )
        assert page.status_code == 200, page.text
        body = page.json()
        ids += [d["id"] for d in body["deliveries"]]
        if body["nextCursor"] is None:
            return ids
        params["cursor"] = body["nextCursor"]


async def test_delivery_lists_never_show_another_partners_deliveries(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    mine = {await create_delivery(client, partner) for _ in range(3)}
    theirs = {await create_delivery(client, other_partner) for _ in range(2)}
    assert set(await _all_deliveries(client, partner)) == mine
    assert set(await _all_deliveries(client, other_partner)) == theirs
    for status in ("pending", "succeeded", "failed"):
        assert not set(await _all_deliveries(client, other_partner, status=status)) & mine


async def test_a_key_acts_only_for_its_own_partner(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    mine_before = await _get(client, "/v1/partners/me", partner)
    as_other = await _get(client, "/v1/partners/me", other_partner)
    assert as_other["partnerId"] == other_partner.partner_id

    patched = await client.patch(
        "/v1/partners/me",
        json={"name": "Renamed by B", "webhookUrl": UNREACHABLE_WEBHOOK},
        headers=other_partner.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["partnerId"] == other_partner.partner_id
    assert (await _get(client, "/v1/partners/me", other_partner))["name"] == "Renamed by B"
    assert await _get(client, "/v1/partners/me", partner) == mine_before

    rotated = await client.post("/v1/partners/me/keys", headers=other_partner.headers)
    assert rotated.status_code == 201, rotated.text
    assert (await client.get("/v1/partners/me", headers=other_partner.headers)).status_code == 401
    assert await _get(client, "/v1/partners/me", partner) == mine_before


async def test_a_third_partner_sees_a_fresh_world(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Whatever one partner did before, a partner signing up later starts from a clean world."""
    await create_delivery(client, partner)
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 3600}, headers=partner.headers)
    late = await sign_up(client, name="Team Late", contactEmail="late@example.com")
    assert await _all_deliveries(client, late) == []
    assert (await _get(client, "/v1/sandbox/clock", late))["offsetSeconds"] == 0
