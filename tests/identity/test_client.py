"""``identity.client``, the AUA's side: a JSON and an XML auth built by it are answered ret y,
and the answers verify against the published JWKS; a tampered answer is refused by each."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from identity.client import (
    AnswerNotVerified,
    auth_json,
    auth_xml,
    verify_json_answer,
    verify_xml_answer,
)
from sandbox.keys.jws import HEADER, SignatureMismatch
from tests.support.http import SignedUp
from tests.support.identity import ASHA, pid_ts, read_otp, request_otp
from tests.support.uidai import aua, post

pytestmark = pytest.mark.anyio


def otp_pid(ts: str, otp: str) -> bytes:
    demo = '<Demo><Pi name="Asha Verma"/></Demo>'
    return f'<Pid ts="{ts}" ver="2.0">{demo}<Pv otp="{otp}"/></Pid>'.encode()


async def published(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """The auth certificate (PEM) and the JWKS, as a client fetches them once."""
    cert = await client.get("/v1/identity/certificate")
    jwks = await client.get("/.well-known/jwks.json")
    assert cert.status_code == jwks.status_code == 200
    pem: str = cert.json()["certificate"]
    return pem, jwks.json()


async def test_a_json_auth_built_and_verified_by_the_client(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    pem, jwks = await published(client)
    assert (await request_otp(client, partner, txn="client-1"))["ret"] == "y"
    otp = await read_otp(client, partner)
    pid = otp_pid(await pid_ts(client, partner), otp)
    body = auth_json(pid, pem, uid=ASHA, txn="client-1", uses={"pi": "y", "otp": "y"})
    assert body["data"]["type"] == "X"
    answer = await client.post("/v1/identity/auth", json=body, headers=partner.headers)
    assert answer.status_code == 200, answer.text
    result = verify_json_answer(answer.content, answer.headers[HEADER], jwks)
    assert (result["ret"], result["txn"]) == ("y", "client-1"), result
    tampered = answer.content.replace(b'"ret":"y"', b'"ret":"n"')
    assert tampered != answer.content
    with pytest.raises(SignatureMismatch):
        verify_json_answer(tampered, answer.headers[HEADER], jwks)


async def test_a_json_pid_given_as_a_mapping_is_sent_as_type_j(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    pem, jwks = await published(client)
    ts = await pid_ts(client, partner)
    pid = {"ts": ts, "ver": "2.0", "demo": {"pi": {"name": "Asha Verma"}}}
    body = auth_json(pid, pem, uid=ASHA, txn="client-j", uses={"pi": "y"})
    assert body["data"]["type"] == "J"
    answer = await client.post("/v1/identity/auth", json=body, headers=partner.headers)
    assert answer.status_code == 200, answer.text
    assert verify_json_answer(answer.content, answer.headers[HEADER], jwks)["ret"] == "y"


async def test_an_xml_auth_built_and_verified_by_the_client(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    pem, jwks = await published(client)
    creds = await aua(client, partner)
    assert (await request_otp(client, partner, txn="client-x"))["ret"] == "y"
    otp = await read_otp(client, partner)
    pid = otp_pid(await pid_ts(client, partner), otp)
    document = auth_xml(
        pid,
        pem,
        uid=ASHA,
        txn="client-x",
        ac=creds.ac,
        sa=creds.sa,
        lk=creds.lk,
        uses={"pi": "y", "otp": "y"},
        namespaced=True,
    )
    answer = await post(client, "auth", creds, ASHA, document)
    res = verify_xml_answer(answer.content, jwks=jwks)
    assert etree.QName(res).localname == "AuthRes"
    assert (res.get("ret"), res.get("txn"), res.get("err")) == ("y", "client-x", None)

    key = jwks["keys"][0]
    numbers = rsa.RSAPublicNumbers(_int(key["e"]), _int(key["n"])).public_key()
    sandbox_pem = numbers.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert verify_xml_answer(answer.content, expected_public_key_pem=sandbox_pem).get("ret") == "y"

    tampered = answer.content.replace(b'ret="y"', b'ret="n"')
    assert tampered != answer.content
    with pytest.raises(AnswerNotVerified, match="does not verify"):
        verify_xml_answer(tampered, jwks=jwks)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    other_pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    with pytest.raises(AnswerNotVerified, match="sandbox's key"):
        verify_xml_answer(answer.content, expected_public_key_pem=other_pem)


def _int(b64url: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(b64url + "=" * (-len(b64url) % 4)), "big")
