"""All SQL over a partner's world as a whole: the persona view, and wiping it for a reset."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sandbox.storage.schema import (
    aa_handles,
    account_balances,
    accounts,
    banks,
    metadata,
    residents,
    vpas,
)
from sandbox.storage.schema.base import kept_on_reset
from sandbox.storage.scoped import WorldStore

POPULATION_TABLES = (vpas, aa_handles, accounts, banks, residents)


def world_tables() -> list[sa.Table]:
    """Every world-owned table (it has a ``world_id``) that a reset wipes, of every domain: all
    but those whose definition says ``info=KEPT_ON_RESET`` (the partner's record of what was
    sent to it; keys whose signatures are already out in the world, like printed QR codes)."""
    return [
        t for t in reversed(metadata.sorted_tables) if "world_id" in t.c and not kept_on_reset(t)
    ]


class PopulationStore(WorldStore):
    def wipe(self) -> None:
        """Delete the world's population and everything every domain built on it."""
        for table in world_tables():
            self.conn.execute(self.delete(table))

    def resident(self, uid: str) -> Any | None:
        """One resident's row (any domain that matches people against the register reads it
        here), or None."""
        return self.conn.execute(self.select(residents).where(residents.c.uid == uid)).first()

    def persona(self, key: str) -> Any | None:
        """The resident row of the persona with this key (``"asha"``) in this world, or None."""
        r = residents
        return self.conn.execute(self.select(r).where(r.c.persona == key)).first()

    def personas(self) -> list[Any]:
        return list(
            self.conn.execute(
                self.select(residents)
                .where(residents.c.persona.is_not(None))
                .order_by(residents.c.uid)
            )
        )

    def accounts_of(self, uids: list[str]) -> list[Any]:
        """Accounts with their balance by the one rule (the ``account_balances`` view)."""
        a, b, ab = accounts, banks, account_balances
        return list(
            self.conn.execute(
                self.select(
                    a,
                    *[c for c in a.c if c.name != "balance"],
                    ab.c.balance,
                    b.c.name.label("bank_name"),
                    b.c.online.label("bank_online"),
                )
                .join(ab, (ab.c.world_id == a.c.world_id) & (ab.c.number == a.c.number))
                .join(b, (b.c.world_id == a.c.world_id) & (b.c.code == a.c.bank_code))
                .where(a.c.resident_uid.in_(uids))
                .order_by(a.c.resident_uid, a.c.number)
            )
        )

    def vpas_of(self, account_numbers: list[str]) -> list[Any]:
        return list(
            self.conn.execute(
                self.select(vpas)
                .where(vpas.c.account_number.in_(account_numbers))
                .order_by(vpas.c.vpa)
            )
        )

    def aa_handles_of(self, uids: list[str]) -> list[Any]:
        return list(
            self.conn.execute(self.select(aa_handles).where(aa_handles.c.resident_uid.in_(uids)))
        )

    def counts(self) -> dict[str, int]:
        out = {}
        for table in POPULATION_TABLES:
            out[table.name] = self.conn.execute(
                self.select(table, sa.func.count()).select_from(table)
            ).scalar_one()
        return out
