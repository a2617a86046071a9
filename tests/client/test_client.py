"""``sandbox.client`` against the in-process app: each domain's calls, each error type, the
answers' signatures checked, /aa requests signed."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.client import (
    AadhaarError,
    AaError,
    AnswerNotVerified,
    AsyncSandbox,
    ProblemError,
    UpiError,
    crypto,
)
from tests.support.aa import public_jwk
from tests.support.http import SignedUp

pytestmark = pytest.mark.anyio

ASHA_UID = "999999990019"
ASHA_MOBILE = "+919876500001"


async def test_signup_adopts_the_new_key_and_reads_the_partner(client: httpx.AsyncClient) -> None:
    sb = AsyncSandbox(http=client)
    created = await sb.signup("Team Client", "client@example.com", country="AM")
    assert sb.api_key == created["apiKey"]
    me = await sb.me()
    assert me["partnerId"] == created["partnerId"]
    assert (me["country"], me["currency"]) == ("AM", "AMD")
    updated = await sb.update_me(fixed_otp=True)
    assert updated["fixedOtp"] is True
    assert (await sb.update_me(webhook_url=None))["webhookUrl"] is None


async def test_world_calls(sb: AsyncSandbox) -> None:
    people = await sb.personas()
    assert {p["key"] for p in people["personas"]} >= {"asha", "ravi", "meera"}
    before = await sb.world_now()
    moved = await sb.advance_clock(3600)
    assert moved["offsetSeconds"] >= 3600
    assert (await sb.world_now() - before).total_seconds() >= 3600
    assert (await sb.reset())["clock"]["offsetSeconds"] == 0
    magic = await sb.magic()
    assert magic  # a list of forcing values, by kind
    assert (await sb.ledger_check())["balanced"] is True
    assert "keys" in await sb.jwks()


async def test_a_payment_and_its_refund(sb: AsyncSandbox) -> None:
    paid = await sb.pay(
        "asha@sandbox", "1234", "ravi@sandbox", "150.25", idempotency_key="client-pay-1"
    )
    assert (paid["status"], paid["responseCode"]) == ("SUCCESS", "00")
    again = await sb.pay(
        "asha@sandbox", "1234", "ravi@sandbox", "150.25", idempotency_key="client-pay-1"
    )
    assert again["txnId"] == paid["txnId"]
    assert again["replayed"] is True
    assert (await sb.transaction(paid["txnId"]))["amount"] == "150.25"
    listed = await sb.transactions(vpa="asha@sandbox")
    assert paid["txnId"] in [t["txnId"] for t in listed["transactions"]]
    back = await sb.refund(paid["txnId"], amount="50.25")
    assert back["status"] == "SUCCESS"
    assert (await sb.validate_vpa("ravi@sandbox"))["valid"] is True
    assert (await sb.balance("ravi@sandbox", "4321"))["currency"] == "INR"


async def test_collect_approved_and_declined(sb: AsyncSandbox) -> None:
    asked = await sb.collect("meeras.kirana@sandbox", "asha@sandbox", "99.00")
    assert asked["status"] == "PENDING"
    done = await sb.approve_collect(asked["txnId"], "1234")
    assert done["status"] == "SUCCESS"
    other = await sb.collect("meeras.kirana@sandbox", "asha@sandbox", "10.00")
    declined = await sb.decline_collect(other["txnId"])
    assert (declined["status"], declined["responseCode"]) == ("FAILURE", "ZA")


async def test_a_decline_raises_upi_error_with_code_and_hint(sb: AsyncSandbox) -> None:
    with pytest.raises(UpiError) as caught:
        await sb.pay("asha@sandbox", "1234", "ravi@sandbox", "10.30")  # .30 forces U30
    assert caught.value.code == "U30"
    assert caught.value.hint
    assert caught.value.txn_id
    assert caught.value.body["status"] == "FAILURE"
    with pytest.raises(UpiError) as wrong_pin:
        await sb.balance("ravi@sandbox", "0000")
    assert wrong_pin.value.code == "ZM"


async def test_refusals_can_be_read_instead_of_raised(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    sb = AsyncSandbox(partner.api_key, http=client, raise_for_refusal=False)
    answer = await sb.pay("asha@sandbox", "1234", "fraud@sandbox", "10.00")
    assert (answer["status"], answer["responseCode"]) == ("FAILURE", "K1")


async def test_a_malformed_request_raises_problem_error(sb: AsyncSandbox) -> None:
    with pytest.raises(ProblemError) as caught:
        await sb.pay("asha@sandbox", "1234", "ravi@sandbox", "1.5")  # not two minor digits
    problem = caught.value
    assert problem.status == 422
    assert problem.type == "/problems/invalid-request"  # the schema refuses it (decimal_amount)
    assert problem.code == problem.body.get("responseCode", "invalid-request")
    assert "body.amount" in str(problem)
    assert problem.hint
    assert problem.request_id
    with pytest.raises(ProblemError) as missing:
        await sb.transaction("SBX" + "0" * 32)
    assert missing.value.status == 404


async def test_an_unknown_key_raises_problem_error(client: httpx.AsyncClient) -> None:
    sb = AsyncSandbox("sk_sandbox_not-a-key", http=client)
    with pytest.raises(ProblemError) as caught:
        await sb.me()
    assert caught.value.status == 401
    assert caught.value.hint


async def test_otp_auth_and_ekyc(sb: AsyncSandbox) -> None:
    sent = await sb.request_otp(ASHA_UID, "client-auth-1")
    assert sent["ret"] == "y"
    assert sent["maskedMobile"]
    otp = await sb.read_otp(to=ASHA_MOBILE)
    assert re.fullmatch(r"\d{6}", otp)
    answer = await sb.auth_otp(ASHA_UID, "client-auth-1", otp, name="Asha Verma")
    assert answer["ret"] == "y"
    assert answer["info"]["uidToken"]
    records = await sb.auth_records(uid_token=answer["info"]["uidToken"])
    assert answer["code"] in json.dumps(records)

    await sb.advance_clock(31)  # a second OTP within 30 s answers 952
    await sb.request_otp(ASHA_UID, "client-kyc-1")
    kyc = await sb.ekyc(ASHA_UID, "client-kyc-1", await sb.read_otp(persona="asha"))
    assert kyc["ret"] == "y"
    assert kyc["txn"] == "UKC:client-kyc-1"
    assert isinstance(kyc["uidData"], dict)
    assert kyc["uidData"]["poi"]["name"] == "Asha Verma"


async def test_encrypted_auth_25(sb: AsyncSandbox) -> None:
    await sb.request_otp(ASHA_UID, "client-enc-1")
    otp = await sb.read_otp(to=ASHA_MOBILE)
    answer = await sb.auth_encrypted(
        ASHA_UID, "client-enc-1", {"pv": {"otp": otp}}, uses={"otp": "y"}
    )
    assert answer["ret"] == "y"
    await sb.advance_clock(31)
    await sb.request_otp(ASHA_UID, "client-enc-2")
    kyc = await sb.ekyc(ASHA_UID, "client-enc-2", await sb.read_otp(to=ASHA_MOBILE), encrypted=True)
    assert kyc["ret"] == "y"


async def test_ret_n_raises_aadhaar_error(sb: AsyncSandbox) -> None:
    await sb.request_otp(ASHA_UID, "client-bad-otp")
    with pytest.raises(AadhaarError) as caught:
        await sb.auth_otp(ASHA_UID, "client-bad-otp", "000000")
    assert caught.value.code in {"400", "403"}
    assert caught.value.hint
    with pytest.raises(AadhaarError) as lakshmi:  # mobile unverified: OTP by SMS gives 111
        await sb.request_otp("999999990074", "client-lakshmi")
    assert lakshmi.value.code == "111"


async def test_a_tampered_signed_answer_raises_answer_not_verified(
    app: Any, partner: SignedUp
) -> None:
    async def tamper(request: httpx.Request) -> httpx.Response:
        answer = await inner.handle_async_request(request)
        await answer.aread()
        if "x-jws-signature" not in answer.headers:
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )
        body = answer.content.replace(b'"ret":"y"', b'"ret":"Y"')
        headers = {k: v for k, v in answer.headers.items() if k != "content-length"}
        return httpx.Response(answer.status_code, headers=headers, content=body)

    inner = httpx.ASGITransport(app=app)
    transport = httpx.MockTransport(tamper)
    async with AsyncSandbox(partner.api_key, transport=transport, base_url="http://t") as sb:
        with pytest.raises(AnswerNotVerified) as caught:
            await sb.request_otp(ASHA_UID, "client-tamper")
        assert caught.value.code == "signature"


async def test_consent_flow_and_aa_errors(sb: AsyncSandbox) -> None:
    requested = await sb.request_consent("asha@sandbox-aa")
    handle = requested["ConsentHandle"]
    assert (await sb.consent_handle(handle))["ConsentStatus"]["status"] == "PENDING"
    approved = await sb.approve_consent(handle)
    assert approved["status"] == "ACTIVE"
    ready = await sb.consent_handle(handle)
    consent_id = ready["ConsentStatus"]["id"]
    assert ready["ConsentStatus"]["status"] == "READY"
    assert consent_id
    artefact = await sb.fetch_consent(consent_id)
    assert artefact["status"] == "ACTIVE"
    assert artefact["signedConsent"].count(".") == 2
    assert (await sb.pause_consent(handle))["status"] == "PAUSED"
    assert (await sb.resume_consent(handle))["status"] == "ACTIVE"
    assert (await sb.revoke_consent(handle))["status"] == "REVOKED"
    assert handle in [c["consentHandle"] for c in (await sb.consents())["consents"]]
    assert (await sb.consent(handle))["status"] == "REVOKED"
    assert (await sb.consent_log(handle))["verified"] is True

    with pytest.raises(AaError) as caught:
        await sb.fetch_consent("no-such-consent")
    assert caught.value.code == "InvalidConsentId"
    assert caught.value.detail
    with pytest.raises(AaError) as purpose:
        await sb.request_consent("asha@sandbox-aa", DataLife={"unit": "YEAR", "value": 5})
    assert purpose.value.status == 400
    assert purpose.value.code == "InvalidConsentPurpose"


async def test_aa_requests_are_signed_with_the_registered_key(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unsigned = AsyncSandbox(partner.api_key, http=client)
    await unsigned.set_aa_settings(signing_key=public_jwk(key, "client-kid"))
    with pytest.raises(AaError) as caught:
        await unsigned.request_consent("asha@sandbox-aa")
    assert caught.value.code == "SignatureDoesNotMatch"
    signed = AsyncSandbox(partner.api_key, http=client, aa_signing_key=key, aa_kid="client-kid")
    assert (await signed.request_consent("asha@sandbox-aa"))["ConsentHandle"]
    assert (await signed.aa_settings())["signingKey"]["kid"] == "client-kid"


async def test_fi_request_fetch_and_decrypt(sb: AsyncSandbox) -> None:
    paid = await sb.pay("ravi@sandbox", "4321", "asha@sandbox", "42.00")
    handle = (await sb.request_consent("asha@sandbox-aa"))["ConsentHandle"]
    await sb.approve_consent(handle)
    consent_id = (await sb.consent_handle(handle))["ConsentStatus"]["id"]
    session = await sb.fi_request(consent_id)
    assert session.session_id
    fetched = await sb.fi_fetch(session.session_id)
    documents = crypto.decrypt_fi(fetched, session.key)
    assert documents
    assert all(d.document.lstrip().startswith("<") for d in documents)
    assert any(paid["txnId"] in d.document for d in documents)
    assert session.session_id in json.dumps(await sb.fi_sessions())
    assert (await sb.fi_session(session.session_id))["sessionId"] == session.session_id


async def test_offline_ekyc_and_vids(sb: AsyncSandbox) -> None:
    await sb.request_otp(ASHA_UID, "client-offline")
    archive = await sb.offline_ekyc(
        ASHA_UID, "client-offline", await sb.read_otp(to=ASHA_MOBILE), "4821"
    )
    assert archive[:2] == b"PK"
    checked = await sb.verify_offline_ekyc(archive, "4821", mobile=ASHA_MOBILE)
    assert (checked["signatureValid"], checked["mobileMatches"]) == (True, True)
    await sb.advance_clock(31)
    await sb.request_otp(ASHA_UID, "client-vid")
    made = await sb.generate_vid(ASHA_UID, "client-vid", await sb.read_otp(to=ASHA_MOBILE))
    assert made["vid"]
    assert len(made["vid"]) == 16
    assert (await sb.vid(made["vid"]))["status"] == "ACTIVE"
    assert (await sb.persona_biometrics("asha"))["records"]
