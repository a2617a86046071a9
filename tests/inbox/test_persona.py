"""The inbox as a persona sees it: ``GET /v1/sandbox/inbox?persona=asha`` lists the messages to
her mobile and e-mail (her own phone and mailbox), newest first, in the caller's world only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.clock import advance
from tests.support.http import PROBLEM, SignedUp
from tests.support.identity import ASHA, ASHA_EMAIL, ASHA_MOBILE, request_otp

pytestmark = pytest.mark.anyio
RAVI = "999999990026"
LAKSHMI = "999999990074"


async def of_persona(
    client: httpx.AsyncClient, who: SignedUp, persona: str, **params: str
) -> dict[str, Any]:
    got = await client.get(
        "/v1/sandbox/inbox", params={"persona": persona, **params}, headers=who.headers
    )
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def txns(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(channel, txn) of each message, in the order listed."""
    return [(m["channel"], m["body"].split("(txn ")[1].split(")")[0]) for m in messages]


async def test_a_persona_sees_her_own_sms_and_email_and_no_one_elses(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    assert (await request_otp(client, partner, uid=ASHA, txn="mine-1", channel="00"))["ret"] == "y"
    assert (await request_otp(client, partner, uid=RAVI, txn="ravi-1", channel="00"))["ret"] == "y"
    await advance(client, partner, 31)
    assert (await request_otp(client, partner, uid=ASHA, txn="mine-2", channel="01"))["ret"] == "y"

    asha = (await of_persona(client, partner, "asha"))["messages"]
    assert {m["to"] for m in asha} == {ASHA_MOBILE, ASHA_EMAIL}
    assert txns(asha)[0] == ("sms", "mine-2")  # newest first
    assert sorted(txns(asha)[1:]) == [("email", "mine-1"), ("sms", "mine-1")]
    assert (await of_persona(client, partner, " Asha "))["messages"] == asha  # any case, trimmed

    ravi = (await of_persona(client, partner, "ravi"))["messages"]
    assert sorted(txns(ravi)) == [("email", "ravi-1"), ("sms", "ravi-1")]
    assert (await of_persona(client, partner, "meera"))["messages"] == []

    # pages cross with the same cursor as the whole inbox's
    first = await of_persona(client, partner, "asha", limit="2")
    assert first["messages"] == asha[:2]
    rest = await of_persona(client, partner, "asha", limit="2", cursor=first["nextCursor"])
    assert (rest["messages"], rest["nextCursor"]) == (asha[2:], None)


async def test_a_persona_without_a_verified_mobile_still_gets_her_email(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    sent = await request_otp(client, partner, uid=LAKSHMI, txn="lakshmi-1", channel="02")
    assert sent["ret"] == "y", sent
    assert txns((await of_persona(client, partner, "lakshmi"))["messages"]) == [
        ("email", "lakshmi-1")
    ]


async def test_a_persona_inbox_is_per_world(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    """Personas are the same people in every world; what was sent to them in one world is not
    in another's view of them."""
    await request_otp(client, partner, uid=ASHA, txn="world-a", channel="00")
    assert (await of_persona(client, other_partner, "asha"))["messages"] == []
    await request_otp(client, other_partner, uid=ASHA, txn="world-b", channel="01")
    assert txns((await of_persona(client, other_partner, "asha"))["messages"]) == [
        ("sms", "world-b")
    ]
    assert sorted(txns((await of_persona(client, partner, "asha"))["messages"])) == [
        ("email", "world-a"),
        ("sms", "world-a"),
    ]


async def test_an_unknown_persona_is_404_and_to_with_persona_is_422(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    unknown = await client.get(
        "/v1/sandbox/inbox", params={"persona": "nobody"}, headers=partner.headers
    )
    assert unknown.status_code == 404, unknown.text
    assert unknown.headers["content-type"].startswith(PROBLEM)
    assert unknown.json()["type"] == "/problems/persona-not-found"
    assert "asha" in unknown.json()["hint"]

    both = await client.get(
        "/v1/sandbox/inbox",
        params={"persona": "asha", "to": ASHA_MOBILE},
        headers=partner.headers,
    )
    assert both.status_code == 422, both.text
    assert both.json()["errors"][0]["field"] == "query.persona"
