"""Routes of the world's inbox: the SMS and e-mails the sandbox sent your world's residents."""

from __future__ import annotations

from fastapi import APIRouter, Query

from sandbox.deps import CurrentWorld, State
from sandbox.inbox import service
from sandbox.inbox.models import Message
from sandbox.inbox.schemas import MessageList, MessageOut
from sandbox.kit.clock import iso
from sandbox.kit.responses import AUTHED, problems
from sandbox.kit.wire import cursor_schema

router = APIRouter(prefix="/v1/sandbox", tags=["sandbox"])


@router.get("/inbox", response_model=MessageList, responses=problems(*AUTHED, 404))
async def list_inbox(
    world: CurrentWorld,
    state: State,
    to: str | None = Query(
        None,
        max_length=320,
        description="A mobile number (E.164 or national) or an e-mail address; all if absent.",
        examples=["+919876500001"],
    ),
    persona: str | None = Query(
        None,
        max_length=32,
        description="A persona key: the messages to her mobile and e-mail, as her own phone and "
        "mailbox would show them (not with `to`).",
        examples=["asha"],
    ),
    limit: int = Query(20, ge=1, le=100, description="Page size."),
    cursor: str | None = Query(None, **cursor_schema(service.CURSOR_ID)),
) -> MessageList:
    """Messages sent to your world's residents (OTPs...), newest first: all of them, those to
    one address (`to`), or those of one persona (`persona`: her mobile and e-mail)."""
    found = await service.list_messages(
        state.db, world, to=to, persona=persona, limit=limit, cursor=cursor
    )
    return MessageList(messages=[_out(m) for m in found.messages], next_cursor=found.next_cursor)


def _out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        to=m.to,
        channel=m.channel.value,
        subject=m.subject,
        body=m.body,
        sent_at=iso(m.created_us),
    )
