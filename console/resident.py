"""The resident's screens (``/console/resident``), as her AA app and UPI app would show them.

Signing in takes two steps. First the world: a resident lives in one partner's world, so the
browser names it with that partner's API key, or, when it already holds that partner's
dashboard session, with one click (only someone holding the key can open a world's resident
screens; the key itself is never stored, the cookie keeps the world's id). Then the resident:
her mobile number (a persona's) and the OTP the identity service sends to it, read from the
world's inbox (GET /v1/sandbox/inbox, or the partner's ``fixedOtp`` 123456).

An FIU sends the customer to ``/console/resident/consents/{handle}?redirect=<its URL>``: she
signs in (the link is kept as ``next``), sees who asks and for what, chooses accounts, approves
or rejects, and is sent back to ``redirect`` with ``consentHandle`` and ``status`` added, when
that URL is allowed (``console.redirects``). Her UPI app (collects, mandates) is
``console.resident_upi``.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from consent.service import lifecycle
from consent.service import reads as consent_reads
from consent.service import settings as aa_settings
from console import redirects, render, resident_upi, session
from console.common import checked_form, partner_caller, sessions, state_of
from console.residents import HOME, SIGN_IN, Resident, signed_in, to_sign_in, world_by_id
from console.session import ResidentSession
from identity.schemas.otp import OtpIn
from identity.service import otp as identity_otp
from identity.service import records
from identity.service.people import uid_token
from sandbox.errors import NotFound, SandboxError
from sandbox.inbox.models import normalise_address
from sandbox.partners import service as partners
from sandbox.world import service as world_service

router = APIRouter(prefix="/console/resident", include_in_schema=False)
CONSENT_ACTIONS = ("approve", "reject", "pause", "resume", "revoke")
HISTORY_PAGE = 50
CONSENTS_PAGE = 20  # her consents per home page, newest first (then "Older consents")


# -- signing in ----------------------------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    target = redirects.safe_next(next, HOME)
    found = sessions(request).resident(request)
    world = None if found is None else await world_by_id(request, found.world_id)
    if found is None or world is None:
        caller = await partner_caller(request)
        return render.page(
            request,
            "resident_world.html",
            next=target,
            dashboard=caller.partner if caller else None,
            error=None,
        )
    if found.pending_txn is not None:
        return render.page(
            request, "resident_otp.html", next=target, mobile=found.mobile, error=None
        )
    return render.page(
        request, "resident_mobile.html", next=target, world=world.partner, error=None
    )


@router.post("/world")
async def choose_world(request: Request) -> Response:
    fields = await checked_form(request)
    if isinstance(fields, Response):
        return fields
    target = redirects.safe_next(session.field(fields, "next"), HOME)
    state = state_of(request)
    if session.field(fields, "use_dashboard"):
        caller = await partner_caller(request)
        if caller is None:
            return render.see_other(request, f"{SIGN_IN}?next={quote(target, safe='')}")
    else:
        try:
            caller = await partners.authenticate(
                state.db, f"Bearer {session.field(fields, 'api_key')}"
            )
        except SandboxError as exc:
            return render.page(
                request,
                "resident_world.html",
                status_code=401,
                next=target,
                dashboard=None,
                error=exc.detail,
                hint=exc.hint,
            )
    response = render.see_other(request, f"{SIGN_IN}?next={quote(target, safe='')}")
    sessions(request).set_resident(request, response, ResidentSession(world_id=caller.partner.id))
    return response


@router.post("/otp")
async def send_otp(request: Request) -> Response:
    """Find the persona by her mobile and have the identity service send her an OTP."""
    fields = await checked_form(request)
    if isinstance(fields, Response):
        return fields
    target = redirects.safe_next(session.field(fields, "next"), HOME)
    found = sessions(request).resident(request)
    world = None if found is None else await world_by_id(request, found.world_id)
    if found is None or world is None:
        return render.see_other(request, f"{SIGN_IN}?next={quote(target, safe='')}")
    mobile = session.field(fields, "mobile")
    calling_code = world.country.calling_code
    wanted = normalise_address(mobile, calling_code) if mobile else ""
    people = await world_service.personas(state_of(request).db, world.partner)
    persona = next(
        (p for p in people if p.mobile and normalise_address(p.mobile, calling_code) == wanted),
        None,
    )

    def again(error: str, hint: str) -> HTMLResponse:
        return render.page(
            request,
            "resident_mobile.html",
            status_code=422,
            next=target,
            world=world.partner,
            error=error,
            hint=hint,
            mobile=mobile,
        )

    if persona is None:
        return again(
            f"No persona of this world has the mobile number '{mobile[:20]}'.",
            "Use a persona's mobile from GET /v1/sandbox/personas (Asha's is +919876500001).",
        )
    txn = f"console-{secrets.token_hex(8)}"
    sent = await identity_otp.request_otp(
        state_of(request).db,
        world,
        OtpIn(uid=persona.uid, txn=txn, channel="01"),
        idempotency_key=None,
    )
    if sent.ret != "y":
        return again(f"No OTP was sent (error {sent.err}).", sent.hint or "")
    response = render.see_other(request, f"{SIGN_IN}?next={quote(target, safe='')}")
    pending = ResidentSession(
        world_id=world.id, pending_uid=persona.uid, pending_txn=txn, mobile=persona.mobile
    )
    sessions(request).set_resident(request, response, pending)
    return response


@router.post("/verify")
async def verify(request: Request) -> Response:
    fields = await checked_form(request)
    if isinstance(fields, Response):
        return fields
    target = redirects.safe_next(session.field(fields, "next"), HOME)
    found = sessions(request).resident(request)
    world = None if found is None else await world_by_id(request, found.world_id)
    if found is None or world is None or found.pending_uid is None or found.pending_txn is None:
        return render.see_other(request, f"{SIGN_IN}?next={quote(target, safe='')}")
    try:
        await identity_otp.use_otp(
            state_of(request).db,
            world,
            uid=found.pending_uid,
            txn=found.pending_txn,
            otp=session.field(fields, "otp"),
        )
    except SandboxError as exc:
        return render.page(
            request,
            "resident_otp.html",
            status_code=401,
            next=target,
            mobile=found.mobile,
            error=exc.detail,
            hint=exc.hint,
        )
    people = await world_service.personas(state_of(request).db, world.partner)
    persona = next(p for p in people if p.uid == found.pending_uid)
    response = render.see_other(request, target)
    signed_in = ResidentSession(world_id=world.id, uid=persona.uid, persona=persona.key)
    sessions(request).set_resident(request, response, signed_in)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    fields = await checked_form(request)
    if isinstance(fields, Response):
        return fields
    response = render.see_other(request, SIGN_IN)
    session.clear(response, session.RESIDENT_COOKIE)
    return response


# -- her consents, collects and history ------------------------------------------------------------


@router.get("")
async def home(request: Request, cursor: str | None = None) -> Response:
    """What waits for her, then her consents a page at a time (the first page also lists the
    collect requests and mandates waiting for her PIN)."""
    me = await signed_in(request)
    if me is None:
        return to_sign_in(request)
    try:
        mine, nxt = await consent_reads.customer_consents(
            state_of(request).db, me.world, me.persona.uid, limit=CONSENTS_PAGE, cursor=cursor
        )
    except SandboxError as exc:
        return render.error(request, exc, back=HOME)
    first = cursor is None
    return render.page(
        request,
        "resident_home.html",
        me=me.persona,
        pending=[c for c in mine if c.consent["status"] == "PENDING"],
        live=[c for c in mine if c.consent["status"] in ("ACTIVE", "PAUSED")],
        past=[c for c in mine if c.consent["status"] not in ("PENDING", "ACTIVE", "PAUSED")],
        collects=await resident_upi.pending_collects(request, me) if first else [],
        mandates=await resident_upi.pending_mandates(request, me) if first else [],
        cursor=cursor,
        next_cursor=nxt,
    )


async def _redirect_target(request: Request, me: Resident, target: str) -> bool:
    settings = await aa_settings.get_settings(state_of(request).db, me.world)
    registered = (me.world.partner.webhook_url, settings.notification_url)
    return redirects.allowed(target, registered)


def _bad_redirect(request: Request, target: str) -> HTMLResponse:
    return render.refused(
        request,
        400,
        "Redirect not allowed",
        f"The consent link asks to return to '{target[:200]}', which is neither a page of "
        "this sandbox nor on the origin of the partner's registered URLs.",
        "Register your FIU's URL first: the webhook URL (PATCH /v1/partners/me) or the FIU "
        "base URL (PUT /v1/partners/me/aa, notificationUrl); redirect must have the same "
        "scheme, host and port.",
    )


async def _her_consent(
    request: Request, me: Resident, handle: str
) -> consent_reads.CustomerConsent | SandboxError:
    try:
        found = await consent_reads.for_customer(state_of(request).db, me.world, handle[:64])
    except SandboxError as exc:
        return exc
    if found.resident_uid != me.persona.uid:  # another customer's: as if it did not exist
        return NotFound(
            f"No consent with handle '{handle[:64]}' is waiting for you.",
            hint="Open the consent link the FIU gave you while signed in as its customer.",
        )
    return found


@router.get("/consents/{handle}")
async def consent_page(
    request: Request,
    handle: str,
    redirect: str | None = None,
    done: str | None = None,
) -> Response:
    me = await signed_in(request)
    if me is None:
        return to_sign_in(request)
    if redirect and not await _redirect_target(request, me, redirect):
        return _bad_redirect(request, redirect)
    found = await _her_consent(request, me, handle)
    if isinstance(found, SandboxError):
        return render.error(request, found, back=HOME)
    return render.page(
        request,
        "resident_consent.html",
        me=me.persona,
        c=found,
        redirect=redirect,
        done=done if done in CONSENT_ACTIONS else None,
        # the form's POST ends in a redirect to the FIU: the policy must allow that origin
        form_origin=redirects.origin_text(redirect) if redirect else None,
    )


@router.post("/consents/{handle}")
async def consent_action(request: Request, handle: str) -> Response:
    checked = await checked_form(request, signed_in, to_sign_in)
    if isinstance(checked, Response):
        return checked
    me, fields = checked
    action = session.field(fields, "action")
    target = session.field(fields, "redirect")
    if action not in CONSENT_ACTIONS:
        return render.refused(
            request, 422, "Unknown action", f"'{action[:20]}' is no consent action.", ""
        )
    if target and not await _redirect_target(request, me, target):
        return _bad_redirect(request, target)
    found = await _her_consent(request, me, handle)
    if isinstance(found, SandboxError):
        return render.error(request, found, back=HOME)
    state = state_of(request)
    here = f"/console/resident/consents/{quote(found.consent['consentHandle'], safe='')}"
    try:
        if action == "approve":
            chosen = fields.get("account", [])
            if not chosen:
                return render.refused(
                    request,
                    422,
                    "Choose an account",
                    "Approving shares the accounts you tick, and none was ticked.",
                    "Tick at least one account, or reject the request.",
                )
            changed = await lifecycle.approve(state.db, me.world, state.keys, handle, chosen)
        else:
            changed = await lifecycle.change(state.db, me.world, handle, action)
    except SandboxError as exc:
        return render.error(request, exc, back=here)
    if target and action in ("approve", "reject"):
        back = redirects.with_params(
            target, consentHandle=changed["consentHandle"], status=changed["status"]
        )
        return render.see_other(request, back)
    return render.see_other(request, f"{here}?done={action}")


@router.get("/history")
async def history(request: Request, cursor: str | None = None) -> Response:
    """The authentications of her ID number, by every AUA of this world (the partner's)."""
    me = await signed_in(request)
    if me is None:
        return to_sign_in(request)
    try:
        found = await records.list_records(
            state_of(request).db,
            me.world,
            limit=HISTORY_PAGE,
            cursor=cursor,
            uid_token=uid_token(me.world, me.persona.uid),
            since_us=None,
            until_us=None,
        )
    except SandboxError as exc:
        return render.error(request, exc, back="/console/resident/history")
    return render.page(
        request,
        "resident_history.html",
        me=me.persona,
        records=found.records,
        cursor=cursor,
        next_cursor=found.next_cursor,
    )
