"""Parties (a VPA with its account, bank and holder) and the state of their UPI PINs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql

from payments.models import Party
from payments.store import sql
from sandbox.storage import raw, writer_memory
from sandbox.storage.schema import pin_state, vpas
from sandbox.storage.scoped import WorldStore

# A party is derived from these rows, PIN tries from pin_state: a write to one of them that
# is not the hot path's own clears the SQLite writer's memory (sandbox/storage/writer_memory.py).
writer_memory.watch("vpas", "accounts", "banks", "residents", "pin_state")


PinState = tuple[int, int | None]


class PartiesStore(WorldStore):
    # PostgreSQL, within one unit: the parties read ahead by ``prefetch_parties`` with their
    # PIN tries, by lower-cased VPA (None: no such VPA)
    _ahead: dict[str, tuple[Party, PinState] | None] | None = None

    def prefetch_parties(self, payer_vpa: str, payee_vpa: str) -> None:
        """On PostgreSQL read both parties and their PIN tries in one statement; ``party`` and
        ``pin_state`` answer from it for the rest of the unit (one round trip instead of
        three). SQLite's writer has its memory instead: nothing to do there."""
        if self.conn.dialect.name == "sqlite":
            return
        a, b = payer_vpa.lower(), payee_vpa.lower()
        params = {"world_id": self.world_id, "a": a, "b": b}
        ahead: dict[str, tuple[Party, PinState] | None] = dict.fromkeys((a, b))
        for row in raw.fetchall(self.conn, sql.PARTIES_WITH_PINS, params):
            failures, locked_until_us = row[12], row[13]
            pins: PinState = (0, None) if failures is None else (int(failures), locked_until_us)
            ahead[row[0]] = (_party_of(row), pins)
        self._ahead = ahead

    def party(self, vpa: str) -> Party | None:
        """The VPA's party; on the SQLite writer from its memory after the first read (a
        party changes only with its world, or its PIN through ``set_pin_hash``)."""
        memory = writer_memory.current()
        if memory is None:
            if self._ahead is not None and vpa.lower() in self._ahead:
                held = self._ahead[vpa.lower()]
                return None if held is None else held[0]
            return self._party(vpa)
        key = ("party", self.world_id, vpa.lower())
        found: Party | None = memory.get(key)
        if found is None:
            found = self._party(vpa)
            if found is not None:  # unknown VPAs are not kept: a flood of them would grow it
                memory.put(key, found)
        return found

    def _party(self, vpa: str) -> Party | None:
        row = raw.fetchone(self.conn, sql.PARTY, {"world_id": self.world_id, "vpa": vpa.lower()})
        return None if row is None else _party_of(row)

    def _forget_ahead(self, vpa: str) -> None:
        if self._ahead is not None:
            self._ahead.pop(vpa.lower(), None)

    def set_pin_hash(self, vpa: str, pin_hash: str) -> None:
        self._forget_ahead(vpa)
        self.conn.execute(self.update(vpas).where(vpas.c.vpa == vpa).values(pin_hash=pin_hash))

    # -- PIN attempts ----------------------------------------------------------------------
    def pin_state(self, vpa: str) -> tuple[int, int | None]:
        if self._ahead is not None:
            held_ahead = self._ahead.get(vpa.lower())
            if held_ahead is not None:
                return held_ahead[1]
        memory = writer_memory.current()
        key = ("pin", self.world_id, vpa)
        if memory is not None:
            held: tuple[int, int | None] | None = memory.get(key)
            if held is not None:
                return held
        row = raw.fetchone(self.conn, sql.PIN_STATE, {"world_id": self.world_id, "vpa": vpa})
        found = (0, None) if row is None else (int(row[0]), row[1])
        if memory is not None:
            memory.put(key, found)
        return found

    def locked_pin_state(self, vpa: str) -> tuple[int, int | None]:
        """``pin_state`` read under its row lock (made first if missing), so that concurrent
        wrong PINs of one VPA are counted one after another (PostgreSQL: without the lock two
        guesses read the same count and both write it plus one). SQLite has one writer."""
        if self.conn.dialect.name == "sqlite":
            return self.pin_state(vpa)
        self._forget_ahead(vpa)
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
        self._forget_ahead(vpa)
        memory = writer_memory.current()
        if memory is not None:  # the SQLite writer: the row, and its memory beside it
            params = {
                "world_id": self.world_id,
                "vpa": vpa,
                "failures": failures,
                "locked_until_us": locked_until_us,
            }
            raw.execute(self.conn, sql.SAVE_PIN_STATE, params)
            memory.put(("pin", self.world_id, vpa), (failures, locked_until_us))
            return
        updated = self.conn.execute(
            self.update(pin_state)
            .where(pin_state.c.vpa == vpa)
            .values(failures=failures, locked_until_us=locked_until_us)
        )
        if updated.rowcount == 0:
            self.insert(
                pin_state, {"vpa": vpa, "failures": failures, "locked_until_us": locked_until_us}
            )


def _party_of(row: tuple[Any, ...]) -> Party:
    """A party from the first twelve columns of ``sql.PARTY`` (or ``PARTIES_WITH_PINS``)."""
    vpa_, pin_hash_, registered, merchant, mcc, number, type_, status, bank, ifsc, online = row[:11]
    return Party(
        vpa=vpa_,
        name=row[11] or "",
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
