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
from typing import Any

import httpx
import pytest
import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from payments import intent_link
from payments.errors import InvalidIntentLink
from payments.service.intents import QR_BORDER, QR_ERROR, QR_PNG_SCALE
from tests.support.http import SignedUp, sign_up
from tests.support.upi import PINS, balances, ledger_ok, minor

pytestmark = pytest.mark.anyio
MERCHANT = "meeras.kirana@sandbox"


async def build(
    client: httpx.AsyncClient, partner: SignedUp, **fields: Any
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"payee": {"vpa": MERCHANT}, **fields}
    response = await client.post("/v1/upi/intents", json=body, headers=partner.headers)
    return response.status_code, response.json()


async def intent(client: httpx.AsyncClient, partner: SignedUp, **fields: Any) -> dict[str, Any]:
    status, body = await build(client, partner, **fields)
    assert status == 200, body
    return body


async def parse(client: httpx.AsyncClient, partner: SignedUp, link: str) -> httpx.Response:
    return await client.post("/v1/upi/intents/parse", json={"link": link}, headers=partner.headers)


async def parsed(client: httpx.AsyncClient, partner: SignedUp, link: str) -> dict[str, Any]:
    response = await parse(client, partner, link)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def split_signed(link: str) -> tuple[str, str]:
    """``(signed text, sign)`` the way a PSP app reads a link: the query before ``&sign=``."""
    query = link.split("?", 1)[1]
    text, sign = query.rsplit("&sign=", 1)
    return text, sign


def public_key_of(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")
    numbers = ec.EllipticCurvePublicNumbers(number(jwk["x"]), number(jwk["y"]), ec.SECP256R1())
    return numbers.public_key()


async def published_keys(client: httpx.AsyncClient, partner: SignedUp) -> list[dict[str, Any]]:
    response = await client.get("/v1/upi/intents/keys", headers=partner.headers)
    assert response.status_code == 200, response.text
    keys: list[dict[str, Any]] = response.json()["keys"]
    return keys


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


# -- links that break a rule -----------------------------------------------------------------

BASE = "upi://pay?pa=meeras.kirana@sandbox&pn=Meera%20Iyer"
# Refused by the schema (the pattern ``^upi://pay\?`` the OpenAPI states): a generic
# invalid-request problem naming the same field, rule "scheme" and its hint.
SCHEME = [
    ("https://pay?pa=a@sandbox&pn=A", "body.link", "scheme"),
    ("upi://mandate?pa=a@sandbox&pn=A", "body.link", "scheme"),
    ("upi://pay", "body.link", "scheme"),
]
INVALID = [
    ("upi://pay?pn=Meera", "body.link.pa", "required"),
    ("upi://pay?pa=meeras.kirana@sandbox", "body.link.pn", "required"),
    ("upi://pay?pa=not-a-vpa&pn=A", "body.link.pa", "vpa_format"),
    (BASE + "&am=100.001", "body.link.am", "decimal_places"),
    (BASE + "&am=1e3", "body.link.am", "decimal_amount"),
    (BASE + "&am=-5.00", "body.link.am", "decimal_amount"),
    (BASE + "&am=0.00", "body.link.am", "positive"),
    (BASE + "&am=10.00&mam=20.00", "body.link.mam", "at_most_am"),
    (BASE + "&am=10.00&cu=USD", "body.link.cu", "world_currency"),
    (BASE + "&tn=" + "x" * 51, "body.link.tn", "max_length"),
    (BASE + "&tr=ORDER%201", "body.link.tr", "ref_format"),
    (BASE + "&tid=SHORT", "body.link.tid", "txn_id_format"),
    (BASE + "&mc=54", "body.link.mc", "mcc_format"),
    (BASE + "&url=ftp://example.com/x", "body.link.url", "http_url"),
    (BASE + "&mode=5", "body.link.mode", "two_digits"),
    (BASE + "&purpose=abc", "body.link.purpose", "two_digits"),
    (BASE + "&orgid=12", "body.link.orgid", "six_digits"),
    (BASE + "&mid=a-b", "body.link.mid", "alphanumeric"),
    (BASE + "&am=1.00&am=2.00", "body.link.am", "not_repeated"),
    (BASE + "&sign=not*base64", "body.link.sign", "base64"),
    (BASE + "&sign=", "body.link.sign", "base64"),
    ("upi://pay?pa=meeras.kirana@sandbox&pn=%E0%A4", "body.link.pn", "percent_encoding"),
    ("upi://pay?pa=meeras.kirana@sandbox&pn=100%", "body.link.pn", "percent_encoding"),
    ("upi://pay?pa=meeras.kirana@sandbox&pn=%00", "body.link.pn", "percent_encoding"),
    ("upi://pay?pa=meeras.kirana@sandbox&pn", "body.link", "name_value_pairs"),
    (BASE + "#top", "body.link", "no_fragment"),
]


@pytest.mark.parametrize(
    ("link", "field", "rule"), INVALID, ids=[f"{f}-{r}" for _, f, r in INVALID]
)
async def test_an_invalid_link_is_422_naming_the_parameter_and_rule(
    link: str, field: str, rule: str, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await parse(client, partner, link)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "/problems/invalid-upi-link"
    assert problem["errors"] == [
        {"field": field, "rule": rule, "message": problem["errors"][0]["message"]}
    ]
    assert problem["detail"].startswith(field)
    assert problem["hint"]
    assert problem["responseCode"] == "U05"


@pytest.mark.parametrize(("link", "field", "rule"), SCHEME)
async def test_a_link_of_another_scheme_is_refused_by_the_schema(
    link: str, field: str, rule: str, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await parse(client, partner, link)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "/problems/invalid-request"
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [(field, rule)]
    assert problem["errors"][0]["message"] == "must start with upi://pay?"
    assert "POST /v1/upi/intents" in problem["hint"]


async def test_a_plus_decoded_as_a_space_in_sign_is_explained(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    response = await parse(client, partner, BASE + "&sign=MEQC IA==")
    assert response.status_code == 422
    assert "decoded as a space" in response.json()["hint"]


async def test_a_link_from_a_world_with_another_currency_is_refused(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    trinidad = await sign_up(client, name="Team TT", contactEmail="tt@example.com", country="TT")
    built = await intent(client, trinidad, amount="40.00")
    assert built["params"]["cu"] == "TTD"
    assert (await parsed(client, trinidad, built["link"]))["signatureValid"] is True
    response = await parse(client, partner, built["link"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.link.cu"
    assert "INR" in response.json()["detail"]


# -- building refuses what cannot be signed --------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"payee": {"vpa": "ravi@sandbox"}}, "body.payee.vpa", "verified_merchant"),
        ({"payee": {"vpa": "nobody@sandbox"}}, "body.payee.vpa", "exists"),
        ({"payee": {"vpa": "not a vpa"}}, "body.payee.vpa", "vpa_format"),
        ({"amount": "10.00", "minAmount": "20.00"}, "body.minAmount", "at_most_amount"),
        ({"amount": "10.001"}, "body.amount", "decimal_amount"),
        ({"minAmount": "0.00"}, "body.minAmount", "decimal_amount"),  # the schema: positive
    ],
)
async def test_building_refuses_with_a_named_field(
    fields: dict[str, Any], field: str, rule: str, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    status, problem = await build(client, partner, **fields)
    assert status == 422, problem
    assert (problem["errors"][0]["field"], problem["errors"][0]["rule"]) == (field, rule)
    assert problem["hint"]


async def test_building_refuses_unknown_fields_and_bad_modes(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    for extra in ({"mode": "04"}, {"purpose": "1"}, {"url": "ftp://x"}, {"tn": "x"}):
        status, problem = await build(client, partner, **extra)
        assert status == 422, (extra, problem)


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
