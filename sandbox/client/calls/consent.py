"""Consent (ReBIT AA 2.0.0 under ``/aa``, the test-only customer actions, your consents) and
FI data (FIRequest, FIFetchRequest, and the easy path's decrypted data)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from consent.crypto import EphemeralKey
from sandbox.client import types as t
from sandbox.client._core import Call, Flow
from sandbox.client.calls._wire import AA_VERSION, drop, stamp
from sandbox.client.calls.platform import world_now
from sandbox.client.crypto import new_fi_key


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
    fields = drop(
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
    payload = compact.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded
