"""Parties (a VPA with its account, bank and holder) and the state of their UPI PINs."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql

from payments.models import Party
from payments.store import sql
from sandbox.storage import raw
from sandbox.storage.schema import pin_state, vpas
from sandbox.storage.scoped import WorldStore


class PartiesStore(WorldStore):
    def party(self, vpa: str) -> Party | None:
        row = raw.fetchone(self.conn, sql.PARTY, {"world_id": self.world_id, "vpa": vpa.lower()})
        if row is None:
            return None
        (
            vpa_,
            pin_hash_,
            registered,
            merchant,
            mcc,
            number,
            type_,
            status,
            bank,
            ifsc,
            online,
            name,
        ) = row
        return Party(
            vpa=vpa_,
            name=name or "",
            account_number=number,
            account_type=type_,
            account_status=status,
            bank_code=bank,
            bank_online=bool(online),
            ifsc=ifsc,
            pin_hash=pin_hash_,
            registered_us=registered,
            is_merchant=bool(merchant),
            merchant_category=mcc,
        )

    def set_pin_hash(self, vpa: str, pin_hash: str) -> None:
        self.conn.execute(self.update(vpas).where(vpas.c.vpa == vpa).values(pin_hash=pin_hash))

    # -- PIN attempts ----------------------------------------------------------------------
    def pin_state(self, vpa: str) -> tuple[int, int | None]:
        row = raw.fetchone(self.conn, sql.PIN_STATE, {"world_id": self.world_id, "vpa": vpa})
        return (0, None) if row is None else (int(row[0]), row[1])

    def locked_pin_state(self, vpa: str) -> tuple[int, int | None]:
        """``pin_state`` read under its row lock (made first if missing), so that concurrent
        wrong PINs of one VPA are counted one after another (PostgreSQL: without the lock two
        guesses read the same count and both write it plus one). SQLite has one writer."""
        if self.conn.dialect.name == "sqlite":
            return self.pin_state(vpa)
        self.conn.execute(
            postgresql.insert(pin_state)
            .values(world_id=self.world_id, vpa=vpa, failures=0, locked_until_us=None)
            .on_conflict_do_nothing()
        )
        row = self.conn.execute(
            self.select(pin_state, pin_state.c.failures, pin_state.c.locked_until_us)
            .where(pin_state.c.vpa == vpa)
            .with_for_update()
        ).one()
        return row.failures, row.locked_until_us

    def save_pin_state(self, vpa: str, failures: int, locked_until_us: int | None) -> None:
        updated = self.conn.execute(
            self.update(pin_state)
            .where(pin_state.c.vpa == vpa)
            .values(failures=failures, locked_until_us=locked_until_us)
        )
        if updated.rowcount == 0:
            self.insert(
                pin_state, {"vpa": vpa, "failures": failures, "locked_until_us": locked_until_us}
            )
