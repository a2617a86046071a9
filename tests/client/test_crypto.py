"""The client's crypto helpers: FI decryption against the FIP side, detached JWS on a real
answer, webhook signatures on real deliveries and on headers made without the sandbox's code."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from consent.crypto import encrypt_for
from sandbox.client import AsyncSandbox, crypto
from sandbox.client.crypto import WebhookSignatureError
from tests.support.http import SignedUp, running, sign_up
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.anyio

NOW_US = 1_780_000_000 * 1_000_000
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.close()


def _fetch_answer(documents: list[bytes], key: crypto.EphemeralKey) -> dict[str, Any]:
    """An FIFetchResponse as a FIP builds it, one fresh key pair per document."""
    fis = []
    for i, document in enumerate(documents):
        encrypted, fip_key = encrypt_for(key.key_material(), document, NOW_US)
        fis.append(
            {
                "fipID": f"FIP-{i}",
                "data": [
                    {
                        "linkRefNumber": f"ref-{i}",
                        "maskedAccNumber": "XX01",
                        "encryptedFI": encrypted,
                    }
                ],
                "KeyMaterial": fip_key,
            }
        )
    return {"ver": "2.0.0", "txnid": "t", "timestamp": "now", "FI": fis}


def test_decrypt_fi_opens_what_the_fips_encrypted() -> None:
    key = crypto.new_fi_key(NOW_US)
    material = key.key_material()
    assert (material["curve"], material["cryptoAlg"]) == ("X25519", "ECDH")
    assert material["DHPublicKey"]["KeyValue"].startswith("-----BEGIN PUBLIC KEY-----")
    documents = [b"<Account>one</Account>", "<Account>två ₹</Account>".encode()]
    opened = crypto.decrypt_fi(_fetch_answer(documents, key), key)
    assert [d.document.encode() for d in opened] == documents
    assert [(d.fip_id, d.link_ref_number) for d in opened] == [
        ("FIP-0", "ref-0"),
        ("FIP-1", "ref-1"),
    ]


def test_decrypt_fi_with_another_key_fails() -> None:
    answer = _fetch_answer([b"<Account/>"], crypto.new_fi_key(NOW_US))
    with pytest.raises(ValueError, match="does not decrypt"):
        crypto.decrypt_fi(answer, crypto.new_fi_key(NOW_US))


async def test_verify_jws_on_a_real_answer(client: httpx.AsyncClient, partner: SignedUp) -> None:
    answer = await client.post(
        "/v1/identity/otp",
        json={"uid": "999999990019", "txn": "jws-1", "channel": "01"},
        headers=partner.headers,
    )
    jwks = (await client.get("/.well-known/jwks.json")).json()
    signature = answer.headers["x-jws-signature"]
    assert crypto.verify_jws(signature, answer.content, jwks) == jwks["keys"][0]["kid"]
    with pytest.raises(crypto.JwsError) as caught:
        crypto.verify_jws(signature, answer.content.replace(b'"y"', b'"n"'), jwks)
    assert caught.value.reason == "signature"


async def test_auth_request_is_the_auth_25_body(sb: AsyncSandbox) -> None:
    certificate = (await sb.identity_certificate())["certificate"]
    body = crypto.auth_request(
        {"ts": "2026-01-01T10:00:00", "ver": "2.0", "pv": {"otp": "123456"}},
        certificate,
        uid="999999990019",
        txn="t1",
        uses={"otp": "y"},
    )
    assert body["data"]["type"] == "J"
    assert set(body) >= {"skey", "hmac", "data", "uses"}
    assert body["skey"]["ci"]
    assert "pid" not in body


def test_verify_webhook_with_headers_made_by_the_library() -> None:
    body = json.dumps({"id": "evt_1", "type": "sandbox.ping", "data": {}}).encode()
    signature = Webhook(SECRET).sign("evt_1", datetime.now(UTC), body.decode())
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(int(time.time())),
        "webhook-signature": signature,
    }
    assert crypto.verify_webhook(SECRET, body, headers)["id"] == "evt_1"
    with pytest.raises(WebhookSignatureError):
        crypto.verify_webhook(SECRET, body + b" ", headers)
    with pytest.raises(WebhookSignatureError):
        crypto.verify_webhook("whsec_" + "A" * 32, body, headers)


def test_verify_webhook_by_sandbox_signature_made_by_hand() -> None:
    body = b'{"id":"evt_2","type":"sandbox.ping"}'
    t = 1_700_000_000
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Sandbox-Signature": f"t={t},v1={mac}"}
    assert crypto.verify_webhook(SECRET, body, headers, now=t + 10)["id"] == "evt_2"
    with pytest.raises(WebhookSignatureError, match="more than 300 s"):
        crypto.verify_webhook(SECRET, body, headers, now=t + 301)
    with pytest.raises(WebhookSignatureError, match="neither"):
        crypto.verify_webhook(SECRET, body, {})


async def test_verify_webhook_on_a_real_delivery(make_settings: Any, receiver: Receiver) -> None:
    settings = make_settings(dispatch_webhooks=True, webhook_poll_seconds=0.01)
    async with running(settings) as (_app, client):
        partner = await sign_up(client, webhookUrl=receiver.url)
        sb = AsyncSandbox(partner.api_key, http=client)
        sent = await sb.test_webhook()
        [delivery] = await receiver.wait_for(1)
    event = crypto.verify_webhook(partner.webhook_secret, delivery.body, delivery.headers)
    assert event["id"] == sent["eventId"]
    assert event["type"] == "sandbox.ping"
    only_ours = {k: v for k, v in delivery.headers.items() if not k.startswith("webhook-")}
    assert crypto.verify_webhook(partner.webhook_secret, delivery.body, only_ours)["id"]
