"""Offline eKYC over HTTP: the zip after an OTP opens with the share code only, its XML carries
an enveloped signature that signxml verifies against the published certificate, the mobile
hash is recomputed here from the reference's rule (shared/reference/aadhaar.md, "Offline eKYC
(paperless)"), and the verify route tells valid, altered and unreadable files apart."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from typing import Any

import httpx
import pytest
import pyzipper
from lxml import etree
from PIL import Image
from signxml.verifier import XMLVerifier

from tests.support.http import PROBLEM, SignedUp
from tests.support.identity import certificate, read_otp, request_otp
from tests.support.webhooks import events, listen

pytestmark = pytest.mark.anyio

POOJA, POOJA_MOBILE = "999999990090", "9876500009"  # ends in 0: m is hashed once
FARHAN, FARHAN_MOBILE = "999999990057", "9876500005"  # ends in 7: m is hashed 7 times
FARHAN_EMAIL = "farhan.sheikh@example.com"
SHARE = "4821"
ROUTE = "/v1/identity/offline-ekyc"


def reference_m(mobile: str, share_code: str, uid: str) -> str:
    """The reference's rule, written out: SHA-256 hex of mobile + share code, then the hex
    hashed again, N times in all where N is the number's last digit (0 or 1: once)."""
    value = (mobile + share_code).encode()
    for _ in range(max(int(uid[-1]), 1)):
        value = hashlib.sha256(value).hexdigest().encode()
    return value.decode()


async def _download(
    client: httpx.AsyncClient, partner: SignedUp, uid: str, mobile: str, txn: str
) -> httpx.Response:
    await request_otp(client, partner, uid=uid, txn=txn)
    otp = await read_otp(client, partner, to="+91" + mobile)
    body = {"uid": uid, "txn": txn, "otp": otp, "shareCode": SHARE}
    return await client.post(ROUTE, json=body, headers=partner.headers)


def _open(content: bytes, password: str = SHARE) -> tuple[str, bytes]:
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        (name,) = archive.namelist()
        archive.setpassword(password.encode())
        return name, archive.read(name)


def _rezip(name: str, xml: bytes, password: str = SHARE) -> bytes:
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(buffer, "w", encryption=pyzipper.WZ_AES) as archive:
        archive.setpassword(password.encode())
        archive.writestr(name, xml)
    return buffer.getvalue()


async def _verify(client: httpx.AsyncClient, partner: SignedUp, zipped: bytes, **more: str) -> Any:
    body = {"file": base64.b64encode(zipped).decode(), "shareCode": SHARE, **more}
    return await client.post(f"{ROUTE}/verify", json=body, headers=partner.headers)


async def test_the_file_opens_with_the_share_code_and_verifies_with_signxml(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    got = await _download(client, partner, POOJA, POOJA_MOBILE, "off-1")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="offlineaadhaar')
    stamp = disposition.removeprefix('attachment; filename="offlineaadhaar').removesuffix('.zip"')
    assert (len(stamp), stamp.isdigit()) == (17, True)  # yyyyMMddHHmmssSSS

    # Not without the share code, nor with another one.
    with pyzipper.AESZipFile(io.BytesIO(got.content)) as bare, pytest.raises(RuntimeError):
        bare.read(bare.namelist()[0])
    with zipfile.ZipFile(io.BytesIO(got.content)) as plain, pytest.raises(RuntimeError):
        plain.read(plain.namelist()[0])
    with pytest.raises(RuntimeError):
        _open(got.content, "0000")
    name, xml = _open(got.content)
    assert name == f"offlineaadhaar{stamp}.xml"

    # The enveloped signature holds under the published certificate (signxml, not the route).
    verified = XMLVerifier().verify(xml, x509_cert=await certificate(client))
    assert not isinstance(verified, list)  # one signature, one result
    root = verified.signed_xml
    assert root is not None
    assert root.tag == "OfflinePaperlessKyc"
    assert root.get("referenceId") == POOJA[-4:] + stamp
    poi = root.find("UidData/Poi")
    assert poi is not None
    assert (poi.get("name"), poi.get("dob"), poi.get("gender")) == ("Pooja Das", "17-03-2001", "F")
    assert poi.get("m") == reference_m(POOJA_MOBILE, SHARE, POOJA)
    assert poi.get("m") == hashlib.sha256(f"{POOJA_MOBILE}{SHARE}".encode()).hexdigest()
    assert poi.get("e") == hashlib.sha256(b"pooja.das@example.com").hexdigest()
    poa = root.find("UidData/Poa")
    assert poa is not None
    assert set(poa.keys()) >= {"careof", "country", "dist", "house", "pc", "state", "vtc"}
    assert poa.get("pc")
    photo = root.findtext("UidData/Pht")
    assert photo
    assert Image.open(io.BytesIO(base64.b64decode(photo))).format == "JPEG"
    # The XML as shipped carries the signature with the certificate in KeyInfo.
    shipped = etree.fromstring(xml)
    ds = "{http://www.w3.org/2000/09/xmldsig#}"
    assert shipped.find(f"{ds}Signature/{ds}KeyInfo/{ds}X509Data/{ds}X509Certificate") is not None
    method = shipped.find(f"{ds}Signature/{ds}SignedInfo/{ds}SignatureMethod")
    assert method is not None
    assert method.get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

    # A download is announced, and it is no AUA authentication.
    assert await events(client, partner) == ["identity.offline_ekyc.generated"]
    records = await client.get("/v1/identity/auth-records", headers=partner.headers)
    assert records.json()["records"] == []

    # The OTP is used up: the same request again is refused (not idempotent, by design).
    again = await client.post(
        ROUTE,
        json={"uid": POOJA, "txn": "off-1", "otp": "000000", "shareCode": SHARE},
        headers=partner.headers,
    )
    assert (again.status_code, again.json()["err"]) == (400, "403"), again.text


async def test_the_mobile_hash_of_a_number_ending_in_7_and_the_verify_route(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    got = await _download(client, partner, FARHAN, FARHAN_MOBILE, "off-2")
    assert got.status_code == 200, got.text
    name, xml = _open(got.content)
    poi = etree.fromstring(xml).find("UidData/Poi")
    assert poi is not None
    assert poi.get("m") == reference_m(FARHAN_MOBILE, SHARE, FARHAN)
    once = hashlib.sha256(f"{FARHAN_MOBILE}{SHARE}".encode()).hexdigest()
    assert poi.get("m") != once

    valid = await _verify(
        client, partner, got.content, mobile="+91" + FARHAN_MOBILE, email=FARHAN_EMAIL
    )
    assert valid.status_code == 200, valid.text
    assert valid.json() == {
        "signatureValid": True,
        "mobileMatches": True,
        "emailMatches": True,
        "referenceId": etree.fromstring(xml).get("referenceId"),
        "name": "Farhan Sheikh",
    }
    other = await _verify(client, partner, got.content, mobile="9876500006", email="x@example.com")
    assert (other.json()["mobileMatches"], other.json()["emailMatches"]) == (False, False)
    bare = await _verify(client, partner, got.content)
    assert bare.json()["signatureValid"] is True
    assert bare.json().get("mobileMatches") is None

    # Altered after signing (the name), re-zipped with the same code: readable, not valid.
    tampered = _rezip(name, xml.replace(b'name="Farhan Sheikh"', b'name="Farhan Shaikh"'))
    altered = await _verify(client, partner, tampered)
    assert altered.status_code == 200, altered.text
    assert (altered.json()["signatureValid"], altered.json()["name"]) == (False, "Farhan Shaikh")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shareCode": "1111"}, "body.shareCode"),  # does not open the zip
        ({"file": "not base64!"}, "body.file"),
        ({"file": base64.b64encode(b"PK not a zip").decode()}, "body.file"),
    ],
)
async def test_unreadable_uploads_are_422_naming_the_field(
    client: httpx.AsyncClient, partner: SignedUp, change: dict[str, str], field: str
) -> None:
    zipped = _rezip("offlineaadhaar1.xml", b"<OfflinePaperlessKyc/>")
    body = {"file": base64.b64encode(zipped).decode(), "shareCode": SHARE, **change}
    got = await client.post(f"{ROUTE}/verify", json=body, headers=partner.headers)
    assert got.status_code == 422, got.text
    assert got.headers["content-type"].startswith(PROBLEM)
    assert got.json()["errors"][0]["field"] == field


async def test_share_code_and_otp_refusals(client: httpx.AsyncClient, partner: SignedUp) -> None:
    async def post(**body: str) -> httpx.Response:
        full = {"uid": POOJA, "txn": "off-3", "otp": "000000", "shareCode": SHARE, **body}
        return await client.post(ROUTE, json=full, headers=partner.headers)

    for code in ("123", "12345", "12a4"):
        bad = await post(shareCode=code)
        assert bad.status_code == 422, bad.text
        assert "shareCode" in str(bad.json()["errors"][0]["field"])

    none_sent = await post()
    assert (none_sent.status_code, none_sent.json()["err"]) == (400, "403")
    await request_otp(client, partner, uid=POOJA, txn="off-3")
    otp = await read_otp(client, partner, to="+91" + POOJA_MOBILE)
    wrong = "000000" if otp != "000000" else "111111"
    refused = await post(otp=wrong)
    assert (refused.status_code, refused.json()["err"]) == (400, "400"), refused.text
    other_txn = await post(otp=otp, txn="off-other")
    assert (other_txn.status_code, other_txn.json()["err"]) == (400, "402")
    done = await post(otp=otp)
    assert done.status_code == 200, done.text
