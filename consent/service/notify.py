"""How consent changes reach the FIU: the spec's ``/Consent/Notification`` and the platform's
``consent.*`` webhooks, both written to the outbox in the change's unit of work.

- ``aa.consent.notification``: the body of ``ConsentStatusNotification`` (FIU_2_0_0.yaml,
  POST /Consent/Notification), delivered to ``<notificationUrl>/Consent/Notification`` when the
  partner set its FIU base URL (PUT /v1/partners/me/aa), else to its webhook URL; signed by
  ``JwsNotificationSigner`` (the domain's signer for the ``aa.`` prefix): the body as compact
  JSON, a detached JWS (RS256, b64 false) over exactly those bytes in ``x-jws-signature``,
  verifiable with /.well-known/jwks.json.
- ``consent.requested|approved|rejected|paused|resumed|revoked|expired``: the platform's
  HMAC-signed webhooks to the webhook URL, with the consent as GET /v1/consents shows it.
- ``aa.fi.notification``: the body of ``FIStatusNotification`` (FIU_2_0_0.yaml, POST
  /FI/Notification) to ``<notificationUrl>/FI/Notification`` (else the webhook URL), signed
  like the consent notification; ``fi.ready|completed|expired``: the platform's webhooks with the
  session as GET /v1/fi/sessions/{id} shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from consent.models import (
    AA_ID,
    VERSION,
    ConsentAccount,
    SessionAccount,
    fi_status_response,
)
from consent.store import settings_of
from sandbox.keys import jws
from sandbox.keys.canonical import compact_json
from sandbox.keys.ring import KeyRing
from sandbox.kit.clock import iso
from sandbox.webhooks.service import emit
from sandbox.webhooks.store import DueDelivery
from sandbox.world.context import WorldContext

NOTIFICATION_EVENT = "aa.consent.notification"
NOTIFICATION_PATH = "/Consent/Notification"
FI_NOTIFICATION_EVENT = "aa.fi.notification"
FI_NOTIFICATION_PATH = "/FI/Notification"


def payload(row: Any) -> dict[str, Any]:
    """The consent as /v1 shows it (camelCase)."""
    accounts = None
    if row.accounts is not None:
        accounts = [
            {
                "fiType": a.fi_type,
                "fipId": a.fip_id,
                "accType": a.acc_type,
                "linkRefNumber": a.link_ref_number,
                "maskedAccNumber": a.masked_acc_number,
            }
            for a in (ConsentAccount.of(x) for x in row.accounts)
        ]
    return {
        "consentHandle": row.handle,
        "consentId": row.consent_id,
        "status": row.status,
        "customerId": row.customer_id,
        "purposeCode": row.purpose_code,
        "fetchType": row.fetch_type,
        "consentStart": iso(row.start_us),
        "consentExpiry": iso(row.expiry_us),
        "createdAt": iso(row.created_us),
        "updatedAt": iso(row.updated_us),
        "accounts": accounts,
        "useCount": row.use_count,
    }


def platform_event(conn: Connection, world: WorldContext, row: Any, action: str) -> None:
    emit(conn, world, f"consent.{action}", payload(row))


def notification_url(
    conn: Connection, world: WorldContext, path: str = NOTIFICATION_PATH
) -> str | None:
    """Where the spec's notifications go now (None: nowhere, they are only recorded)."""
    saved = settings_of(conn, world.partner.id)
    if saved is not None and saved.notification_url:
        return str(saved.notification_url).rstrip("/") + path
    return world.partner.webhook_url


def spec_notification(conn: Connection, world: WorldContext, row: Any, status: str) -> None:
    """POST /Consent/Notification to the FIU: the consent's new status."""
    inner: dict[str, Any] = {"consentHandle": row.handle, "consentStatus": status}
    if row.consent_id:
        inner = {"consentId": row.consent_id, **inner}
    body = {
        "ver": VERSION,
        "timestamp": iso(world.now_us),
        "txnid": row.txnid,  # the spec: the request's txnid, for the FIU to correlate
        "Notifier": {"type": "AA", "id": AA_ID},
        "ConsentStatusNotification": inner,
    }
    emit(conn, world, NOTIFICATION_EVENT, body, url=notification_url(conn, world))


def session_payload(row: Any) -> dict[str, Any]:
    """An FI session as /v1 shows it (camelCase)."""
    return {
        "sessionId": row.session_id,
        "consentId": row.consent_id,
        "consentHandle": row.handle,
        "status": row.status,
        "dataFrom": iso(row.from_us),
        "dataTo": iso(row.to_us),
        "accounts": [
            {
                "fipId": a.fip_id,
                "linkRefNumber": a.link_ref_number,
                "maskedAccNumber": a.masked_acc_number,
                "fiType": a.fi_type,
                "fiStatus": a.fi_status,
            }
            for a in (SessionAccount.of(x) for x in row.accounts)
        ],
        "fetchCount": row.fetch_count,
        "createdAt": iso(row.created_us),
        "updatedAt": iso(row.updated_us),
        "expiresAt": iso(row.expires_us),
    }


def fi_notification(conn: Connection, world: WorldContext, row: Any, event: str) -> None:
    """POST /FI/Notification to the FIU (the session's status and each account's FIStatus),
    and the platform's ``fi.<event>`` webhook."""
    accounts = tuple(SessionAccount.of(a) for a in row.accounts)
    body = {
        "ver": VERSION,
        "timestamp": iso(world.now_us),
        "txnid": row.txnid,  # the FI request's, for the FIU to correlate
        "Notifier": {"type": "AA", "id": AA_ID},
        "FIStatusNotification": {
            "sessionId": row.session_id,
            "sessionStatus": row.status,
            "FIStatusResponse": fi_status_response(accounts),
        },
    }
    url = notification_url(conn, world, FI_NOTIFICATION_PATH)
    emit(conn, world, FI_NOTIFICATION_EVENT, body, url=url)
    emit(conn, world, f"fi.{event}", session_payload(row))


class JwsNotificationSigner:
    """The ``aa.`` events on the wire: the spec's body (the event's ``data``) as compact JSON,
    with a detached JWS over exactly those bytes."""

    __slots__ = ("_keys",)

    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys

    def body(self, event: Mapping[str, Any]) -> bytes:
        return compact_json(event["data"])

    def headers(self, delivery: DueDelivery, body: bytes) -> Mapping[str, str]:
        return {jws.HEADER: self._keys.sign_detached(body)}
