"""All SQL over a partner's world as a whole: the persona view, and wiping it for a reset."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from sandbox.storage import raw, writer_memory
from sandbox.storage.raw import Raw
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

# ``resident`` keeps rows in the SQLite writer's memory; any other write to ``residents`` (a
# biometric lock, a verified mobile, a reset) goes through SQLAlchemy and clears it
writer_memory.watch("residents")


@dataclass(frozen=True, slots=True)
class ResidentRow:
    """One row of ``residents`` (the column names), as ``PopulationStore.resident`` reads it."""

    uid: str
    name: str
    name_local: str | None
    dob: str
    gender: str
    address: dict[str, Any]
    mobile: str | None
    mobile_verified: bool
    email: str | None
    language: str
    biometrics_locked: bool
    persona: str | None

    def mapping(self) -> Mapping[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# on every auth and OTP: SQL text on the cursor (see sandbox/storage/raw.py); the columns of
# ResidentRow, in its order
_RESIDENT = Raw("""
    SELECT uid, name, name_local, dob, gender, address, mobile, mobile_verified, email, language,
           biometrics_locked, persona
    FROM residents WHERE world_id = :world_id AND uid = :uid
""")


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

    def refresh_statistics(self, residents_added: int) -> None:
        """PostgreSQL: sample the population tables (``ANALYZE``) when the world just filled
        is a large part of them, so the planner knows their sizes before its first payment.
        Without statistics it takes the world's rows for a handful and plans the payment's
        party read as a scan of every VPA and account of the world (measured at 2000
        residents: 3.9 ms of PostgreSQL CPU per payment against 1.8-2.2 ms), a plan kept until
        autovacuum first comes by, a minute or more later. "Large": the tables were never
        sampled, or the world adds more than a tenth of their rows (autovacuum's own default
        threshold to sample again); a world among many is planned well by the statistics
        already there, and sampling big tables at every signup would slow it down.
        ``SKIP_LOCKED``: a concurrent signup or autovacuum already sampling a table is left to
        it, never waited for. SQLite's planner needs none of this."""
        if self.conn.dialect.name == "sqlite":
            return
        known = self.conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'residents'::regclass"
        ).scalar()
        if known is not None and known >= 0 and residents_added * 10 < known:
            return
        names = ", ".join(table.name for table in POPULATION_TABLES)
        self.conn.exec_driver_sql(f"ANALYZE (SKIP_LOCKED) {names}")

    def resident(self, uid: str) -> ResidentRow | None:
        """One resident's row (any domain that matches people against the register reads it
        here), or None; on the SQLite writer from its memory after the first read."""
        memory = writer_memory.current()
        if memory is None:
            return self._resident(uid)
        key = ("resident", self.world_id, uid)
        found: ResidentRow | None = memory.get(key)
        if found is None:
            found = self._resident(uid)
            if found is not None:  # unknown numbers are not kept: a flood would grow it
                memory.put(key, found)
        return found

    def _resident(self, uid: str) -> ResidentRow | None:
        row = raw.fetchone(self.conn, _RESIDENT, {"world_id": self.world_id, "uid": uid})
        if row is None:
            return None
        (uid, name, name_local, dob, gender, address, mobile, verified, email, language, locked,
         persona) = row  # fmt: skip
        return ResidentRow(
            uid=uid,
            name=name,
            name_local=name_local,
            dob=dob,
            gender=gender,
            address=json.loads(address) if isinstance(address, str) else address,  # SQLite: text
            mobile=mobile,
            mobile_verified=bool(verified),  # SQLite: 0 or 1
            email=email,
            language=language,
            biometrics_locked=bool(locked),
            persona=persona,
        )

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
