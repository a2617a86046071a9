"""The resident's UPI app (``/console/resident``): the collect requests and the AutoPay
mandates waiting for her, each approved on a PIN pad or declined.

Both call the payments service exactly as the HTTP routes do (``collect.approve`` /
``decline``, ``mandate.approve`` / ``change(..., "decline")``), so the rules and the errors are
the API's: a PIN that is not 4 or 6 digits is refused as the route's schema refuses it (422,
field ``pin``, rule ``pin_format``) before the service sees it; a wrong PIN answers with its
code (ZM, Z6 on the third in a world day, AM when none is set); a mandate that is no longer
PENDING_APPROVAL is a 409 naming its state. A request of another resident (another payer) is a
404, as if it did not exist.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from console import render, session
from console.common import checked_form, state_of
from console.residents import Resident, signed_in, to_sign_in
from payments.models import MandateStatus
from payments.service import collect, mandate
from payments.service import status as payment_status
from sandbox.errors import InvalidRequest, SandboxError
from sandbox.kit.wire import PIN

router = APIRouter(prefix="/console/resident", include_in_schema=False)
WAITING = 50  # per VPA: what a home screen lists (the oldest wait for the next visit)


async def pending_collects(request: Request, me: Resident) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for vpa in sorted(me.vpas):
        rows, _ = await payment_status.list_txns(
            state_of(request).db,
            me.world,
            limit=WAITING,
            cursor=None,
            vpa=vpa,
            status="PENDING",
            type_="COLLECT",
        )
        found.update({r["txnId"]: r for r in rows if r["payer"]["vpa"] in me.vpas})
    return sorted(found.values(), key=lambda r: r["createdAt"], reverse=True)


async def pending_mandates(request: Request, me: Resident) -> list[dict[str, Any]]:
    """The mandates merchants asked her for, waiting for her approval."""
    found: dict[str, dict[str, Any]] = {}
    for vpa in sorted(me.vpas):
        rows, _ = await mandate.list_mandates(
            state_of(request).db,
            me.world,
            limit=WAITING,
            cursor=None,
            vpa=vpa,
            status=MandateStatus.PENDING_APPROVAL,
        )
        found.update({r["umn"]: r for r in rows if r["payer"]["vpa"] in me.vpas})
    return sorted(found.values(), key=lambda r: r["createdAt"], reverse=True)


def _pin(fields: session.Fields) -> str:
    """The PIN typed, refused as the API's schema refuses it when it is not 4 or 6 digits."""
    pin = session.field(fields, "pin")
    if re.fullmatch(PIN.pattern, pin) is None:
        raise InvalidRequest("pin", PIN.name, PIN.says, hint=PIN.hint)
    return pin


# -- collect requests ------------------------------------------------------------------------------


async def _her_collect(request: Request, me: Resident, txn_id: str) -> dict[str, Any] | None:
    try:
        txn = await payment_status.get(state_of(request).db, me.world, txn_id[:35])
    except SandboxError:
        return None
    if txn["type"] != "COLLECT" or txn["payer"]["vpa"] not in me.vpas:
        return None
    return txn


def _no_collect(request: Request, txn_id: str) -> HTMLResponse:
    return render.refused(
        request,
        404,
        "No such collect request",
        f"No collect request '{txn_id[:35]}' asks you for money.",
        "Open a request from your home page; it lists those waiting for you.",
    )


@router.get("/collects/{txn_id}")
async def collect_page(request: Request, txn_id: str) -> Response:
    me = await signed_in(request)
    if me is None:
        return to_sign_in(request)
    txn = await _her_collect(request, me, txn_id)
    if txn is None:
        return _no_collect(request, txn_id)
    return render.page(request, "resident_collect.html", me=me.persona, txn=txn, result=None)


@router.post("/collects/{txn_id}")
async def collect_action(request: Request, txn_id: str) -> Response:
    checked = await checked_form(request, signed_in, to_sign_in)
    if isinstance(checked, Response):
        return checked
    me, fields = checked
    txn = await _her_collect(request, me, txn_id)
    if txn is None:
        return _no_collect(request, txn_id)
    db = state_of(request).db
    try:
        if session.field(fields, "action") == "decline":
            result = await collect.decline(db, me.world, txn["txnId"])
        else:
            result = await collect.approve(db, me.world, txn["txnId"], _pin(fields))
    except SandboxError as exc:
        return render.error(request, exc, back=f"/console/resident/collects/{txn['txnId']}")
    return render.page(request, "resident_collect.html", me=me.persona, txn=result, result=result)


# -- AutoPay mandates ------------------------------------------------------------------------------


async def _her_mandate(request: Request, me: Resident, umn: str) -> dict[str, Any] | None:
    try:
        found = await mandate.get(state_of(request).db, me.world, umn[:64])
    except SandboxError:
        return None
    return found if found["payer"]["vpa"] in me.vpas else None


def _no_mandate(request: Request, umn: str) -> HTMLResponse:
    return render.refused(
        request,
        404,
        "No such mandate",
        f"No AutoPay mandate '{umn[:64]}' names you as its payer.",
        "Open a mandate from your home page; it lists those waiting for your approval.",
    )


@router.get("/mandates/{umn}")
async def mandate_page(request: Request, umn: str) -> Response:
    me = await signed_in(request)
    if me is None:
        return to_sign_in(request)
    found = await _her_mandate(request, me, umn)
    if found is None:
        return _no_mandate(request, umn)
    return render.page(request, "resident_mandate.html", me=me.persona, m=found, result=None)


@router.post("/mandates/{umn}")
async def mandate_action(request: Request, umn: str) -> Response:
    """Approve with the PIN (ReqMandate CREATE's approval) or decline; a wrong PIN shows its
    code and the pad again (the mandate stays PENDING_APPROVAL, as the API leaves it)."""
    checked = await checked_form(request, signed_in, to_sign_in)
    if isinstance(checked, Response):
        return checked
    me, fields = checked
    found = await _her_mandate(request, me, umn)
    if found is None:
        return _no_mandate(request, umn)
    db, umn = state_of(request).db, found["umn"]
    try:
        if session.field(fields, "action") == "decline":
            result = await mandate.change(db, me.world, umn, "decline")
        else:
            result = await mandate.approve(db, me.world, umn, _pin(fields))
    except SandboxError as exc:
        return render.error(request, exc, back=f"/console/resident/mandates/{umn}")
    return render.page(request, "resident_mandate.html", me=me.persona, m=result, result=result)
