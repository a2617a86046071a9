"""OTP API 2.5 without HTTP: the service and its stores on a real database, time from a manual
clock. Delivery to the inbox, hashing, channels and who cannot get an OTP (110, 111, 112),
the resend gap (952), unknown numbers (998 A201), fixedOtp and idempotent retries."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from identity.magic import ASHA, BAD_CHECK_DIGIT, LAKSHMI, SUNIL, UNKNOWN_UID
from identity.models import FIXED_OTP
from identity.schemas.otp import OtpIn, OtpOut
from identity.service.otp import request_otp
from identity.store import OtpStore
from sandbox.inbox.service import list_messages
from sandbox.kit.clock import ManualClock
from sandbox.storage.database import Database
from sandbox.storage.schema import otp_requests, residents
from sandbox.world.context import WorldContext

pytestmark = pytest.mark.anyio
World = Callable[..., WorldContext]


async def _otp(
    db: Database, world: WorldContext, uid: str = ASHA, txn: str = "t-1", channel: str = "00"
) -> OtpOut:
    body = OtpIn.model_validate({"uid": uid, "txn": txn, "channel": channel})
    return await request_otp(db, world, body, idempotency_key=None)


async def _messages(db: Database, world: WorldContext, to: str) -> list[str]:
    page = await list_messages(db, world, to=to, limit=50, cursor=None)
    return [m.body for m in page.messages]


async def test_an_otp_lands_in_the_inbox_by_sms_and_email_and_is_stored_hashed(
    db: Database, world: World
) -> None:
    w = world()
    answer = await _otp(db, w, channel="00")
    assert (answer.ret, answer.err, answer.txn) == ("y", None, "t-1")
    assert answer.masked_mobile == "XXXXXX0001"
    assert answer.masked_email == "aXXXXXXXXa@example.com"
    assert re.fullmatch(r"[0-9a-f]{32}", answer.code)
    sms = await _messages(db, w, "9876500001")  # the national form finds the E.164 address
    mail = await _messages(db, w, "Asha.Verma@example.com")
    assert len(sms) == len(mail) == 1
    otp = re.search(r"\b(\d{6})\b", sms[0])
    assert otp is not None
    assert otp[1] in mail[0]
    assert ASHA not in sms[0]  # the number is masked in the message

    def stored(conn: Connection) -> list[str]:
        return list(conn.execute(sa.select(otp_requests.c.otp_hash)).scalars())

    hashes = await db.read(stored)
    assert len(hashes) == 1
    assert otp[1] not in hashes[0]
    assert len(hashes[0]) == 64


@pytest.mark.parametrize("channel", ["01", "02"])
async def test_one_channel_sends_one_message(db: Database, world: World, channel: str) -> None:
    w = world()
    answer = await _otp(db, w, channel=channel)
    assert answer.ret == "y"
    assert (answer.masked_mobile is not None) == (channel == "01")
    assert (answer.masked_email is not None) == (channel == "02")
    page = await list_messages(db, w, to=None, limit=50, cursor=None)
    assert [m.channel.value for m in page.messages] == ["sms" if channel == "01" else "email"]


@pytest.mark.parametrize(
    ("uid", "channel", "err"),
    [
        (LAKSHMI, "01", "111"),  # mobile on record, not verified
        (SUNIL, "01", "111"),  # no mobile at all
        (LAKSHMI, "00", "110"),
        (SUNIL, "00", "110"),
    ],
)
async def test_residents_without_a_verified_mobile(
    db: Database, world: World, uid: str, channel: str, err: str
) -> None:
    w = world()
    answer = await _otp(db, w, uid=uid, channel=channel)
    assert (answer.ret, answer.err) == ("n", err)
    assert answer.hint
    assert (await list_messages(db, w, to=None, limit=5, cursor=None)).messages == []
    # e-mail still works for them
    assert (await _otp(db, w, uid=uid, txn="t-mail", channel="02")).ret == "y"


async def test_a_resident_with_neither_mobile_nor_email_gets_112(
    db: Database, world: World
) -> None:
    w = world()

    def unreachable(conn: Connection) -> None:
        r = residents
        conn.execute(
            sa.update(r)
            .where(r.c.world_id == w.id, r.c.uid == SUNIL)
            .values(email=None, mobile=None, mobile_verified=False)
        )

    await db.write(unreachable)
    for channel in ("00", "01", "02"):
        answer = await _otp(db, w, uid=SUNIL, channel=channel)
        assert (answer.ret, answer.err) == ("n", "112")


@pytest.mark.parametrize("uid", [UNKNOWN_UID, BAD_CHECK_DIGIT])
async def test_an_unknown_number_is_998_a201(db: Database, world: World, uid: str) -> None:
    answer = await _otp(db, world(), uid=uid)
    assert (answer.ret, answer.err, answer.actn) == ("n", "998", "A201")
    assert answer.masked_mobile is None


async def test_a_second_otp_within_30_seconds_is_952_with_the_time_to_retry(
    db: Database, world: World, clock: ManualClock
) -> None:
    assert (await _otp(db, world(), txn="t-1")).ret == "y"
    clock.advance(10)
    again = await _otp(db, world(), txn="t-2")
    assert (again.ret, again.err) == ("n", "952")
    assert again.hint is not None
    assert "Ask again at or after" in again.hint
    clock.advance(20)
    assert (await _otp(db, world(), txn="t-2")).ret == "y"

    def latest(conn: Connection) -> str | None:
        otp = OtpStore(conn, world().id).latest(ASHA)
        return None if otp is None else otp.txn

    assert await db.read(latest) == "t-2"


async def test_fixed_otp_partners_always_get_123456(db: Database, world: World) -> None:
    w = world(fixed_otp=True)
    await _otp(db, w, channel="01")
    assert FIXED_OTP in (await _messages(db, w, "+919876500001"))[0]


async def test_an_idempotency_key_replays_instead_of_sending_again(
    db: Database, world: World
) -> None:
    w = world()
    body = OtpIn.model_validate({"uid": ASHA, "txn": "t-idem", "channel": "01"})
    first = await request_otp(db, w, body, idempotency_key="k-1")
    second = await request_otp(db, w, body, idempotency_key="k-1")
    assert first == second
    assert len(await _messages(db, w, "+919876500001")) == 1
