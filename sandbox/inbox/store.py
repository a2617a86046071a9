"""All SQL of the inbox (``inbox_messages``, world-owned)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from sandbox.inbox.models import Channel, Message
from sandbox.storage.schema import inbox_messages
from sandbox.storage.scoped import WorldStore


def _message(row: Any) -> Message:
    return Message(
        id=row.id,
        to=row.to_address,
        channel=Channel(row.channel),
        subject=row.subject,
        body=row.body,
        created_us=row.created_us,
    )


class InboxStore(WorldStore):
    def add(self, message: Message) -> None:
        self.insert(
            inbox_messages,
            {
                "id": message.id,
                "to_address": message.to,
                "channel": message.channel.value,
                "subject": message.subject,
                "body": message.body,
                "created_us": message.created_us,
            },
        )

    def messages(
        self, *, to: Sequence[str] | None, limit: int, before: tuple[int, str] | None
    ) -> list[Message]:
        """Newest first, to any of the addresses ``to`` (all when None); ``before`` is the
        (created_us, id) of the last message already seen."""
        m = inbox_messages
        query = self.select(m).order_by(m.c.created_us.desc(), m.c.id.desc()).limit(limit)
        if to is not None:
            query = query.where(m.c.to_address.in_(to))
        if before is not None:
            created_us, message_id = before
            query = query.where(
                sa.or_(
                    m.c.created_us < created_us,
                    sa.and_(m.c.created_us == created_us, m.c.id < message_id),
                )
            )
        return [_message(r) for r in self.conn.execute(query)]
