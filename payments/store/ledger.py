"""Balances, the append-only ledger and the payer's daily totals.

``accounts.balance`` is the applied balance; debits apply at once with a conditional update
(``balance >= amount``), so no account is ever overdrawn. On PostgreSQL credits are appended to
``credit_queue`` instead of updating the payee's row, so a busy merchant's row is never a lock
everyone queues on; queued credits roll up into the balance when the account is debited or
read. On SQLite the single writer applies credits directly (the queue stays empty). The ledger
(``ledger_entries``) is append-only and balanced per posting; the applied balance plus queued
credits always equals the opening balance plus the account's entries.
"""

from __future__ import annotations

from typing import Any

from payments.store import sql
from sandbox.storage import raw, writer_memory
from sandbox.storage.schema import account_balances, accounts, credit_queue
from sandbox.storage.scoped import WorldStore

# today's totals come from daily_debits (see PartiesStore for the rule)
writer_memory.watch("daily_debits")


class UnbalancedPosting(AssertionError):
    """A posting whose legs do not sum to zero: a bug, never a user error."""


def posting_rows(
    *, posting_id: str, txn_id: str, leg: str, legs: list[tuple[str, int]], now_us: int
) -> list[dict[str, Any]]:
    """The ledger rows of one posting, refused unless its legs sum to zero (the store's
    ``post`` and the ``--preload`` fill write the same rows)."""
    if sum(amount for _, amount in legs) != 0:
        raise UnbalancedPosting(f"posting {posting_id} legs {legs} do not balance")
    return [
        {
            "posting_id": posting_id,
            "txn_id": txn_id,
            "leg": leg,
            "account": account,
            "amount": amount,
            "created_us": now_us,
        }
        for account, amount in legs
    ]


class LedgerStore(WorldStore):
    def debit_within(self, account: str, day: int, amount: int, cap: int) -> tuple[int, bool]:
        """``decide.SwitchBooks.debit_within``. On PostgreSQL one statement
        (``sql.DEBIT_WITHIN``): the account's row of ``daily_debits`` for the day is its hold
        (without it, concurrent payments would all read the same total and all pass ZU and
        the new-VPA cap). On SQLite the single writer already runs payments one at a time:
        the day's total (from the writer's memory), the debit, then the total raised."""
        if self.conn.dialect.name == "sqlite":
            today = self.debited_on(account, day)
            if today + amount > cap or not self.debit(account, amount):
                return today, False
            self.add_debited(account, day, amount)
            return today, True
        params = {
            "world_id": self.world_id,
            "number": account,
            "day": day,
            "amount": amount,
            "cap": cap,
        }
        if amount <= cap and raw.guard(self.conn, sql.DEBIT_GUARDED, params):
            # speculated: sent with the unit's last writes and its COMMIT, which it lets
            # through only if the amount was taken (else the unit is run again, unguarded);
            # "nothing paid before" stands for the unknown total, within the cap either way
            return 0, True
        row = raw.fetchone(self.conn, sql.DEBIT_WITHIN, params)
        assert row is not None  # a SELECT without FROM returns its row
        total, taken = row
        if total is None:  # over the cap: held (if the row was there), nothing changed
            return self.debited_on(account, day), False
        today = int(total) - amount
        if taken or (self._roll_up(account) and self._take(account, amount)):
            return today, True
        self.add_debited(account, day, -amount)  # short of funds: the total given back
        return today, False

    def debit(self, account: str, amount: int) -> bool:
        """Take ``amount`` from ``account`` unless that would overdraw it."""
        if self._take(account, amount):
            return True
        if self.conn.dialect.name != "sqlite" and self._roll_up(account):
            return self._take(account, amount)
        return False

    def _take(self, account: str, amount: int) -> bool:
        params = {"world_id": self.world_id, "number": account, "amount": amount}
        return raw.execute(self.conn, sql.DEBIT, params) == 1

    def credit(self, account: str, amount: int) -> None:
        params = {"world_id": self.world_id, "number": account, "amount": amount}
        if self.conn.dialect.name == "sqlite":
            raw.execute(self.conn, sql.CREDIT, params)
        else:  # append-only: no lock on the payee's row (hot merchants); a blind write
            raw.send(self.conn, sql.QUEUE_CREDIT, params)

    def _roll_up(self, account: str) -> int:
        """Fold queued credits of ``account`` into its balance; returns the amount folded."""
        rows = self.conn.execute(
            self.delete(credit_queue)
            .where(credit_queue.c.account_number == account)
            .returning(credit_queue.c.amount)
        ).all()
        total = sum(r.amount for r in rows)
        if total:
            self.conn.execute(
                self.update(accounts)
                .where(accounts.c.number == account)
                .values(balance=accounts.c.balance + total)
            )
        return int(total)

    def balance(self, account: str) -> int | None:
        """Applied plus queued credits, by the one rule (the ``account_balances`` view)."""
        found = self.conn.execute(
            self.select(account_balances, account_balances.c.balance).where(
                account_balances.c.number == account
            )
        ).scalar()
        return None if found is None else int(found)

    def post(
        self, *, posting_id: str, txn_id: str, leg: str, legs: list[tuple[str, int]], now_us: int
    ) -> None:
        """Write one balanced posting (its legs sum to zero) to the append-only ledger."""
        rows = posting_rows(posting_id=posting_id, txn_id=txn_id, leg=leg, legs=legs, now_us=now_us)
        for row in rows:
            row["world_id"] = self.world_id
        # blind: on PostgreSQL it travels with the unit's next round trip
        raw.send_many(self.conn, sql.POST, rows)

    # -- daily limits ------------------------------------------------------------------------
    def debited_on(self, account: str, day: int) -> int:
        """What ``account`` paid on world day ``day``; on the SQLite writer from its memory
        after the first read of the day."""
        params = {"world_id": self.world_id, "number": account, "day": day}
        memory = writer_memory.current()
        key = ("day", self.world_id, account, day)
        if memory is not None:
            held: int | None = memory.get(key)
            if held is not None:
                return held
        row = raw.fetchone(self.conn, sql.DEBITED_ON, params)
        total = 0 if row is None else int(row[0])
        if memory is not None:
            memory.put(key, total)
        return total

    def add_debited(self, account: str, day: int, amount: int) -> None:
        params = {"world_id": self.world_id, "number": account, "day": day, "amount": amount}
        raw.send(self.conn, sql.ADD_DEBITED, params)
        memory = writer_memory.current()
        if memory is not None:
            key = ("day", self.world_id, account, day)
            held: int | None = memory.get(key)
            if held is not None:
                memory.put(key, held + amount)
