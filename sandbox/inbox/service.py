"""Use cases of the inbox: deliver a message (inside the caller's unit of work), list them.

``deliver`` is the platform's SMS and e-mail gateway for every domain: identity sends OTPs
through it, in the same unit of work as the OTP it announces, so an OTP is never stored without
its message or the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from sandbox.errors import InvalidRequest, PersonaNotFound
from sandbox.inbox.models import Channel, Message, normalise_address
from sandbox.inbox.store import InboxStore
from sandbox.kit.ids import new_id
from sandbox.kit.pagination import cursor_pattern, page, parse_cursor
from sandbox.population.personas import PERSONAS
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext
from sandbox.world.store import PopulationStore

CURSOR_ID = r"msg_[0-9a-z]{1,36}"  # the ids its cursors carry (stated in the OpenAPI)
_CURSOR = cursor_pattern(CURSOR_ID)


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
    db: Database,
    world: WorldContext,
    *,
    to: str | None,
    limit: int,
    cursor: str | None,
    persona: str | None = None,
) -> MessagePage:
    """A page of the world's messages, newest first: to one address (``to``), to a persona's
    mobile and e-mail (``persona``, her key), or all of them."""
    if to is not None and persona is not None:
        raise InvalidRequest(
            "query.persona",
            "exclusive",
            "give either to or persona, not both",
            hint="persona=asha already lists every message to Asha's mobile and e-mail.",
        )
    before = parse_cursor(cursor, _CURSOR)
    calling_code = world.country.calling_code

    def unit(conn: Connection) -> list[Message]:
        addresses = None if to is None else [normalise_address(to, calling_code)]
        if persona is not None:
            addresses = persona_addresses(conn, world, persona)
        return InboxStore(conn, world.id).messages(to=addresses, limit=limit + 1, before=before)

    rows, nxt = page(await db.read(unit), limit, lambda m: (m.created_us, m.id))
    return MessagePage(rows, nxt)


def persona_addresses(conn: Connection, world: WorldContext, key: str) -> list[str]:
    """The stored forms of a persona's mobile and e-mail in this world (a persona is the same
    person in every world, her messages are not); ``PersonaNotFound`` for an unknown key."""
    row = PopulationStore(conn, world.id).persona(key.strip().lower())
    if row is None:
        raise PersonaNotFound(
            f"No persona has the key {key!r}",
            hint="Persona keys are lower case: " + ", ".join(p.key for p in PERSONAS) + ".",
        )
    found = [a for a in (row.mobile, row.email) if a]
    return [normalise_address(a, world.country.calling_code) for a in found]
