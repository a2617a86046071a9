"""Every public endpoint, defined once: a function of the request's arguments that returns an
``Op`` (one ``Call``, or a flow of calls). ``Sandbox`` runs them synchronously, ``AsyncSandbox``
awaits them; both take the same arguments and give back the same types.

Arguments are snake_case and keyword-only beyond the obvious first ones; bodies go on the wire
in the API's camelCase. ``UNSET`` (the default of an optional PATCH/PUT member) leaves a member
out, so ``None`` can mean "clear it".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Literal

from consent.crypto import EphemeralKey
from identity.client import wadh as wadh_of
from sandbox.client import types as t
from sandbox.client._core import Call, Flow, Op, _bytes
from sandbox.client.crypto import auth_request, new_fi_key


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final[Any] = _Unset()
AA_VERSION = "2.0.0"
IST = timedelta(hours=5, minutes=30)
_OTP = re.compile(r"\b(\d{6})\b")

Amount = str | Decimal


def _amount(value: Amount | None) -> str | None:
    return None if value is None else str(value)


def _drop(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body without its None members (optional members left out)."""
    return {k: v for k, v in body.items() if v is not None}


def _set(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not UNSET}


def _idem(key: str | None) -> dict[str, str] | None:
    return {"Idempotency-Key": key} if key else None


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp(moment: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as the AA spec's examples write it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- partners --------------------------------------------------------------------------------


def signup(
    name: str,
    contact_email: str,
    *,
    webhook_url: str | None = None,
    country: str | None = None,
    use_key: bool = True,
) -> Call[t.PartnerCreated]:
    """``POST /v1/partners``: a new partner with its own world. The answer's ``apiKey`` is shown
    once; with ``use_key`` (the default) the client uses it from then on. (With self-signup
    closed, the client's ``api_key`` is the operator's admin token, sent as the Bearer.)"""
    body = _drop(
        {"name": name, "contactEmail": contact_email, "webhookUrl": webhook_url, "country": country}
    )
    return Call("POST", "/v1/partners", body, adopt_api_key=use_key)


def me() -> Call[t.Partner]:
    return Call("GET", "/v1/partners/me")


def update_me(
    *, name: str = UNSET, webhook_url: str | None = UNSET, fixed_otp: bool = UNSET
) -> Call[t.Partner]:
    """``PATCH /v1/partners/me``; ``webhook_url=None`` clears it, ``fixed_otp=True`` makes every
    OTP of your world 123456."""
    body = _set({"name": name, "webhookUrl": webhook_url, "fixedOtp": fixed_otp})
    return Call("PATCH", "/v1/partners/me", body)


def rotate_key() -> Call[t.Json]:
    """``POST /v1/partners/me/keys``: a new API key; the old one stops working."""
    return Call("POST", "/v1/partners/me/keys")


def register_certificate(
    certificate_pem: str, *, use: Literal["signing", "encryption"] = "signing"
) -> Call[t.Json]:
    """``POST /v1/partners/me/certificates``: your AUA signing or KUA encryption certificate."""
    body = {"certificate": certificate_pem, "use": use}
    return Call("POST", "/v1/partners/me/certificates", body)


def aa_settings() -> Call[t.Json]:
    return Call("GET", "/v1/partners/me/aa")


def set_aa_settings(
    *, signing_key: Mapping[str, Any] | None = UNSET, notification_url: str | None = UNSET
) -> Call[t.Json]:
    """``PUT /v1/partners/me/aa``: your public RSA JWK (then every ``/aa`` POST must be signed:
    give the client ``aa_signing_key``) and your FIU notification base URL; ``None`` removes."""
    body = _set({"signingKey": signing_key, "notificationUrl": notification_url})
    return Call("PUT", "/v1/partners/me/aa", body)


# -- the sandbox world -------------------------------------------------------------------------


def personas() -> Call[t.PersonaList]:
    return Call("GET", "/v1/sandbox/personas")


def persona_biometrics(key: str) -> Call[t.Json]:
    return Call("GET", f"/v1/sandbox/personas/{key}/biometrics")


def clock() -> Call[t.Clock]:
    return Call("GET", "/v1/sandbox/clock")


def advance_clock(seconds: int) -> Call[t.Clock]:
    return Call("POST", "/v1/sandbox/clock/advance", {"seconds": seconds})


def reset() -> Call[t.Json]:
    """``POST /v1/sandbox/reset``: balances, PINs, history and the clock as at signup."""
    return Call("POST", "/v1/sandbox/reset")


def inbox(
    *,
    to: str | None = None,
    persona: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[t.MessageList]:
    """``GET /v1/sandbox/inbox``: SMS and e-mail sent in your world, newest first."""
    params = {"to": to, "persona": persona, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/sandbox/inbox", params=params)


def read_otp(*, to: str | None = None, persona: str | None = None) -> Flow[str]:
    """The six digits of the newest message to ``to`` (a mobile or e-mail) or ``persona``."""
    listed: t.MessageList = yield inbox(to=to, persona=persona, limit=1)
    for message in listed.get("messages", []):
        found = _OTP.search(message["body"])
        if found:
            return found[1]
    raise LookupError(f"no OTP in the inbox of {to or persona}: ask for one first")


def magic() -> Call[t.Json]:
    """``GET /v1/sandbox/magic``: every value that forces an outcome, by kind."""
    return Call("GET", "/v1/sandbox/magic", authenticated=False)


def ledger_check() -> Call[t.Json]:
    return Call("GET", "/v1/sandbox/ledger/check")


def webhook_deliveries(
    *, status: str | None = None, limit: int | None = None, cursor: str | None = None
) -> Call[t.Json]:
    params = {"status": status, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/sandbox/webhooks/deliveries", params=params)


def webhook_delivery(delivery_id: str) -> Call[t.Json]:
    return Call("GET", f"/v1/sandbox/webhooks/deliveries/{delivery_id}")


def replay_delivery(delivery_id: str) -> Call[t.Json]:
    return Call("POST", f"/v1/sandbox/webhooks/deliveries/{delivery_id}/replay")


def test_webhook() -> Call[t.Json]:
    """``POST /v1/sandbox/webhooks/test``: a ``sandbox.ping`` to your webhook URL."""
    return Call("POST", "/v1/sandbox/webhooks/test")


def jwks() -> Call[t.Json]:
    """``GET /.well-known/jwks.json`` (cached on the client)."""
    return Call("GET", "/.well-known/jwks.json", authenticated=False, cache="jwks")


def world_now() -> Flow[datetime]:
    """Your world's current time (``GET /v1/sandbox/clock``)."""
    answer: t.Clock = yield clock()
    return parse_time(answer["now"])


# -- payments (UPI) ----------------------------------------------------------------------------


def validate_vpa(vpa: str) -> Call[t.VpaValidation]:
    return Call("POST", "/v1/upi/vpa/validate", {"vpa": vpa})


def pay(
    payer_vpa: str,
    pin: str,
    payee_vpa: str,
    amount: Amount,
    *,
    note: str | None = None,
    ref_id: str | None = None,
    txn_id: str | None = None,
    idempotency_key: str | None = None,
) -> Call[t.Transaction]:
    """``POST /v1/upi/pay`` (ReqPay PAY). Amounts are strings with the currency's minor digits
    ("150.25"). A decline raises ``UpiError`` with the responseCode (``raise_for_refusal``)."""
    body = _drop(
        {
            "payer": {"vpa": payer_vpa, "pin": pin},
            "payee": {"vpa": payee_vpa},
            "amount": _amount(amount),
            "note": note,
            "refId": ref_id,
            "txnId": txn_id,
        }
    )
    return Call("POST", "/v1/upi/pay", body, headers=_idem(idempotency_key), kind="upi")


def transaction(txn_id: str) -> Call[t.Transaction]:
    """``GET /v1/upi/transactions/{txnId}`` (ReqChkTxn). A FAILURE raises ``UpiError``."""
    return Call("GET", f"/v1/upi/transactions/{txn_id}", kind="upi")


def transactions(
    *,
    vpa: str | None = None,
    status: str | None = None,
    type: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[t.TransactionList]:
    params = {"vpa": vpa, "status": status, "type": type, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/upi/transactions", params=params)


def collect(
    payee_vpa: str,
    payer_vpa: str,
    amount: Amount,
    *,
    note: str | None = None,
    ref_id: str | None = None,
    txn_id: str | None = None,
    expires_in_seconds: int | None = None,
    idempotency_key: str | None = None,
) -> Call[t.Transaction]:
    """``POST /v1/upi/collect`` (ReqPay COLLECT): PENDING until the payer approves with her PIN
    (``approve_collect``), declines, or it expires."""
    body = _drop(
        {
            "payee": {"vpa": payee_vpa},
            "payer": {"vpa": payer_vpa},
            "amount": _amount(amount),
            "note": note,
            "refId": ref_id,
            "txnId": txn_id,
            "expiresInSeconds": expires_in_seconds,
        }
    )
    return Call("POST", "/v1/upi/collect", body, headers=_idem(idempotency_key), kind="upi")


def approve_collect(txn_id: str, pin: str) -> Call[t.Transaction]:
    return Call("POST", f"/v1/upi/collect/{txn_id}/approve", {"pin": pin}, kind="upi")


def decline_collect(txn_id: str) -> Call[t.Transaction]:
    """The payer declines: the answer is the transaction, FAILURE with ZA (not raised)."""
    return Call("POST", f"/v1/upi/collect/{txn_id}/decline")


def refund(
    original_txn_id: str,
    *,
    amount: Amount | None = None,
    note: str | None = None,
    txn_id: str | None = None,
    idempotency_key: str | None = None,
) -> Call[t.Transaction]:
    """``POST /v1/upi/refunds``: all of ``original_txn_id`` or ``amount`` of it."""
    body = _drop(
        {
            "originalTxnId": original_txn_id,
            "amount": _amount(amount),
            "note": note,
            "txnId": txn_id,
        }
    )
    return Call("POST", "/v1/upi/refunds", body, headers=_idem(idempotency_key), kind="upi")


def balance(vpa: str, pin: str) -> Call[t.Balance]:
    """``POST /v1/upi/balance`` (ReqBalEnq); a refusal (wrong PIN...) raises ``UpiError``."""
    return Call("POST", "/v1/upi/balance", {"vpa": vpa, "pin": pin}, kind="upi")


def set_pin(
    vpa: str, new_pin: str, *, old_pin: str | None = None, otp: str | None = None
) -> Call[t.Json]:
    """``POST /v1/upi/pin`` (ReqSetCre): change it with ``old_pin``, or set a first one with
    ``otp`` (the sandbox OTP is 123456)."""
    body = _drop({"vpa": vpa, "newPin": new_pin, "oldPin": old_pin, "otp": otp})
    return Call("POST", "/v1/upi/pin", body, kind="upi")


def create_intent(
    payee_vpa: str,
    *,
    amount: Amount | None = None,
    min_amount: Amount | None = None,
    note: str | None = None,
    ref_id: str | None = None,
    url: str | None = None,
    mode: str | None = None,
    purpose: str | None = None,
) -> Call[t.Json]:
    """``POST /v1/upi/intents``: a signed ``upi://pay`` link and its QR code."""
    body = _drop(
        {
            "payee": {"vpa": payee_vpa},
            "amount": _amount(amount),
            "minAmount": _amount(min_amount),
            "note": note,
            "refId": ref_id,
            "url": url,
            "mode": mode,
            "purpose": purpose,
        }
    )
    return Call("POST", "/v1/upi/intents", body)


def parse_intent(link: str) -> Call[t.Json]:
    return Call("POST", "/v1/upi/intents/parse", {"link": link})


def intent_keys() -> Call[t.Json]:
    return Call("GET", "/v1/upi/intents/keys")


def create_mandate(
    payer_vpa: str,
    payee_vpa: str,
    amount_limit: Amount,
    *,
    recurrence: str,
    valid_until: str,
    valid_from: str | None = None,
    purpose: str | None = None,
) -> Call[t.Json]:
    """``POST /v1/upi/mandates`` (ReqMandate CREATE): the payer approves with her PIN."""
    body = _drop(
        {
            "payer": {"vpa": payer_vpa},
            "payee": {"vpa": payee_vpa},
            "amountLimit": _amount(amount_limit),
            "recurrence": recurrence,
            "validFrom": valid_from,
            "validUntil": valid_until,
            "purpose": purpose,
        }
    )
    return Call("POST", "/v1/upi/mandates", body)


def mandates(
    *,
    vpa: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[t.Json]:
    params = {"vpa": vpa, "status": status, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/upi/mandates", params=params)


def mandate(umn: str) -> Call[t.Json]:
    return Call("GET", f"/v1/upi/mandates/{umn}")


def approve_mandate(umn: str, pin: str) -> Call[t.Json]:
    return Call("POST", f"/v1/upi/mandates/{umn}/approve", {"pin": pin})


def _mandate_action(umn: str, action: str) -> Call[t.Json]:
    return Call("POST", f"/v1/upi/mandates/{umn}/{action}")


def decline_mandate(umn: str) -> Call[t.Json]:
    return _mandate_action(umn, "decline")


def pause_mandate(umn: str) -> Call[t.Json]:
    return _mandate_action(umn, "pause")


def resume_mandate(umn: str) -> Call[t.Json]:
    return _mandate_action(umn, "resume")


def revoke_mandate(umn: str) -> Call[t.Json]:
    return _mandate_action(umn, "revoke")


def notify_mandate(umn: str, amount: Amount, *, execute_at: str | None = None) -> Call[t.Json]:
    """The pre-debit notice (24 h of world time before the execution)."""
    body = _drop({"amount": _amount(amount), "executeAt": execute_at})
    return Call("POST", f"/v1/upi/mandates/{umn}/notify", body)


def execute_mandate(
    umn: str, notice_id: str, *, pin: str | None = None, txn_id: str | None = None
) -> Call[t.Transaction]:
    body = _drop({"noticeId": notice_id, "pin": pin, "txnId": txn_id})
    return Call("POST", f"/v1/upi/mandates/{umn}/execute", body, kind="upi")


# -- identity (Aadhaar-like) -------------------------------------------------------------------


def identity_certificate() -> Call[t.Json]:
    """``GET /v1/identity/certificate``: the certificate PIDs are encrypted under (cached)."""
    return Call("GET", "/v1/identity/certificate", cache="certificate")


def request_otp(uid: str, txn: str, *, channel: str = "01") -> Call[t.OtpAnswer]:
    """``POST /v1/identity/otp`` (OTP API 2.5): channel 01 SMS, 02 e-mail, 00 both. The OTP lands
    in the world's inbox (``read_otp``). ``ret`` n raises ``AadhaarError``."""
    body = {"uid": uid, "txn": txn, "channel": channel}
    return Call("POST", "/v1/identity/otp", body, kind="aadhaar")


def pid_ts() -> Flow[str]:
    """A PID ``ts``: your world's time in IST, ``YYYY-MM-DDThh:mm:ss``."""
    now = yield from world_now()
    return (now.astimezone(UTC) + IST).strftime("%Y-%m-%dT%H:%M:%S")


def auth(body: Mapping[str, Any]) -> Call[t.AuthAnswer]:
    """``POST /v1/identity/auth`` with a body you built (easy path ``pid``, or ``skey``/``hmac``/
    ``data`` from ``crypto.auth_request``). ``ret`` n raises ``AadhaarError``."""
    return Call("POST", "/v1/identity/auth", dict(body), kind="aadhaar")


def auth_otp(uid: str, txn: str, otp: str, *, name: str | None = None) -> Flow[t.AuthAnswer]:
    """OTP authentication (and the name, when given) on the easy path: the PID as plain JSON,
    its ``ts`` your world's time."""
    pid: dict[str, Any] = {"ts": (yield from pid_ts()), "ver": "2.0", "pv": {"otp": otp}}
    uses = {"otp": "y"}
    if name is not None:
        pid["demo"] = {"pi": {"name": name}}
        uses["pi"] = "y"
    body = {"uid": uid, "rc": "Y", "ver": "2.5", "txn": txn, "uses": uses, "pid": pid}
    answer: t.AuthAnswer = yield auth(body)
    return answer


def auth_encrypted(
    uid: str,
    txn: str,
    pid: Mapping[str, Any] | bytes,
    *,
    uses: Mapping[str, str],
    pid_type: Literal["X", "J"] | None = None,
) -> Flow[t.AuthAnswer]:
    """The real Auth 2.5 request: the PID (a mapping: JSON; bytes: XML) encrypted under the
    sandbox's certificate. A JSON PID without ``ts`` gets your world's time."""
    certificate: t.Json = yield identity_certificate()
    if not isinstance(pid, bytes) and "ts" not in pid:
        pid = {"ts": (yield from pid_ts()), "ver": "2.0", **pid}
    body = auth_request(
        pid, certificate["certificate"], uid=uid, txn=txn, uses=uses, pid_type=pid_type
    )
    answer: t.AuthAnswer = yield auth(body)
    return answer


def ekyc(
    uid: str,
    txn: str,
    otp: str,
    *,
    lr: str = "N",
    de: str = "N",
    pfr: str = "N",
    encrypted: bool = False,
) -> Flow[t.EkycAnswer]:
    """eKYC by OTP (``ra`` O): the PID carries the ``wadh`` of these terms and your world's
    ``ts``; ``encrypted`` sends it the Auth 2.5 way. Once you registered an encryption
    certificate, ``uidData`` is a JWE: ``crypto.open_uid_data`` opens it."""
    pid: dict[str, Any] = {
        "ts": (yield from pid_ts()),
        "ver": "2.0",
        "wadh": wadh_of(ra="O", lr=lr, de=de, pfr=pfr),
        "pv": {"otp": otp},
    }
    uses = {"otp": "y"}
    body: dict[str, Any]
    if encrypted:
        certificate: t.Json = yield identity_certificate()
        body = auth_request(pid, certificate["certificate"], uid=uid, txn=txn, uses=uses)
    else:
        body = {"uid": uid, "rc": "Y", "ver": "2.5", "txn": txn, "uses": uses, "pid": pid}
    body.update({"ra": "O", "lr": lr, "de": de, "pfr": pfr})
    answer: t.EkycAnswer = yield ekyc_raw(body)
    return answer


def ekyc_raw(body: Mapping[str, Any]) -> Call[t.EkycAnswer]:
    """``POST /v1/identity/ekyc`` with a body you built."""
    return Call("POST", "/v1/identity/ekyc", dict(body), kind="aadhaar")


def auth_records(
    *,
    uid_token: str | None = None,
    from_: str | None = None,
    to: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Call[t.Json]:
    params = {"uidToken": uid_token, "from": from_, "to": to, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/identity/auth-records", params=params)


def auth_record(code: str) -> Call[t.Json]:
    return Call("GET", f"/v1/identity/auth-records/{code}")


def generate_vid(uid: str, txn: str, otp: str) -> Call[t.VidAnswer]:
    body = {"uid": uid, "txn": txn, "otp": otp}
    return Call("POST", "/v1/identity/vids", body, kind="aadhaar")


def vid(vid: str) -> Call[t.Json]:
    return Call("GET", f"/v1/identity/vids/{vid}")


def revoke_vid(vid: str, txn: str, otp: str) -> Call[t.VidAnswer]:
    body = {"txn": txn, "otp": otp}
    return Call("POST", f"/v1/identity/vids/{vid}/revoke", body, kind="aadhaar")


def offline_ekyc(uid: str, txn: str, otp: str, share_code: str) -> Call[bytes]:
    """``POST /v1/identity/offline-ekyc``: the zip (AES-256, password ``share_code``)."""
    body = {"uid": uid, "txn": txn, "otp": otp, "shareCode": share_code}
    return Call("POST", "/v1/identity/offline-ekyc", body, read=_bytes)


def verify_offline_ekyc(
    file: bytes, share_code: str, *, mobile: str | None = None, email: str | None = None
) -> Call[t.Json]:
    import base64

    body = _drop(
        {
            "file": base64.b64encode(file).decode("ascii"),
            "shareCode": share_code,
            "mobile": mobile,
            "email": email,
        }
    )
    return Call("POST", "/v1/identity/offline-ekyc/verify", body)


# -- consent (ReBIT AA 2.0.0 under /aa) --------------------------------------------------------


def _aa(path: str, fields: Mapping[str, Any]) -> Flow[Any]:
    """POST ``/aa{path}`` with the spec's envelope: ver, your world's timestamp, a new txnid."""
    now = yield from world_now()
    body = {"ver": AA_VERSION, "timestamp": stamp(now), "txnid": str(uuid.uuid4()), **fields}
    return (yield Call("POST", f"/aa{path}", body, aa=True))


def consent_detail(
    customer_id: str,
    now: datetime,
    *,
    fiu_id: str = "my-fiu",
    purpose_code: str = "102",
    months_back: int = 12,
    **overrides: Any,
) -> dict[str, Any]:
    """A ``ConsentDetail`` within purpose 102's fair use (PERIODIC, STORE, DEPOSIT; PROFILE,
    SUMMARY and TRANSACTIONS of the last ``months_back`` months up to ``now``; 180 days long);
    ``overrides`` replace members (``fiTypes=[...]``, ``Frequency={...}``)."""
    detail: dict[str, Any] = {
        "consentStart": stamp(now),
        "consentExpiry": stamp(now + timedelta(days=180)),
        "consentMode": "STORE",
        "fetchType": "PERIODIC",
        "consentTypes": ["PROFILE", "SUMMARY", "TRANSACTIONS"],
        "fiTypes": ["DEPOSIT"],
        "DataConsumer": {"id": fiu_id, "type": "FIU"},
        "Customer": {"id": customer_id},
        "Purpose": {
            "code": purpose_code,
            "refUri": f"https://api.rebit.org.in/aa/purpose/{purpose_code}.xml",
        },
        "FIDataRange": {"from": stamp(now - timedelta(days=30 * months_back)), "to": stamp(now)},
        "DataLife": {"unit": "MONTH", "value": 1},
        "Frequency": {"unit": "MONTH", "value": 30},
    }
    detail.update(overrides)
    return detail


def request_consent(
    customer_id: str | None = None,
    *,
    detail: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> Flow[t.ConsentRequested]:
    """``POST /aa/Consent`` (ConsentsRequest): ``detail`` as you built it, or
    ``consent_detail(customer_id, <world time>, **overrides)``. Answers the ``ConsentHandle``."""
    if detail is None:
        if customer_id is None:
            raise TypeError("pass customer_id (e.g. asha@sandbox-aa) or detail")
        detail = consent_detail(customer_id, (yield from world_now()), **overrides)
    answer: t.ConsentRequested = yield from _aa("/Consent", {"ConsentDetail": dict(detail)})
    return answer


def consent_handle(handle: str) -> Flow[t.ConsentHandleStatus]:
    """``POST /aa/Consent/handle``: PENDING, READY (with the consent id), FAILED."""
    answer: t.ConsentHandleStatus = yield from _aa("/Consent/handle", {"ConsentHandle": handle})
    return answer


def fetch_consent(consent_id: str) -> Flow[t.ConsentArtefact]:
    """``POST /aa/Consent/fetch``: the artefact, ``signedConsent`` a compact JWS."""
    answer: t.ConsentArtefact = yield from _aa("/Consent/fetch", {"consentId": consent_id})
    return answer


def heartbeat() -> Call[t.Json]:
    return Call("GET", "/aa/Heartbeat")


def approve_consent(handle: str, *, accounts: Sequence[str] | None = None) -> Call[t.Consent]:
    """Test-only: the customer approves (``accounts``: her account numbers or linkRefNumbers to
    share; all eligible ones when left out)."""
    body = None if accounts is None else {"accounts": list(accounts)}
    return Call("POST", f"/v1/sandbox/aa/consents/{handle}/approve", body)


def _consent_action(handle: str, action: str) -> Call[t.Consent]:
    return Call("POST", f"/v1/sandbox/aa/consents/{handle}/{action}")


def reject_consent(handle: str) -> Call[t.Consent]:
    return _consent_action(handle, "reject")


def pause_consent(handle: str) -> Call[t.Consent]:
    return _consent_action(handle, "pause")


def resume_consent(handle: str) -> Call[t.Consent]:
    return _consent_action(handle, "resume")


def revoke_consent(handle: str) -> Call[t.Consent]:
    return _consent_action(handle, "revoke")


def consents(
    *, status: str | None = None, limit: int | None = None, cursor: str | None = None
) -> Call[t.ConsentList]:
    params = {"status": status, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/consents", params=params)


def consent(handle: str) -> Call[t.Consent]:
    return Call("GET", f"/v1/consents/{handle}")


def consent_log(handle: str) -> Call[t.Json]:
    return Call("GET", f"/v1/consents/{handle}/log")


# -- FI data (ReBIT AA 2.0.0: FIRequest, FIFetchRequest) ---------------------------------------


def fi_request(
    consent_id: str,
    *,
    data_from: str | None = None,
    data_to: str | None = None,
    key: EphemeralKey | None = None,
    signed_consent: str | None = None,
) -> Flow[t.FISession]:
    """``POST /aa/FI/request`` (``definitions/FIRequest``): the consent's id and
    ``digitalSignature`` (the signature part of its ``signedConsent``; fetched when not given),
    the ``FIDataRange`` (default: the consent's own), and ``KeyMaterial`` of ``key`` (default: a
    fresh X25519 key valid a day of world time). Answers the session and the key to keep."""
    if signed_consent is None or data_from is None or data_to is None:
        artefact: t.ConsentArtefact = yield from fetch_consent(consent_id)
        signed_consent = signed_consent or artefact["signedConsent"]
        if data_from is None or data_to is None:
            detail = _jws_payload(artefact["signedConsent"])
            data_range = detail.get("ConsentDetail", detail).get("FIDataRange", {})
            data_from = data_from or data_range["from"]
            data_to = data_to or data_range["to"]
    if key is None:
        now = yield from world_now()
        key = new_fi_key(int(now.timestamp() * 1_000_000))
    fields = {
        "FIDataRange": {"from": data_from, "to": data_to},
        "Consent": {"id": consent_id, "digitalSignature": signed_consent.rsplit(".", 1)[-1]},
        "KeyMaterial": key.key_material(),
    }
    answer: t.FIRequested = yield from _aa("/FI/request", fields)
    return t.FISession(answer=answer, key=key)


def fi_fetch(
    session_id: str,
    *,
    fip_id: str | None = None,
    link_ref_numbers: Sequence[str] | None = None,
) -> Flow[t.FIFetched]:
    """``POST /aa/FI/fetch`` (``definitions/FIFetchRequest``): the session's data, encrypted
    (``crypto.decrypt_fi`` with the session's key opens it)."""
    fields = _drop(
        {
            "sessionId": session_id,
            "fipId": fip_id,
            "linkRefNumber": None
            if link_ref_numbers is None
            else [{"id": ref} for ref in link_ref_numbers],
        }
    )
    answer: t.FIFetched = yield from _aa("/FI/fetch", fields)
    return answer


def fi_sessions(
    *, status: str | None = None, limit: int | None = None, cursor: str | None = None
) -> Call[t.Json]:
    params = {"status": status, "limit": limit, "cursor": cursor}
    return Call("GET", "/v1/fi/sessions", params=params)


def fi_session(session_id: str) -> Call[t.Json]:
    return Call("GET", f"/v1/fi/sessions/{session_id}")


def fi_session_data(session_id: str, *, format: Literal["json", "xml"] = "json") -> Call[t.Json]:
    """The easy path: the session's FI data, decrypted by the sandbox."""
    return Call("GET", f"/v1/fi/sessions/{session_id}/data", params={"format": format})


def _jws_payload(compact: str) -> dict[str, Any]:
    import base64
    import json

    payload = compact.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


__all__ = ["UNSET", "Op", "consent_detail", "parse_time", "stamp"]
