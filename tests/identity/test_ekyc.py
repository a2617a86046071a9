"""eKYC over HTTP: the easy and the encrypted path, wadh and ra checks, the resident's data
against the persona, the photos, the signature, the record and the event."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc import jwe
from joserfc.jwe import JWERegistry
from joserfc.jwk import RSAKey
from PIL import Image

from identity.client import open_uid_data
from sandbox.keys.jws import verify_detached
from tests.support.clock import advance
from tests.support.http import SignedUp
from tests.support.identity import (
    ASHA,
    ASHA_MOBILE,
    certificate,
    easy,
    encrypted,
    pid_ts,
    read_otp,
    request_otp,
)
from tests.support.uidai import aua_key, register
from tests.support.webhooks import events, listen

pytestmark = pytest.mark.anyio

RAVI = "999999990026"


def wadh(terms: str = "2.5OYNNN") -> str:
    return base64.b64encode(hashlib.sha256(terms.encode()).digest()).decode()


def kyc(body: dict[str, Any], *, ra: str = "O", lr: str = "N") -> dict[str, Any]:
    return {**body, "ra": ra, "lr": lr, "de": "N", "pfr": "N"}


async def post(
    client: httpx.AsyncClient, partner: SignedUp, body: dict[str, Any]
) -> httpx.Response:
    answer = await client.post("/v1/identity/ekyc", json=body, headers=partner.headers)
    assert answer.status_code == 200, answer.text
    return answer


async def otp_body(
    client: httpx.AsyncClient, partner: SignedUp, txn: str, **pid: Any
) -> dict[str, Any]:
    """An easy-path eKYC body with a fresh OTP of asha's (``pid`` overrides the PID's parts)."""
    await advance(client, partner, 31)  # one OTP per number per 30 s
    assert (await request_otp(client, partner, txn=txn))["ret"] == "y"
    otp = await read_otp(client, partner)
    parts = {"ts": await pid_ts(client, partner), "ver": "2.0", "wadh": wadh(), "pv": {"otp": otp}}
    return kyc(easy({**parts, **pid}, txn=txn, otp="y"))


async def persona(client: httpx.AsyncClient, partner: SignedUp, uid: str) -> dict[str, Any]:
    listed = await client.get("/v1/sandbox/personas", headers=partner.headers)
    found: dict[str, Any] = next(p for p in listed.json()["personas"] if p["uid"] == uid)
    return found


def photo(answer: dict[str, Any]) -> bytes:
    raw = base64.b64decode(answer["uidData"]["pht"])
    image = Image.open(io.BytesIO(raw))
    assert image.format == "JPEG"
    assert image.size == (160, 200)
    assert len(image.convert("L").getcolors(256) or []) > 20  # a drawing, not a blank
    return raw


async def test_ekyc_on_the_easy_path_answers_the_personas_data(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    response = await post(client, partner, await otp_body(client, partner, "kyc-1"))
    assert response.headers["x-sandbox-easy-path"] == "plain-pid"
    answer = response.json()
    assert (answer["ret"], answer["err"], answer["txn"]) == ("y", None, "UKC:kyc-1")
    assert answer["ttl"] > answer["ts"]
    asha = await persona(client, partner, ASHA)
    data = answer["uidData"]
    assert data["uid"] == ASHA
    y, m, d = asha["dob"].split("-")
    assert data["poi"] == {
        "name": asha["name"],
        "dob": f"{d}-{m}-{y}",
        "gender": asha["gender"],
        "phone": ASHA_MOBILE[-10:],
        "email": asha["email"],
    }
    assert data["ldata"] is None  # lr N
    photo(answer)
    # the address is the enrolled one: it authenticates as Pa
    poa = {k: v for k, v in data["poa"].items() if v is not None}
    assert poa["pc"]
    assert poa["state"]
    ts = await pid_ts(client, partner)
    pa = easy({"ts": ts, "ver": "2.0", "demo": {"pa": poa}}, pa="y")
    checked = await client.post("/v1/identity/auth", json=pa, headers=partner.headers)
    assert checked.json()["ret"] == "y", checked.json()
    # recorded in the UKC: namespace, announced as identity.ekyc, no data in the event
    record = await client.get(
        f"/v1/identity/auth-records/{answer['code']}", headers=partner.headers
    )
    assert record.json()["txn"] == "UKC:kyc-1"
    assert await events(client, partner) == ["identity.ekyc", "identity.authenticated"]


async def test_ekyc_with_the_pid_encrypted_and_local_language_data(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    txn = "UKC:kyc-enc"  # already in the namespace: kept as it is
    assert (await request_otp(client, partner, txn=txn))["ret"] == "y"
    otp = await read_otp(client, partner)
    ts = await pid_ts(client, partner)
    pid = f'<Pid ts="{ts}" ver="2.0" wadh="{wadh("2.5OYYNN")}"><Pv otp="{otp}"/></Pid>'
    body = kyc(encrypted(pid.encode(), await certificate(client), ts=ts, txn=txn, otp="y"), lr="Y")
    response = await post(client, partner, body)
    assert "x-sandbox-easy-path" not in response.headers
    answer = response.json()
    assert (answer["ret"], answer["txn"]) == ("y", txn), answer
    asha = await persona(client, partner, ASHA)
    assert answer["uidData"]["ldata"] == {"lang": "06", "name": asha["nameLocal"], "address": None}


async def test_a_missing_or_wrong_wadh_is_552(client: httpx.AsyncClient, partner: SignedUp) -> None:
    sent: tuple[str | None, ...] = (None, wadh("2.5OYNNY"))
    for i, wrong in enumerate(sent):
        body = await otp_body(client, partner, f"kyc-wadh-{i}")
        if wrong is None:
            del body["pid"]["wadh"]
        else:
            body["pid"]["wadh"] = wrong
        answer = (await post(client, partner, body)).json()
        assert (answer["ret"], answer["err"], answer["uidData"]) == ("n", "552", None)
        assert wadh() in answer["hint"]
        assert "2.5OYNNN" in answer["hint"]
        assert answer["txn"] == f"UKC:kyc-wadh-{i}"


async def test_ra_naming_a_factor_the_uses_lack_is_550(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    ts = await pid_ts(client, partner)
    pid = {"ts": ts, "ver": "2.0", "wadh": wadh(), "demo": {"pi": {"name": "Asha Verma"}}}
    answer = (await post(client, partner, kyc(easy(pid, txn="kyc-ra", pi="y")))).json()
    assert (answer["ret"], answer["err"]) == ("n", "550")
    assert 'otp="y"' in answer["hint"]
    for bad in ("X", "OO", ""):
        malformed = await client.post(
            "/v1/identity/ekyc",
            json=kyc(easy(pid, txn="kyc-ra", pi="y"), ra=bad),
            headers=partner.headers,
        )
        assert malformed.status_code == 422, malformed.text


async def test_a_failed_authentication_is_auths_refusal(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    await listen(client, partner)
    body = await otp_body(client, partner, "kyc-wrong", pv={"otp": "000000"})
    answer = (await post(client, partner, body)).json()
    assert (answer["ret"], answer["err"], answer["uidData"], answer["ttl"]) == (
        "n",
        "400",
        None,
        None,
    )
    assert answer["info"]["uidToken"]
    assert answer["hint"]
    assert await events(client, partner) == ["identity.failed"]


async def test_photos_differ_across_residents_and_repeat_for_one(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    patched = await client.patch(
        "/v1/partners/me", json={"fixedOtp": True}, headers=partner.headers
    )
    assert patched.status_code == 200, patched.text
    photos = []
    for i, uid in enumerate((ASHA, ASHA, RAVI)):
        txn = f"kyc-photo-{i}"
        await advance(client, partner, 31)
        assert (await request_otp(client, partner, uid=uid, txn=txn))["ret"] == "y"
        ts = await pid_ts(client, partner)
        pid = {"ts": ts, "ver": "2.0", "wadh": wadh(), "pv": {"otp": "123456"}}
        answer = (await post(client, partner, kyc(easy(pid, uid=uid, txn=txn, otp="y")))).json()
        assert answer["ret"] == "y", answer
        photos.append(photo(answer))
    assert photos[0] == photos[1] != photos[2]


async def test_the_answer_is_signed_and_an_idempotent_retry_replays_it(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    jwks = (await client.get("/.well-known/jwks.json")).json()
    body = await otp_body(client, partner, "kyc-jws")
    headers = {**partner.headers, "Idempotency-Key": "kyc-jws-1"}
    first = await client.post("/v1/identity/ekyc", json=body, headers=headers)
    again = await client.post("/v1/identity/ekyc", json=body, headers=headers)
    assert first.json()["ret"] == "y"
    assert first.content == again.content
    for response in (first, again):
        signature = response.headers["x-jws-signature"]
        assert verify_detached(signature, response.content, jwks) == jwks["keys"][0]["kid"]


async def test_a_txn_too_long_for_the_namespace_is_422(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    ts = await pid_ts(client, partner)
    pid = {"ts": ts, "ver": "2.0", "wadh": wadh(), "pv": {"otp": "123456"}}
    answer = await client.post(
        "/v1/identity/ekyc", json=kyc(easy(pid, txn="t" * 47, otp="y")), headers=partner.headers
    )
    assert answer.status_code == 422, answer.text


async def test_a_registered_encryption_certificate_makes_uid_data_a_jwe(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    kua_key, kua_pem = aua_key()
    await register(client, partner, kua_pem, use="encryption")
    jwks = (await client.get("/.well-known/jwks.json")).json()
    response = await post(client, partner, await otp_body(client, partner, "kyc-jwe"))
    assert verify_detached(response.headers["x-jws-signature"], response.content, jwks)
    answer = response.json()
    assert answer["ret"] == "y", answer
    token = answer["uidData"]
    assert isinstance(token, str)
    assert token.count(".") == 4  # compact JWE: header.key.iv.ciphertext.tag
    assert ASHA not in token
    # opened with joserfc on its own, from the PEM of the KUA's private key
    private = RSAKey.import_key(
        kua_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    opened = jwe.decrypt_compact(
        token, private, registry=JWERegistry(algorithms=["RSA-OAEP-256", "A256GCM"])
    )
    assert (opened.protected["alg"], opened.protected["enc"]) == ("RSA-OAEP-256", "A256GCM")
    der = x509.load_pem_x509_certificate(kua_pem.encode()).public_bytes(serialization.Encoding.DER)
    thumb = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert opened.protected["x5t#S256"] == thumb
    data = json.loads(opened.plaintext or b"")
    asha = await persona(client, partner, ASHA)
    assert (data["uid"], data["poi"]["name"]) == (ASHA, asha["name"])
    photo({"uidData": data})
    assert open_uid_data(answer, kua_key) == data  # the client helper agrees
    # de="Y": the decryption is delegated to the KSA, which the sandbox plays: in the clear
    body = await otp_body(client, partner, "kyc-de", wadh=wadh("2.5OYNYN"))
    clear = (await post(client, partner, {**body, "de": "Y"})).json()
    assert clear["ret"] == "y", clear
    assert clear["uidData"]["uid"] == ASHA
    # a refusal has no data to encrypt
    wrong = await otp_body(client, partner, "kyc-jwe-n", pv={"otp": "000000"})
    refused = (await post(client, partner, wrong)).json()
    assert (refused["ret"], refused["err"], refused["uidData"]) == ("n", "400", None)


async def test_an_encryption_certificate_is_one_partners_own(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    _, kua_pem = aua_key()
    await register(client, partner, kua_pem, use="encryption")
    answer = (await post(client, other_partner, await otp_body(client, other_partner, "k"))).json()
    assert answer["ret"] == "y", answer
    assert isinstance(answer["uidData"], dict)  # the other partner registered none
