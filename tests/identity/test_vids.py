"""VIDs and UID tokens as a partner meets them over HTTP: a VID is generated and revoked after an
OTP, works wherever the number does (OTP, auth), is replaced by a newer one (515), revoked (515)
and expires with world time (517); a UID token given by an auth answer works as ``uid`` for the
partner that got it (514 for anything else)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from stdnum import verhoeff

from identity import magic
from tests.support.clock import advance
from tests.support.http import PROBLEM, SignedUp
from tests.support.identity import (
    ASHA,
    auth,
    easy,
    generate_vid,
    pid_ts,
    read_otp,
    request_otp,
)

pytestmark = pytest.mark.anyio
ASHA_PI = {"pi": {"name": "Asha Verma"}}
_txns = itertools.count()
RESEND_GAP = 30  # seconds of world time between two OTPs of one resident (952 otherwise)


async def _demo(client: httpx.AsyncClient, who: SignedUp, uid: str) -> dict[str, Any]:
    """A demographic auth of Asha, with a txn of its own (two calls never make a replay)."""
    ts = await pid_ts(client, who)
    body = easy({"ts": ts, "ver": "2.0", "demo": ASHA_PI}, uid=uid, txn=f"d-{next(_txns)}", pi="y")
    return await auth(client, who, body)


async def _otp_auth(
    client: httpx.AsyncClient, partner: SignedUp, uid: str, txn: str, otp: str
) -> dict[str, Any]:
    ts = await pid_ts(client, partner)
    body = easy({"ts": ts, "ver": "2.0", "pv": {"otp": otp}}, uid=uid, txn=txn, otp="y")
    return await auth(client, partner, body)


async def _revoke(
    client: httpx.AsyncClient, partner: SignedUp, vid: str, txn: str, otp: str
) -> httpx.Response:
    return await client.post(
        f"/v1/identity/vids/{vid}/revoke", json={"txn": txn, "otp": otp}, headers=partner.headers
    )


async def _status(client: httpx.AsyncClient, partner: SignedUp, vid: str) -> str:
    got = await client.get(f"/v1/identity/vids/{vid}", headers=partner.headers)
    assert got.status_code == 200, got.text
    status: str = got.json()["status"]
    return status


async def test_vid_lifecycle(client: httpx.AsyncClient, partner: SignedUp) -> None:
    made = await generate_vid(client, partner, txn="v-1")
    vid = made["vid"]
    assert (made["ret"], made["status"]) == ("y", "ACTIVE"), made
    assert (len(vid), verhoeff.is_valid(vid), vid[0] in "2345678") == (16, True, True)
    assert await _status(client, partner, vid) == "ACTIVE"

    # The VID works wherever the number does: an OTP asked with it, an OTP auth with it.
    await advance(client, partner, RESEND_GAP)
    sent = await request_otp(client, partner, uid=vid, txn="v-2")
    assert (sent["ret"], sent["maskedMobile"]) == ("y", "XXXXXX0001"), sent
    otp = await read_otp(client, partner)
    by_vid = await _otp_auth(client, partner, vid, "v-2", otp)
    assert by_vid["ret"] == "y", by_vid
    by_number = await _demo(client, partner, ASHA)
    assert by_vid["info"]["uidToken"] == by_number["info"]["uidToken"]  # one resident

    # A new VID replaces the old one.
    await advance(client, partner, RESEND_GAP)
    newer = (await generate_vid(client, partner, txn="v-3"))["vid"]
    assert newer != vid
    assert (await _demo(client, partner, vid))["err"] == "515"
    assert await _status(client, partner, vid) == "REPLACED"
    assert (await _demo(client, partner, newer))["ret"] == "y"

    # Revoked with an OTP asked with the VID itself: 515 from then on.
    await advance(client, partner, RESEND_GAP)
    assert (await request_otp(client, partner, uid=newer, txn="v-4"))["ret"] == "y"
    otp = await read_otp(client, partner)
    revoked = await _revoke(client, partner, newer, "v-4", otp)
    assert revoked.status_code == 200, revoked.text
    assert "x-jws-signature" in revoked.headers
    assert (revoked.json()["ret"], revoked.json()["status"]) == ("y", "REVOKED")
    refused = await _demo(client, partner, newer)
    assert (refused["err"], refused["info"]["uidToken"]) == ("515", None)
    assert await _status(client, partner, newer) == "REVOKED"
    await advance(client, partner, RESEND_GAP)
    assert (await request_otp(client, partner, uid=newer, txn="v-5"))["err"] == "515"
    again = await _revoke(client, partner, newer, "v-5", otp)
    assert again.json()["err"] == "515"

    # A VID expires a year of world time after it was made.
    await advance(client, partner, RESEND_GAP)
    last = (await generate_vid(client, partner, txn="v-6"))["vid"]
    assert (await _demo(client, partner, last))["ret"] == "y"
    await advance(client, partner, 366 * 86_400)
    assert await _status(client, partner, last) == "EXPIRED"
    assert (await _demo(client, partner, last))["err"] == "517"
    assert (await request_otp(client, partner, uid=last, txn="v-7"))["err"] == "517"
    assert (await request_otp(client, partner, uid=ASHA, txn="v-7"))["ret"] == "y"
    otp = await read_otp(client, partner)
    expired = await _revoke(client, partner, last, "v-7", otp)
    assert expired.json()["err"] == "517"
    assert (await generate_vid_with(client, partner, ASHA, "v-7", otp))["ret"] == "y"


async def generate_vid_with(
    client: httpx.AsyncClient, partner: SignedUp, uid: str, txn: str, otp: str
) -> dict[str, Any]:
    made = await client.post(
        "/v1/identity/vids", json={"uid": uid, "txn": txn, "otp": otp}, headers=partner.headers
    )
    assert made.status_code == 200, made.text
    answer: dict[str, Any] = made.json()
    return answer


async def test_a_vid_takes_the_otp_of_its_txn_once(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    assert (await generate_vid_with(client, partner, ASHA, "g-1", "123456"))["err"] == "403"
    await request_otp(client, partner, txn="g-1")
    otp = await read_otp(client, partner)
    wrong = "000000" if otp != "000000" else "111111"
    assert (await generate_vid_with(client, partner, ASHA, "g-1", wrong))["err"] == "400"
    assert (await generate_vid_with(client, partner, ASHA, "g-other", otp))["err"] == "402"
    assert (await generate_vid_with(client, partner, ASHA, "g-1", otp))["ret"] == "y"
    assert (await generate_vid_with(client, partner, ASHA, "g-1", otp))["err"] == "403"  # used


async def test_an_otp_belongs_to_the_resident_whichever_uid_asked(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """OTP, 952 and 402 are per resident: asked with the VID, used with the number, and the other
    way round; the replay key (txn, PID ts) does not depend on the uid either."""
    vid = (await generate_vid(client, partner, txn="b-1"))["vid"]
    assert (await request_otp(client, partner, uid=vid, txn="b-2"))["err"] == "952"
    await advance(client, partner, RESEND_GAP)
    await request_otp(client, partner, uid=vid, txn="b-2")
    otp = await read_otp(client, partner)
    assert (await _otp_auth(client, partner, ASHA, "b-other", otp))["err"] == "402"
    assert (await _otp_auth(client, partner, ASHA, "b-2", otp))["ret"] == "y"
    await advance(client, partner, RESEND_GAP)
    await request_otp(client, partner, uid=ASHA, txn="b-3")
    otp = await read_otp(client, partner)
    assert (await _otp_auth(client, partner, vid, "b-3", otp))["ret"] == "y"

    ts = await pid_ts(client, partner)
    body = easy({"ts": ts, "ver": "2.0", "demo": ASHA_PI}, txn="b-4", pi="y")
    assert (await auth(client, partner, body))["ret"] == "y"
    assert (await auth(client, partner, {**body, "uid": vid}))["err"] == "563"


async def test_the_uid_token_works_as_uid_for_the_partner_that_got_it(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    token = (await _demo(client, partner, ASHA))["info"]["uidToken"]
    by_token = await _demo(client, partner, token)
    assert (by_token["ret"], by_token["info"]["uidToken"]) == ("y", token), by_token
    assert (await request_otp(client, partner, uid=token, txn="t-1"))["ret"] == "y"
    otp = await read_otp(client, partner)
    assert (await _otp_auth(client, partner, token, "t-1", otp))["ret"] == "y"

    others = (await _demo(client, other_partner, ASHA))["info"]["uidToken"]
    assert others != token
    for stranger in (others, magic.NOT_A_TOKEN, token.lower()):
        refused = await _demo(client, partner, stranger)
        assert (refused["err"], refused["info"]["uidToken"]) == ("514", None), stranger
        assert refused["hint"]
    assert (await request_otp(client, other_partner, uid=token, txn="t-2"))["err"] == "514"


async def test_vid_numbers_that_are_not_vids(client: httpx.AsyncClient, partner: SignedUp) -> None:
    bad_check = magic.UNKNOWN_VID[:-1] + str((int(magic.UNKNOWN_VID[-1]) + 1) % 10)
    refused = await _demo(client, partner, bad_check)
    assert (refused["err"], refused["actn"]) == ("998", "A201")
    ts = await pid_ts(client, partner)
    unknown = easy({"ts": ts, "ver": "2.0", "demo": ASHA_PI}, uid=magic.UNKNOWN_VID, pi="y")
    for _ in range(2):  # the same request twice is refused alike (no replay key without uid)
        assert (await auth(client, partner, unknown))["err"] == "515"
    for path in (f"/v1/identity/vids/{magic.UNKNOWN_VID}", "/v1/identity/vids/nope"):
        got = await client.get(path, headers=partner.headers)
        assert got.status_code == 404
        assert got.headers["content-type"].startswith(PROBLEM)
        assert got.json()["type"] == "/problems/vid-not-found"
    revoke = await _revoke(client, partner, magic.UNKNOWN_VID, "x", "123456")
    assert revoke.status_code == 404, revoke.text


async def test_another_partners_vid_is_unknown_here(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    vid = (await generate_vid(client, partner, txn="i-1"))["vid"]
    assert (await _demo(client, other_partner, vid))["err"] == "515"
    got = await client.get(f"/v1/identity/vids/{vid}", headers=other_partner.headers)
    assert got.status_code == 404
