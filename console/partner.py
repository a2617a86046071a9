"""The partner's dashboard (``/console/partner``), signed in with the API key: payments with
their response codes, consents and their logs, webhook deliveries (with replay), identity
authentication records, the personas and magic values, the world clock and reset.

Every page reads the signed-in partner's world only: the services it calls take that world.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consent.service import log as consent_log
from consent.service import reads as consent_reads
from console import render, session
from console.common import checked_form, partner_caller, sessions, state_of, world_of
from identity.service import records
from payments.service import status as payment_status
from sandbox.errors import SandboxError
from sandbox.kit.clock import iso
from sandbox.partners import service as partners
from sandbox.partners.models import Caller
from sandbox.webhooks import service as webhooks
from sandbox.world import service as world_service

router = APIRouter(prefix="/console/partner", include_in_schema=False)
PAGE = 50
ADVANCE_UNITS = {"minutes": 60, "hours": 3600, "days": 86_400}


def _signed_out(request: Request) -> RedirectResponse:
    response = render.see_other(request, "/console/partner/sign-in")
    session.clear(response, session.PARTNER_COOKIE)
    return response


def _page(request: Request, caller: Caller, template: str, **context: Any) -> HTMLResponse:
    world = world_of(request, caller)
    return render.page(
        request,
        template,
        partner=caller.partner,
        world_now=iso(world.now_us),
        section=template.removeprefix("partner_").removesuffix(".html"),
        **context,
    )


@router.get("/sign-in")
async def sign_in_page(request: Request) -> HTMLResponse:
    return render.page(request, "partner_sign_in.html", error=None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    fields = await checked_form(request)
    if isinstance(fields, Response):
        return fields
    key = session.field(fields, "api_key")
    state = state_of(request)
    try:
        caller = await partners.authenticate(state.db, f"Bearer {key}")
    except SandboxError as exc:
        return render.page(
            request, "partner_sign_in.html", status_code=401, error=exc.detail, hint=exc.hint
        )
    response = render.see_other(request, "/console/partner")
    sessions(request).set_partner(
        request, response, session.PartnerSession(caller.partner.id, caller.key_id)
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    fields = await checked_form(request)
    return fields if isinstance(fields, Response) else _signed_out(request)


@router.get("")
async def home(request: Request) -> Response:
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    return render.see_other(request, "/console/partner/payments")


@router.get("/payments")
async def payments(request: Request, cursor: str | None = None) -> Response:
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    world = world_of(request, caller)
    try:
        rows, nxt = await payment_status.list_txns(
            state_of(request).db,
            world,
            limit=PAGE,
            cursor=cursor,
            vpa=None,
            status=None,
            type_=None,
        )
    except SandboxError as exc:
        return render.error(request, exc, back="/console/partner/payments")
    return _page(
        request, caller, "partner_payments.html", payments=rows, cursor=cursor, next_cursor=nxt
    )


@router.get("/codes")
async def codes(request: Request) -> Response:
    """Every code each domain implements and the magic values that force them."""
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    tables = [(d.name, d.magic) for d in state_of(request).domains if d.magic is not None]
    return _page(request, caller, "partner_codes.html", tables=tables)


@router.get("/consents")
async def consents(request: Request, cursor: str | None = None) -> Response:
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    try:
        rows, nxt = await consent_reads.list_consents(
            state_of(request).db, world_of(request, caller), limit=PAGE, cursor=cursor, status=None
        )
    except SandboxError as exc:
        return render.error(request, exc, back="/console/partner/consents")
    return _page(
        request, caller, "partner_consents.html", consents=rows, cursor=cursor, next_cursor=nxt
    )


@router.get("/consents/{handle}")
async def consent(request: Request, handle: str, cursor: str | None = None) -> Response:
    """A consent and its log a page at a time, oldest first; the hash chain is checked whole."""
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    try:
        row, entries, check, nxt = await consent_log.read_log_page(
            state_of(request).db, world_of(request, caller), handle[:64], limit=PAGE, cursor=cursor
        )
    except SandboxError as exc:
        return render.error(request, exc, back="/console/partner/consents")
    return _page(
        request,
        caller,
        "partner_consent.html",
        consent=row,
        entries=entries,
        check=check,
        cursor=cursor,
        next_cursor=nxt,
    )


@router.get("/webhooks")
async def deliveries(
    request: Request, replayed: str | None = None, cursor: str | None = None
) -> Response:
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    try:
        found = await webhooks.list_deliveries(
            state_of(request).db, caller.partner, limit=PAGE, cursor=cursor, status=None
        )
    except SandboxError as exc:
        return render.error(request, exc, back="/console/partner/webhooks")
    return _page(
        request,
        caller,
        "partner_webhooks.html",
        deliveries=found.rows,
        replayed=replayed,
        cursor=cursor,
        next_cursor=found.next_cursor,
    )


@router.post("/webhooks/{delivery_id}/replay")
async def replay(request: Request, delivery_id: str) -> Response:
    checked = await checked_form(request, partner_caller, _signed_out)
    if isinstance(checked, Response):
        return checked
    caller, _ = checked
    try:
        row, _ = await webhooks.replay(
            state_of(request).db, world_of(request, caller), delivery_id[:40]
        )
    except SandboxError as exc:
        return render.error(request, exc, back="/console/partner/webhooks")
    return render.see_other(request, f"/console/partner/webhooks?replayed={row.id}")


@router.get("/identity")
async def identity(request: Request, cursor: str | None = None) -> Response:
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    try:
        found = await records.list_records(
            state_of(request).db,
            world_of(request, caller),
            limit=PAGE,
            cursor=cursor,
            uid_token=None,
            since_us=None,
            until_us=None,
        )
    except SandboxError as exc:
        return render.error(request, exc, back="/console/partner/identity")
    return _page(
        request,
        caller,
        "partner_identity.html",
        records=found.records,
        cursor=cursor,
        next_cursor=found.next_cursor,
    )


@router.get("/personas")
async def personas(request: Request) -> Response:
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    people = await world_service.personas(state_of(request).db, caller.partner)
    magic = [(d.name, d.magic.rows) for d in state_of(request).domains if d.magic is not None]
    return _page(request, caller, "partner_personas.html", personas=people, magic=magic)


@router.get("/clock")
async def clock(request: Request, done: str | None = None) -> Response:
    caller = await partner_caller(request)
    if caller is None:
        return _signed_out(request)
    view = world_service.clock(world_of(request, caller))
    return _page(
        request,
        caller,
        "partner_clock.html",
        clock=view,
        done=done if done in ("advanced", "reset") else None,
        units=list(ADVANCE_UNITS),
    )


@router.post("/clock/advance")
async def advance(request: Request) -> Response:
    checked = await checked_form(request, partner_caller, _signed_out)
    if isinstance(checked, Response):
        return checked
    caller, fields = checked
    amount = session.field(fields, "amount")
    unit = session.field(fields, "unit", "minutes")
    if not amount.isdigit() or unit not in ADVANCE_UNITS:
        return render.refused(
            request,
            422,
            "Cannot advance the clock",
            f"'{amount[:20]}' {unit[:20]} is not a whole number of minutes, hours or days.",
            "Type a whole number, e.g. 10, and pick minutes, hours or days.",
        )
    state = state_of(request)
    try:
        await world_service.advance_clock(
            state.db,
            world_of(request, caller),
            int(amount) * ADVANCE_UNITS[unit],
            callers=state.callers,
        )
    except SandboxError as exc:
        return render.error(request, exc, back="/console/partner/clock")
    return render.see_other(request, "/console/partner/clock?done=advanced")


@router.post("/reset")
async def reset(request: Request) -> Response:
    checked = await checked_form(request, partner_caller, _signed_out)
    if isinstance(checked, Response):
        return checked
    caller, _ = checked
    state = state_of(request)
    await world_service.reset(
        state.db, state.settings, world_of(request, caller), callers=state.callers
    )
    return render.see_other(request, "/console/partner/clock?done=reset")
