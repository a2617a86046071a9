"""The resident's UPI app (``/console/resident``): the collect requests and the AutoPay
mandates waiting for her, each approved on a PIN pad or declined; and her AutoPay list
(``/console/resident/mandates``), where she pauses, resumes or revokes a mandate.

Both call the payments service exactly as the HTTP routes do (``collect.approve`` /
``decline``, ``mandate.approve`` / ``change(..., "decline")``), so the rules and the errors are
the API's: a PIN that is not 4 or 6 digits is refused as the route's schema refuses it (422,
field ``pin``, rule ``pin_format``) before the service sees it; a wrong PIN answers with its
code (ZM, Z6 on the third in a world day, AM when none is set); a mandate that is no longer
PENDING_APPROVAL is a 409 naming its state. A request of another resident (another payer) is a
404, as if it did not exist.

Pause, resume and revoke are ``mandate.change`` as POST /v1/upi/mandates/{umn}/pause (resume,
revoke) calls it: the payer's ReqMandate UPDATE / REVOKE, which takes no PIN in the API, so
none here either; a mandate in the wrong state is the API's 409 ``invalid-state``. Revoking is
final, so it takes a second step: "Revoke" opens ``/mandates/{umn}/revoke``, which says what
ends and asks again; only its form (``confirm=revoke``) revokes, and a revoke posted without it
is sent to that page with nothing changed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from console import render, session
from console.common import checked_form, state_of
from console.residents import Resident, signed_in, to_sign_in
from payments.models import MandateStatus
from payments.service import collect, mandate, mandate_debit
from payments.service import status as payment_status
from sandbox.errors import InvalidRequest, SandboxError
from sandbox.kit.wire import PIN
from sandbox.world.context import WorldContext

router = APIRouter(prefix="/console/resident", include_in_schema=False)
MANDATES = "/console/resident/mandates"
WAITING = 50  # per VPA: what a home screen lists (the oldest wait for the next visit)
PENDING_APPROVAL = MandateStatus.PENDING_APPROVAL.value
MANDATES_PAGE = 20  # her AutoPay list, newest first
CHANGES = ("pause", "resume", "revoke")  # what she does to a live mandate (the API's routes)
FINAL = "revoke"  # the change that asks again first (its form sends confirm=revoke)
LIVE = (MandateStatus.ACTIVE.value, MandateStatus.PAUSED.value)


Page = tuple[list[dict[str, Any]], str | None]


async def _waiting(
    me: Resident, id_field: str, page_of: Callable[[str], Awaitable[Page]]
) -> list[dict[str, Any]]:
    """What waits for her across her VPAs (``page_of(vpa)``: the first page naming it), as
    payer only, newest first."""
    found: dict[str, dict[str, Any]] = {}
    for vpa in sorted(me.vpas):
        rows, _ = await page_of(vpa)
        found.update({r[id_field]: r for r in rows if r["payer"]["vpa"] in me.vpas})
    return sorted(found.values(), key=lambda r: r["createdAt"], reverse=True)


async def pending_collects(request: Request, me: Resident) -> list[dict[str, Any]]:
    """The collect requests asking her for money."""
    db = state_of(request).db
    return await _waiting(
        me,
        "txnId",
        lambda vpa: payment_status.list_txns(
            db, me.world, limit=WAITING, cursor=None, vpa=vpa, status="PENDING", type_="COLLECT"
        ),
    )


async def pending_mandates(request: Request, me: Resident) -> list[dict[str, Any]]:
    """The mandates merchants asked her for, waiting for her approval."""
    db = state_of(request).db
    return await _waiting(
        me,
        "umn",
        lambda vpa: mandate.list_mandates(
            db, me.world, limit=WAITING, cursor=None, vpa=vpa, status=PENDING_APPROVAL
        ),
    )


def _pin(fields: session.Fields) -> str:
    """The PIN typed, refused as the API's schema refuses it when it is not 4 or 6 digits."""
    pin = session.field(fields, "pin")
    if re.fullmatch(PIN.pattern, pin) is None:
        raise InvalidRequest("pin", PIN.name, PIN.says, hint=PIN.hint)
    return pin


# -- what asks for her PIN: collect requests and mandates ---------------------------------------


@dataclass(frozen=True, slots=True)
class _Ask:
    """A request that waits for her PIN (or her "no"), and how the payments service reads,
    approves and declines it."""

    path: str  # its page, below which its id goes
    template: str
    name: str  # what the template calls it
    missing: tuple[str, str, str]  # the 404's title, its detail (with {ref}) and its hint
    id_field: str
    # (db, world, id) -> its view; approve also takes the PIN (db: the app's Database)
    read: Callable[[Any, WorldContext, str], Awaitable[dict[str, Any]]]
    approve: Callable[[Any, WorldContext, str, str], Awaitable[dict[str, Any]]]
    decline: Callable[[Any, WorldContext, str], Awaitable[dict[str, Any]]]
    kind: str | None = None  # the transaction type it must be, if a transaction

    async def hers(self, request: Request, me: Resident, ref: str) -> dict[str, Any] | None:
        """Hers (she is the payer), or None: another resident's does not exist for her."""
        try:
            found = await self.read(state_of(request).db, me.world, ref[:64])
        except SandboxError:
            return None
        if self.kind is not None and found.get("type") != self.kind:
            return None
        return found if found["payer"]["vpa"] in me.vpas else None

    def show(
        self, request: Request, me: Resident, found: dict[str, Any], *, done: bool, **more: Any
    ) -> Response:
        """Its page: the PIN pad while it waits, the service's answer once ``done``."""
        shown: dict[str, Any] = {self.name: found, "result": found if done else None}
        return render.page(request, self.template, me=me.persona, **shown, **more)

    def none(self, request: Request, ref: str) -> HTMLResponse:
        title, detail, hint = self.missing
        return render.refused(request, 404, title, detail.format(ref=ref[:64]), hint)


COLLECT = _Ask(
    path="/console/resident/collects",
    template="resident_collect.html",
    name="txn",
    missing=(
        "No such collect request",
        "No collect request '{ref}' asks you for money.",
        "Open a request from your home page; it lists those waiting for you.",
    ),
    id_field="txnId",
    read=payment_status.get,
    approve=collect.approve,
    decline=collect.decline,
    kind="COLLECT",
)
MANDATE = _Ask(
    path="/console/resident/mandates",
    template="resident_mandate.html",
    name="m",
    missing=(
        "No such mandate",
        "No AutoPay mandate '{ref}' names you as its payer.",
        "Open a mandate from your home page; it lists those waiting for your approval.",
    ),
    id_field="umn",
    read=mandate.get,
    approve=mandate.approve,
    decline=lambda db, world, umn: mandate.change(db, world, umn, "decline"),
)


async def _show(request: Request, ask: _Ask, ref: str) -> Response:
    me = await signed_in(request)
    if me is None:
        return to_sign_in(request)
    found = await ask.hers(request, me, ref)
    if found is None:
        return ask.none(request, ref)
    return ask.show(request, me, found, done=False)


async def _act(request: Request, ask: _Ask, ref: str) -> Response:
    checked = await checked_form(request, signed_in, to_sign_in)
    if isinstance(checked, Response):
        return checked
    me, fields = checked
    return await _answer(request, ask, ref, me, fields)


async def _answer(
    request: Request, ask: _Ask, ref: str, me: Resident, fields: session.Fields
) -> Response:
    """Approve with the PIN or decline; a wrong PIN answers with its code, as the API does."""
    found = await ask.hers(request, me, ref)
    if found is None:
        return ask.none(request, ref)
    db, ref = state_of(request).db, found[ask.id_field]
    action = session.field(fields, "action", "approve")
    try:
        if action == "decline":
            result = await ask.decline(db, me.world, ref)
        elif action == "approve":
            result = await ask.approve(db, me.world, ref, _pin(fields))
        else:  # a hand-made form: say so rather than take it for an approval
            raise InvalidRequest(
                "action",
                "one_of",
                f"action {action[:20]!r} is not one this page takes",
                hint=f"Send action=approve (with pin) or action=decline"
                f"{', pause, resume or revoke (with confirm=revoke)' if ask is MANDATE else ''}.",
            )
    except SandboxError as exc:
        return render.error(request, exc, back=f"{ask.path}/{ref}")
    return ask.show(request, me, result, done=True)


@router.get("/collects/{txn_id}")
async def collect_page(request: Request, txn_id: str) -> Response:
    return await _show(request, COLLECT, txn_id[:35])


@router.post("/collects/{txn_id}")
async def collect_action(request: Request, txn_id: str) -> Response:
    return await _act(request, COLLECT, txn_id[:35])


@router.get("/mandates")
async def mandates_page(request: Request, cursor: str | None = None) -> Response:
    """Her AutoPay mandates (she is the payer), newest first, a page at a time; each live one
    with its next announced debit and the buttons that pause, resume or revoke it."""
    me = await signed_in(request)
    if me is None:
        return to_sign_in(request)
    db = state_of(request).db
    try:
        rows, nxt = await mandate.list_mandates(
            db,
            me.world,
            limit=MANDATES_PAGE,
            cursor=cursor,
            vpa=None,
            status=None,
            payer_vpas=me.vpas,
        )
    except SandboxError as exc:
        return render.error(request, exc, back=MANDATES)
    live = [r["umn"] for r in rows if r["status"] in LIVE]
    return render.page(
        request,
        "resident_mandates.html",
        me=me.persona,
        mandates=rows,
        debits=await mandate_debit.next_debits(db, me.world, live),
        cursor=cursor,
        next_cursor=nxt,
    )


Viewed = tuple[Resident, dict[str, Any], dict[str, Any] | None]


async def _her_mandate(request: Request, umn: str) -> Response | Viewed:
    """She, her mandate ``umn`` and its next announced debit (None unless it is live); or the
    answer of a page she cannot see (the sign-in, or a 404 for another payer's)."""
    me = await signed_in(request)
    if me is None:
        return to_sign_in(request)
    found = await MANDATE.hers(request, me, umn)
    if found is None:
        return MANDATE.none(request, umn)
    if found["status"] not in LIVE:
        return me, found, None
    debits = await mandate_debit.next_debits(state_of(request).db, me.world, [found["umn"]])
    return me, found, debits.get(found["umn"])


@router.get("/mandates/{umn}")
async def mandate_page(request: Request, umn: str, done: str | None = None) -> Response:
    viewed = await _her_mandate(request, umn)
    if isinstance(viewed, Response):
        return viewed
    me, found, next_debit = viewed
    changed = done if done in CHANGES else None
    return MANDATE.show(request, me, found, done=False, changed=changed, next_debit=next_debit)


@router.get("/mandates/{umn}/revoke")
async def revoke_page(request: Request, umn: str) -> Response:
    """The second step of a revoke: what ends, and a form that revokes for good (or a way back).
    A mandate that is not live has nothing to revoke: its own page says what it is."""
    viewed = await _her_mandate(request, umn)
    if isinstance(viewed, Response):
        return viewed
    me, found, next_debit = viewed
    if found["status"] not in LIVE:
        return render.see_other(request, f"{MANDATE.path}/{found['umn']}")
    return render.page(
        request, "resident_mandate_revoke.html", me=me.persona, m=found, next_debit=next_debit
    )


@router.post("/mandates/{umn}")
async def mandate_action(request: Request, umn: str) -> Response:
    """Approve (ReqMandate CREATE's approval by the payer) or decline; after a wrong PIN the
    mandate stays PENDING_APPROVAL and the page shows the pad again. Pause, resume, revoke
    (ReqMandate UPDATE / REVOKE) change it as the API's routes do, then show it again; a
    revoke only from its confirmation page (``confirm=revoke``), else it is sent there."""
    checked = await checked_form(request, signed_in, to_sign_in)
    if isinstance(checked, Response):
        return checked
    me, fields = checked
    action = session.field(fields, "action")
    if action not in CHANGES:
        return await _answer(request, MANDATE, umn, me, fields)
    found = await MANDATE.hers(request, me, umn)
    if found is None:
        return MANDATE.none(request, umn)
    here = f"{MANDATE.path}/{found['umn']}"
    if action == FINAL and session.field(fields, "confirm") != FINAL:
        return render.see_other(request, f"{here}/{FINAL}")  # ask again; nothing changed
    try:
        await mandate.change(state_of(request).db, me.world, found["umn"], action)
    except SandboxError as exc:
        return render.error(request, exc, back=here)
    return render.see_other(request, f"{here}?done={action}")
