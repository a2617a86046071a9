"""Use cases of the inbox: deliver a message (inside the caller's unit of work), list them.

``deliver`` is the platform's SMS and e-mail gateway for every domain: identity sends OTPs
through it, in the same unit of work as the OTP it announces, so an OTP is never stored without
its message or the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from sandbox.inbox.models import Channel, Message, normalise_address
from sandbox.inbox.store import InboxStore
from sandbox.kit.ids import new_id
from sandbox.kit.pagination import cursor_pattern, page, parse_cursor
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

_CURSOR = cursor_pattern(r"msg_[0-9a-z]{1,36}")


def deliver(
    conn: Connection, world: WorldContext, *, to: str, channel: Channel, subject: str, body: str
) -> Message:
    """Put a message in the world's inbox at the world's time; returns it."""
    message = Message(
        id=new_id("msg"),
        to=normalise_address(to, world.country.calling_code),
        channel=channel,
        subject=subject,
        body=body,
        created_us=world.now_us,
    )
    InboxStore(conn, world.id).add(message)
    return message


@dataclass(frozen=True, slots=True)
class MessagePage:
    messages: list[Message]
    next_cursor: str | None


async def list_messages(
    db: Database, world: WorldContext, *, to: str | None, limit: int, cursor: str | None
) -> MessagePage:
    """A page of the world's messages (to one address, if ``to``), newest first."""
    before = parse_cursor(cursor, _CURSOR)
    address = None if to is None else normalise_address(to, world.country.calling_code)

    def unit(conn: Connection) -> list[Message]:
        return InboxStore(conn, world.id).messages(to=address, limit=limit + 1, before=before)

    rows, nxt = page(await db.read(unit), limit, lambda m: (m.created_us, m.id))
    return MessagePage(rows, nxt)
