"""Signed UPI intents and QR codes: build, read back, verify independently, tamper, pay.

The signature is checked here with ``cryptography`` against the published JWK, not through the
sandbox's own verifier; the PNG is decoded by hand and compared module by module with a QR of
the link.
"""

from __future__ import annotations

import base64
import logging
import struct
import xml.etree.ElementTree as ET  # parses the sandbox's own SVG output, not untrusted input
import zlib

import httpx
import pytest
import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from payments import intent_link
from payments.errors import InvalidIntentLink
from payments.service.intents import QR_BORDER, QR_ERROR, QR_PNG_SCALE
from tests.support.http import SignedUp
from tests.support.intents import (
    MERCHANT,
    intent,
    parsed,
    public_key_of,
    published_keys,
    split_signed,
)
from tests.support.upi import PINS, balances, ledger_ok, minor

pytestmark = pytest.mark.anyio

# -- build and read back ---------------------------------------------------------------------


async def test_build_then_parse_round_trips_every_parameter(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    built = await intent(
        client,
        partner,
        amount="250.50",
        minAmount="100.00",
        note="Rice & dal, 5 kg",
        refId="ORDER-1001",
        url="https://example.com/orders/1001?x=1&y=2",
    )
    link = built["link"]
    assert link.startswith("upi://pay?pa=meeras.kirana@sandbox&pn=")
    assert link.rsplit("&", 1)[1].startswith("sign="), "sign is the last parameter"
    assert built["signed"] is True
    assert built["algorithm"] == "ES256"
    assert built["signedText"] == split_signed(link)[0]
    assert built["params"] == {
        "pa": MERCHANT,
        "pn": "Meera Iyer",
        "am": "250.50",
        "mam": "100.00",
        "cu": "INR",
        "tn": "Rice & dal, 5 kg",
        "tr": "ORDER-1001",
        "mc": "5411",
        "url": "https://example.com/orders/1001?x=1&y=2",
        "mode": "05",
        "purpose": "00",
        "orgid": "000000",
    }

    body = await parsed(client, partner, link)
    assert body["valid"] is True
    assert body["signed"] is True
    assert body["signatureValid"] is True
    assert body["keyId"] == built["keyId"]
    assert body["params"] == built["params"]
    assert (body["amount"], body["minAmount"], body["currency"]) == ("250.50", "100.00", "INR")
    assert body["mode"] == "secure intent (signed)"
    assert body["payee"] == {
        "vpa": MERCHANT,
        "exists": True,
        "name": "Meera Iyer",
        "nameMatches": True,
        "verifiedMerchant": True,
    }
    assert body["payment"] == {
        "payee": {"vpa": MERCHANT},
        "amount": "250.50",
        "note": "Rice & dal, 5 kg",
        "refId": "ORDER-1001",
        "txnId": None,
    }


async def test_a_static_qr_has_no_amount_and_the_payer_chooses_it(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    built = await intent(client, partner, mode="02")
    assert "am" not in built["params"]
    assert "tr" not in built["params"], "tr is only mandatory in a dynamic link"
    assert built["params"]["mode"] == "02"
    body = await parsed(client, partner, built["link"])
    assert body["signatureValid"] is True
    assert body["amount"] is None
    assert body["payment"]["amount"] is None
    assert body["mode"] == "secure QR code (signed)"


async def test_a_dynamic_link_without_ref_id_gets_a_tr(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    built = await intent(client, partner, amount="10.00")
    assert intent_link.REF.fullmatch(built["params"]["tr"])


async def test_the_key_is_made_once_and_the_private_half_never_shown(
    client: httpx.AsyncClient, partner: SignedUp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = await intent(client, partner, amount="1.00")
    second = await intent(client, partner, amount="2.00")
    assert first["keyId"] == second["keyId"]
    keys = await published_keys(client, partner)
    assert [k["kid"] for k in keys] == [first["keyId"]]
    texts = [str(first), str(second), str(keys), caplog.text]
    assert not any("PRIVATE" in text for text in texts)


async def test_a_reset_keeps_the_key_so_printed_qr_codes_still_verify(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    printed = await intent(client, partner, amount="10.00")
    reset = await client.post("/v1/sandbox/reset", headers=partner.headers)
    assert reset.status_code == 200, reset.text
    assert [k["kid"] for k in await published_keys(client, partner)] == [printed["keyId"]]
    assert (await parsed(client, partner, printed["link"]))["signatureValid"] is True
    rebuilt = await intent(client, partner, amount="10.00")
    assert rebuilt["keyId"] == printed["keyId"]


# -- the signature, checked independently ----------------------------------------------------


async def test_signature_verifies_with_the_published_key(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    built = await intent(client, partner, amount="99.00", note="Milk")
    (jwk,) = await published_keys(client, partner)
    assert jwk["kid"] == built["keyId"]
    assert jwk["use"] == "sig"
    key = public_key_of(jwk)
    pem_key = serialization.load_pem_public_key(jwk["pem"].encode())
    assert isinstance(pem_key, ec.EllipticCurvePublicKey)
    assert pem_key.public_numbers() == key.public_numbers(), "PEM and JWK are the same key"

    text, sign = split_signed(built["link"])
    signature = base64.b64decode(sign, validate=True)
    key.verify(signature, text.encode(), ec.ECDSA(hashes.SHA256()))  # raises if it does not
    with pytest.raises(InvalidSignature):
        key.verify(signature, text.replace("99.00", "98.00").encode(), ec.ECDSA(hashes.SHA256()))


TAMPERS = {
    "pa": ("pa=meeras.kirana@sandbox", "pa=ravi@sandbox"),
    "pn": ("pn=Meera%20Iyer", "pn=Meera%20Iyer%20Stores"),
    "pn re-encoded": ("pn=Meera%20Iyer", "pn=Meera%20%49yer"),
    "am": ("am=100.00", "am=1000.00"),
    "am written shorter": ("am=100.00", "am=100"),
    "mam": ("mam=50.00", "mam=1.00"),
    "cu left out": ("&cu=INR", ""),
    "tn": ("tn=Groceries", "tn=Groceries2"),
    "tr": ("tr=ORDER-1001", "tr=ORDER-1002"),
    "mc": ("mc=5411", "mc=5812"),
    "url": ("url=https://example.com/o/1", "url=https://example.com/o/2"),
    "mode": ("mode=05", "mode=02"),
    "purpose": ("purpose=00", "purpose=01"),
    "orgid": ("orgid=000000", "orgid=159761"),
    "a parameter added": ("&mode=05", "&tid=SBXA1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6&mode=05"),
    "parameters reordered": (
        "&mc=5411&url=https://example.com/o/1",
        "&url=https://example.com/o/1&mc=5411",
    ),
}


@pytest.mark.parametrize("change", TAMPERS, ids=list(TAMPERS))
async def test_every_tampered_parameter_breaks_the_signature(
    change: str, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    built = await intent(
        client,
        partner,
        amount="100.00",
        minAmount="50.00",
        note="Groceries",
        refId="ORDER-1001",
        url="https://example.com/o/1",
    )
    old, new = TAMPERS[change]
    assert old in built["link"]
    tampered = built["link"].replace(old, new, 1)

    body = await parsed(client, partner, tampered)
    assert body["valid"] is True, "still a well-formed link"
    assert body["signed"] is True
    assert body["signatureValid"] is False
    assert body["keyId"] is None
    assert "changed after signing" in body["hint"]


async def test_a_changed_signature_does_not_verify(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    link = (await intent(client, partner, amount="5.00"))["link"]
    text, sign = split_signed(link)
    raw = bytearray(base64.b64decode(sign))
    raw[-1] ^= 0x01
    forged = f"upi://pay?{text}&sign={base64.b64encode(bytes(raw)).decode()}"
    assert (await parsed(client, partner, forged))["signatureValid"] is False


async def test_an_unsigned_link_is_valid_but_not_verified(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    link = "upi://pay?pa=ravi@sandbox&pn=Ravi%20Kumar&am=10&cu=INR&mode=02"
    body = await parsed(client, partner, link)
    assert (body["signed"], body["signatureValid"]) == (False, False)
    assert "not signed" in body["hint"]
    assert "mode promises a signed link" in body["hint"]
    assert body["amount"] == "10.00", "fewer decimals than the currency's are read exactly"


async def test_another_partner_cannot_verify_and_publishes_another_key(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    link = (await intent(client, partner, amount="20.00"))["link"]

    before = await parsed(client, other_partner, link)
    assert before["signatureValid"] is False
    assert "no merchant key yet" in before["hint"]

    (mine,) = await published_keys(client, partner)
    (theirs,) = await published_keys(client, other_partner)
    assert theirs["kid"] != mine["kid"]
    assert (theirs["x"], theirs["y"]) != (mine["x"], mine["y"])

    after = await parsed(client, other_partner, link)
    assert after["signatureValid"] is False
    assert "another world's key" in after["hint"]
    text, sign = split_signed(link)
    with pytest.raises(InvalidSignature):
        public_key_of(theirs).verify(
            base64.b64decode(sign), text.encode(), ec.ECDSA(hashes.SHA256())
        )
    assert (await parsed(client, partner, link))["signatureValid"] is True


# -- the QR code -----------------------------------------------------------------------------


def png_modules(png: bytes) -> list[list[bool]]:
    """Decode a 1-bit greyscale PNG (what segno writes) into a grid of dark pixels."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        assert (
            zlib.crc32(kind + data)
            == struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])[0]
        )
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            chunks += data
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, colour) == (1, 0), "1-bit greyscale"
    stride = (width + 7) // 8
    raw = zlib.decompress(chunks)
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append([not (line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        previous = line
    return rows


async def test_the_qr_code_is_an_svg_and_a_png_of_the_link(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    built = await intent(client, partner, amount="75.00", note="QR test")
    link = built["link"]

    svg = ET.fromstring(built["qr"]["svg"])  # noqa: S314 - our own output
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"

    png = base64.b64decode(built["qr"]["pngBase64"], validate=True)
    pixels = png_modules(png)
    expected = segno.make(link, error=QR_ERROR, micro=False)
    size = int(expected.symbol_size(scale=1, border=QR_BORDER)[0])
    assert len(pixels) == len(pixels[0]) == size * QR_PNG_SCALE
    modules = [
        [pixels[y * QR_PNG_SCALE][x * QR_PNG_SCALE] for x in range(size)] for y in range(size)
    ]
    matrix = [[bool(v) for v in row] for row in expected.matrix_iter(scale=1, border=QR_BORDER)]
    assert modules == matrix, "the PNG's modules are exactly the QR code of the link"


# -- paying an intent ------------------------------------------------------------------------


async def test_build_parse_pay_end_to_end(client: httpx.AsyncClient, partner: SignedUp) -> None:
    before = await balances(client, partner)
    built = await intent(client, partner, amount="120.00", note="Atta 10 kg", refId="BILL-77")
    body = await parsed(client, partner, built["link"])
    assert body["signatureValid"] is True

    pay_body = {**body["payment"], "payer": {"vpa": "asha@sandbox", "pin": PINS["asha@sandbox"]}}
    paid = await client.post("/v1/upi/pay", json=pay_body, headers=partner.headers)
    assert paid.status_code == 200, paid.text
    txn = paid.json()
    assert (txn["status"], txn["responseCode"]) == ("SUCCESS", "00")
    assert txn["payee"]["vpa"] == MERCHANT
    assert (txn["amount"], txn["note"], txn["refId"]) == ("120.00", "Atta 10 kg", "BILL-77")

    after = await balances(client, partner)

    assert minor(after[MERCHANT]) == minor(before[MERCHANT]) + 12000
    assert minor(after["asha@sandbox"]) == minor(before["asha@sandbox"]) - 12000
    await ledger_ok(client, partner)


# -- the link module alone (no HTTP) ---------------------------------------------------------


def test_encode_then_split_round_trips_any_text() -> None:
    params = {"pa": "a.b@sandbox", "pn": "मीरा & Sons = 100% + more #1", "tn": "a/b?c"}
    query = intent_link.encode(params)
    assert " " not in query
    assert "+" not in query
    link = intent_link.split(intent_link.with_signature(query, "MEQCIA=="))
    assert link.params == params
    assert link.signed_text == query
    assert link.sign == "MEQCIA=="


@pytest.mark.parametrize(
    ("text", "minor"),
    [("100", 10000), ("100.5", 10050), ("100.50", 10050), ("0.01", 1)],
)
def test_link_amounts_allow_fewer_decimals(text: str, minor: int) -> None:
    assert intent_link.amount_minor(text, 2) == minor


def test_the_first_bad_parameter_is_named() -> None:
    link = intent_link.split("upi://pay?pa=xy@sandbox&pn=X&am=1.234&cu=USD")
    with pytest.raises(InvalidIntentLink) as caught:
        intent_link.check(link, currency="INR", minor_units=2)
    assert caught.value.extra["errors"][0]["field"] == "body.link.am"
