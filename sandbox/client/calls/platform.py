"""The platform's calls: partners (sign up, your settings and keys) and the sandbox world
(personas, clock, inbox, magic values, ledger check, webhook deliveries, JWKS)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sandbox.client import types as t
from sandbox.client._core import Call, Flow
from sandbox.client.calls._wire import UNSET, drop, parse_time, set_only

_OTP = re.compile(r"\b(\d{6})\b")


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
    body = drop(
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
    body = set_only({"name": name, "webhookUrl": webhook_url, "fixedOtp": fixed_otp})
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
    body = set_only({"signingKey": signing_key, "notificationUrl": notification_url})
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
