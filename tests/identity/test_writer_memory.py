"""The SQLite writer holds residents and kept UID tokens in its memory (sandbox/world/store.py,
identity/store/vids.py); a write to ``residents`` that is not the auth path's own is seen by the
next auth. On PostgreSQL there is no memory and the same test holds by reading SQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from sandbox.storage.schema import residents
from tests.support.http import SignedUp
from tests.support.identity import ASHA, auth, easy, pid_ts

pytestmark = pytest.mark.anyio


async def _by_name(client: httpx.AsyncClient, partner: SignedUp, name: str, txn: str) -> Any:
    ts = await pid_ts(client, partner)
    pid = {"ts": ts, "ver": "2.0", "demo": {"pi": {"name": name}}}
    return await auth(client, partner, easy(pid, txn=txn, pi="y"))


async def test_a_changed_resident_is_matched_as_changed(
    client: httpx.AsyncClient, app: FastAPI, partner: SignedUp
) -> None:
    assert (await _by_name(client, partner, "Asha Verma", "first"))["ret"] == "y"

    def rename(conn: sa.Connection) -> None:
        conn.execute(
            sa.update(residents)
            .where(residents.c.world_id == partner.partner_id, residents.c.uid == ASHA)
            .values(name="Asha Kumari")
        )

    await app.state.sandbox.db.write(rename)
    old = await _by_name(client, partner, "Asha Verma", "old-name")
    assert (old["ret"], old["err"]) == ("n", "100")
    assert (await _by_name(client, partner, "Asha Kumari", "new-name"))["ret"] == "y"
