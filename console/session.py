"""Who is signed in to the console, and the CSRF token of its forms.

Two signed cookies (``itsdangerous``: HMAC with the sandbox's secret key, a timestamp checked
against ``MAX_AGE``), each ``HttpOnly``, ``SameSite=Lax``, ``Path=/console``, ``Secure`` over
HTTPS, holding ids only, never a secret:

- ``sbx_partner``: the partner and the id of the API key it signed in with; every request checks
  that the key is still active, so rotating the key ends the session;
- ``sbx_resident``: the world (a partner's) and, once the OTP passed, the resident's UID and
  persona key; while the OTP is pending, the txn it was sent under.

CSRF: the double-submit pattern. ``sbx_csrf`` holds a random token (set on any console page
that has a form); every POST form carries it in the hidden ``csrf`` field and a POST whose field
does not match the cookie is refused with 403. ``SameSite=Lax`` already keeps the session
cookies off cross-site POSTs; the token also covers the sign-in forms, which have no session.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

PARTNER_COOKIE = "sbx_partner"
RESIDENT_COOKIE = "sbx_resident"
CSRF_COOKIE = "sbx_csrf"
CSRF_FIELD = "csrf"
COOKIE_PATH = "/console"
MAX_AGE = 8 * 3600  # seconds: a working day
MAX_FORM_BYTES = 16 * 1024
Fields = dict[str, list[str]]  # a POSTed form: each field's values


class CsrfRefused(Exception):
    """A POST without the form's CSRF token (or with another one)."""


@dataclass(frozen=True, slots=True)
class PartnerSession:
    partner_id: str
    key_id: str


@dataclass(frozen=True, slots=True)
class ResidentSession:
    world_id: str
    uid: str | None = None  # set once the OTP passed
    persona: str | None = None
    pending_uid: str | None = None  # while the OTP is waiting
    pending_txn: str | None = None
    mobile: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.uid is not None


class Sessions:
    """Reads and writes the console's cookies, signed with ``secret_key``."""

    def __init__(self, secret_key: str) -> None:
        self._partner = URLSafeTimedSerializer(secret_key, salt="console.partner")
        self._resident = URLSafeTimedSerializer(secret_key, salt="console.resident")

    def partner(self, request: Request) -> PartnerSession | None:
        data = self._load(self._partner, request.cookies.get(PARTNER_COOKIE))
        if data is None:
            return None
        try:
            return PartnerSession(partner_id=str(data["p"]), key_id=str(data["k"]))
        except KeyError:
            return None

    def set_partner(self, request: Request, response: Response, session: PartnerSession) -> None:
        value = self._partner.dumps({"p": session.partner_id, "k": session.key_id})
        _set(request, response, PARTNER_COOKIE, value)

    def resident(self, request: Request) -> ResidentSession | None:
        data = self._load(self._resident, request.cookies.get(RESIDENT_COOKIE))
        if data is None or not isinstance(data.get("w"), str):
            return None
        return ResidentSession(
            world_id=data["w"],
            uid=data.get("u"),
            persona=data.get("n"),
            pending_uid=data.get("pu"),
            pending_txn=data.get("pt"),
            mobile=data.get("m"),
        )

    def set_resident(self, request: Request, response: Response, s: ResidentSession) -> None:
        data = {
            "w": s.world_id,
            "u": s.uid,
            "n": s.persona,
            "pu": s.pending_uid,
            "pt": s.pending_txn,
            "m": s.mobile,
        }
        value = self._resident.dumps({k: v for k, v in data.items() if v is not None})
        _set(request, response, RESIDENT_COOKIE, value)

    @staticmethod
    def _load(serializer: URLSafeTimedSerializer, value: str | None) -> dict[str, Any] | None:
        if not value:
            return None
        try:
            data = serializer.loads(value, max_age=MAX_AGE)
        except BadSignature:  # also SignatureExpired
            return None
        return data if isinstance(data, dict) else None


def clear(response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="lax")


def _set(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=MAX_AGE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def csrf_token(request: Request) -> str:
    """The browser's CSRF token, or a fresh one (``remember_csrf`` sets it on the answer)."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and 20 <= len(token) <= 64:
        return token
    token = getattr(request.state, "console_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(24)
        request.state.console_csrf = token
    return str(token)


def remember_csrf(request: Request, response: Response) -> None:
    if request.cookies.get(CSRF_COOKIE) != csrf_token(request):
        _set(request, response, CSRF_COOKIE, csrf_token(request))


async def form(request: Request) -> Fields:
    """The POSTed ``application/x-www-form-urlencoded`` body (each field's values), after the
    CSRF check: a missing or different token raises ``CsrfRefused``."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise CsrfRefused("the form is too large")
    fields: Fields = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(name, []).append(value)
    sent = (fields.get(CSRF_FIELD) or [""])[0]
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise CsrfRefused("the form's CSRF token does not match this browser's")
    return fields


def field(fields: Fields, name: str, default: str = "") -> str:
    values = fields.get(name)
    return values[0].strip() if values else default
