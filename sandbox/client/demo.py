"""``sandbox demo``: the whole story against a running sandbox, each step printed.

Sign up, eKYC Asha (OTP from her inbox), Ravi pays her, Meera's shop collects from her (she
approves with her PIN), the FIU asks for her consent, she approves it (the sandbox's test-only
API plays her AA app), the FIU requests and fetches her FI data, decrypts her statement and
finds both payments in it.

The story is a flow of the client's calls (``calls``), so the CLI runs it with ``Sandbox`` and
the tests with ``AsyncSandbox`` on the in-process app. ``Echo`` prints a step.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.client import calls
from sandbox.client import types as t
from sandbox.client._core import Flow
from sandbox.client.crypto import decrypt_fi
from sandbox.client.errors import ApiError

Echo = Callable[[str, str], None]
"""``echo(step, detail)``: one line of the story."""

_TRANSACTION = re.compile(r"<(?:\w+:)?Transaction\b[^>]*>")


class FiUnavailable(Exception):
    """The server has no ``POST /aa/FI/request`` (404): the data half of the story cannot run."""


@dataclass
class DemoResult:
    partner_id: str = ""
    payment: t.Transaction | None = None
    collect: t.Transaction | None = None
    consent_id: str | None = None
    session_id: str | None = None
    statements: list[t.DecryptedFI] = field(default_factory=list)
    found: dict[str, str] = field(default_factory=dict)  # txnId -> the statement's line


def _persona(people: t.PersonaList, key: str) -> t.Persona:
    return next(p for p in people["personas"] if p["key"] == key)


def story(echo: Echo, *, name: str = "Demo team") -> Flow[DemoResult]:
    result = DemoResult()
    run = uuid.uuid4().hex[:8]

    created = yield from calls.signup(name, "demo@example.com")
    result.partner_id = created["partnerId"]
    echo(
        "Sign up",
        f"partner {created['partnerId']}, a world of its own ({created.get('country')}, "
        f"{created.get('currency')}); API key {created['apiKey'][:16]}...",
    )

    people = yield from calls.personas()
    asha, ravi, meera = (_persona(people, k) for k in ("asha", "ravi", "meera"))
    echo(
        "Meet the personas",
        f"{asha['name']} ({asha['vpa']}), {ravi['name']} ({ravi['vpa']}), "
        f"{meera['name']} ({meera['vpa']})",
    )

    txn = f"demo-kyc-{run}"
    sent = yield from calls.request_otp(asha["uid"], txn)
    otp = yield from calls.read_otp(to=asha["mobile"])
    echo("OTP for Asha", f"sent to {sent.get('maskedMobile')}, read from her inbox: {otp}")
    kyc = yield from calls.ekyc(asha["uid"], txn, otp)
    uid_data = kyc.get("uidData")
    poi = uid_data.get("poi", {}) if isinstance(uid_data, dict) else {}
    poa = uid_data.get("poa", {}) if isinstance(uid_data, dict) else {}
    where = ", ".join(str(poa[k]) for k in ("dist", "state") if poa.get(k))
    echo("eKYC", f"ret {kyc['ret']}: {poi.get('name')}, born {poi.get('dob')}, {where}")

    paid = yield from calls.pay(
        ravi["vpa"] or "",
        ravi["upiPin"] or "",
        asha["vpa"] or "",
        "250.00",
        note="Demo: rent share",
    )
    result.payment = paid
    echo(
        "Ravi pays Asha 250.00",
        f"{paid['status']} {paid['responseCode']}, txnId {paid['txnId']}, RRN {paid['rrn']}",
    )

    asked = yield from calls.collect(
        meera["vpa"] or "", asha["vpa"] or "", "120.50", note="Demo: groceries"
    )
    echo("Meera's shop collects 120.50 from Asha", f"{asked['status']}, txnId {asked['txnId']}")
    approved = yield from calls.approve_collect(asked["txnId"], asha["upiPin"] or "")
    result.collect = approved
    echo("Asha approves with her UPI PIN", f"{approved['status']} {approved['responseCode']}")

    requested = yield from calls.request_consent(asha["aaHandle"] or "asha@sandbox-aa")
    handle = requested["ConsentHandle"]
    echo("The FIU asks for Asha's consent", f"purpose 102, DEPOSIT, handle {handle}")
    yield from calls.approve_consent(handle)
    status = yield from calls.consent_handle(handle)
    consent_id = str(status["ConsentStatus"]["id"])
    result.consent_id = consent_id
    echo("Asha approves it", f"handle {status['ConsentStatus']['status']}, consent {consent_id}")

    try:
        session = yield from calls.fi_request(consent_id)
    except ApiError as exc:
        if exc.status == 404:
            raise FiUnavailable(
                "POST /aa/FI/request is not available on this server (404): it has the consent "
                "API but not yet the FI data flow"
            ) from None
        raise
    result.session_id = session.session_id
    echo("FI request", f"session {session.session_id}, our X25519 key sent as KeyMaterial")

    fetched = yield from calls.fi_fetch(session.session_id)
    documents = decrypt_fi(fetched, session.key)
    result.statements = documents
    for doc in documents:
        echo(
            "Fetch and decrypt",
            f"{doc.fip_id} account {doc.masked_acc_number}: {len(doc.document)} characters of "
            "FI XML (ECDH X25519, HKDF-SHA256, AES-256-GCM)",
        )
    for txn_id in (paid["txnId"], approved["txnId"]):
        for doc in documents:
            line = next((m for m in _TRANSACTION.findall(doc.document) if txn_id in m), None)
            if line:
                result.found[txn_id] = line
                echo("In her statement", line)
                break
        else:
            echo("In her statement", f"txnId {txn_id} NOT FOUND")
    return result


def run_sync(sb: Any, echo: Echo) -> DemoResult:
    """The story with a ``Sandbox``."""
    result: DemoResult = sb.run(story(echo))
    return result
