"""Balance enquiry (ReqBalEnq) and set/change PIN (ReqSetCre) through the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.clock import advance
from tests.support.http import SignedUp
from tests.support.upi import PINS, balances, pay

pytestmark = pytest.mark.anyio


async def enquire(
    client: httpx.AsyncClient, partner: SignedUp, vpa: str, pin: str | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/v1/upi/balance",
        json={"vpa": vpa, "pin": pin or PINS.get(vpa, "1111")},
        headers=partner.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def set_pin(client: httpx.AsyncClient, partner: SignedUp, **body: Any) -> httpx.Response:
    return await client.post("/v1/upi/pin", json=body, headers=partner.headers)


# -- balance enquiry ----------------------------------------------------------------------------


async def test_balance_with_the_right_pin(client: httpx.AsyncClient, partner: SignedUp) -> None:
    body = await enquire(client, partner, "asha@sandbox")
    assert body == {
        "vpa": "asha@sandbox",
        "balance": "1000000.00",
        "currency": "INR",
        "responseCode": "00",
        "message": "Success",
        "detail": None,
        "hint": None,
    }


async def test_balance_includes_credits_just_received(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    before = (await enquire(client, partner, "ravi@sandbox"))["balance"]
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "12.34")
    assert paid.json()["responseCode"] == "00"
    after = (await enquire(client, partner, "ravi@sandbox"))["balance"]
    assert int(after.replace(".", "")) == int(before.replace(".", "")) + 1234
    assert after == (await balances(client, partner))["ravi@sandbox"]


@pytest.mark.parametrize(
    ("vpa", "code"),
    [
        ("nobody@sandbox", "ZH"),
        ("arjun@sandbox", "AM"),
        ("sanjay@sandbox", "XY"),
        ("ghost@sandbox", "XH"),
    ],
)
async def test_balance_declines(
    client: httpx.AsyncClient, partner: SignedUp, vpa: str, code: str
) -> None:
    body = await enquire(client, partner, vpa)
    assert (body["responseCode"], body["balance"]) == (code, None)
    assert body["detail"]
    assert body["hint"]


async def test_wrong_pins_lock_the_balance_until_the_next_world_day(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    codes = [
        (await enquire(client, partner, "asha@sandbox", "0000"))["responseCode"] for _ in range(3)
    ]
    assert codes == ["ZM", "ZM", "Z6"]
    locked = await enquire(client, partner, "asha@sandbox")
    assert (locked["responseCode"], locked["balance"]) == ("Z6", None)
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")
    assert paid.json()["responseCode"] == "Z6"  # one counter per PIN, whatever the request
    await advance(client, partner, 86_400)
    assert (await enquire(client, partner, "asha@sandbox"))["responseCode"] == "00"


async def test_wrong_pins_of_payments_count_for_the_enquiry_too(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    for _ in range(2):
        await pay(client, partner, "ravi@sandbox", "asha@sandbox", "1.00", pin="0000")
    assert (await enquire(client, partner, "ravi@sandbox", "0000"))["responseCode"] == "Z6"


async def test_malformed_pin_is_422(client: httpx.AsyncClient, partner: SignedUp) -> None:
    response = await client.post(
        "/v1/upi/balance", json={"vpa": "asha@sandbox", "pin": "12345"}, headers=partner.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.pin"


# -- change PIN ---------------------------------------------------------------------------------


async def test_changed_pin_pays_and_the_old_one_fails(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    changed = await set_pin(client, partner, vpa="asha@sandbox", oldPin="1234", newPin="567890")
    assert changed.status_code == 200, changed.text
    assert (changed.json()["responseCode"], changed.json()["vpa"]) == ("00", "asha@sandbox")
    with_new = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00", pin="567890")
    assert with_new.json()["responseCode"] == "00", with_new.text
    with_old = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00", pin="1234")
    assert with_old.json()["responseCode"] == "ZM"
    assert (await enquire(client, partner, "asha@sandbox", "567890"))["responseCode"] == "00"


async def test_change_with_a_wrong_old_pin_counts_tries(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    codes = []
    for _ in range(3):
        response = await set_pin(client, partner, vpa="ravi@sandbox", oldPin="0000", newPin="2222")
        assert response.status_code == 200
        codes.append(response.json()["responseCode"])
    assert codes == ["ZM", "ZM", "Z6"]
    right = await set_pin(client, partner, vpa="ravi@sandbox", oldPin="4321", newPin="2222")
    assert right.json()["responseCode"] == "Z6"
    paid = await pay(client, partner, "ravi@sandbox", "asha@sandbox", "1.00", pin="4321")
    assert paid.json()["responseCode"] == "Z6"  # the PIN did not change


async def test_change_needs_the_old_pin(client: httpx.AsyncClient, partner: SignedUp) -> None:
    response = await set_pin(client, partner, vpa="asha@sandbox", newPin="2222", otp="123456")
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("body.oldPin", "required_to_change")
    same = await set_pin(client, partner, vpa="asha@sandbox", oldPin="1234", newPin="1234")
    assert same.status_code == 422
    assert same.json()["errors"][0]["field"] == "body.newPin"
    both = await set_pin(
        client, partner, vpa="asha@sandbox", oldPin="1234", newPin="2222", otp="123456"
    )
    assert both.status_code == 422
    for bad in ("123", "12345", "abcd"):
        malformed = await set_pin(client, partner, vpa="asha@sandbox", oldPin="1234", newPin=bad)
        assert malformed.status_code == 422
        assert malformed.json()["errors"][0]["field"] == "body.newPin"
    paid = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00", pin="1234")
    assert paid.json()["responseCode"] == "00"


# -- set a first PIN ----------------------------------------------------------------------------


async def test_arjun_sets_a_pin_with_the_otp_and_can_pay(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    before = await pay(client, partner, "arjun@sandbox", "ravi@sandbox", "10.00", pin="2468")
    assert before.json()["responseCode"] == "AM"
    response = await set_pin(client, partner, vpa="arjun@sandbox", newPin="2468", otp="123456")
    assert response.status_code == 200, response.text
    assert response.json()["responseCode"] == "00"
    after = await pay(client, partner, "arjun@sandbox", "ravi@sandbox", "10.00", pin="2468")
    assert after.json()["responseCode"] == "00", after.text
    again = await set_pin(client, partner, vpa="arjun@sandbox", newPin="1357", otp="123456")
    assert again.status_code == 422  # now he has a PIN: changing it needs the old one
    assert again.json()["errors"][0]["field"] == "body.oldPin"


async def test_wrong_otp_is_zr_and_sets_nothing(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await set_pin(client, partner, vpa="arjun@sandbox", newPin="2468", otp="654321")
    assert response.status_code == 200
    body = response.json()
    assert body["responseCode"] == "ZR"
    assert "OTP" in body["detail"]
    assert "123456" in body["hint"]
    paid = await pay(client, partner, "arjun@sandbox", "ravi@sandbox", "10.00", pin="2468")
    assert paid.json()["responseCode"] == "AM"


async def test_setting_a_first_pin_needs_the_otp(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await set_pin(client, partner, vpa="arjun@sandbox", newPin="2468")
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("body.otp", "required_to_set")
    assert "123456" in response.json()["hint"]
    unknown = await set_pin(client, partner, vpa="nobody@sandbox", newPin="2468", otp="123456")
    assert unknown.json()["responseCode"] == "ZH"


async def test_pins_are_per_world(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    await set_pin(client, partner, vpa="asha@sandbox", oldPin="1234", newPin="9999")
    assert (await enquire(client, other_partner, "asha@sandbox", "1234"))["responseCode"] == "00"
    assert (await enquire(client, partner, "asha@sandbox", "1234"))["responseCode"] == "ZM"
