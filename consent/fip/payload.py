"""The FIPs of a world: which accounts a resident holds, and their FI documents.

The functions run on the caller's connection (inside its ``db.read`` unit) and read the ledger
only through ``payments.service.statement``. FI/fetch calls ``fi_payload`` for the accounts of a
session and encrypts each document with ``consent.crypto.Encryptor`` (one per FIP).

- DEPOSIT: each ledger account (SAVINGS, CURRENT) of the resident; its lines are the seeded
  history (``history.seeded_lines``, before the world began) followed by the ledger's entries
  (UPI payments, collects, refunds, mandates: mode UPI, ``txnId`` the UPI txnId, ``reference``
  its 12-digit RRN). Balances chain from one into the other.
- TERM_DEPOSIT and RECURRING_DEPOSIT: one of each at the bank of the resident's first account,
  derived from the world seed (``history.term_deposit``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from consent.fip import history, render
from consent.fip.cache import LINES, LedgerDayKey, Rendered, SeededKey
from consent.fip.history import DAY_US
from consent.fip.models import (
    CONSENT_TYPES,
    DEPOSIT,
    FI_TYPES,
    FORMATS,
    RECURRING_DEPOSIT,
    TERM_DEPOSIT,
    DataFilter,
    FIDataError,
    Line,
    UnknownAccount,
    apply_filters,
    keeps,
    link_ref,
    masked,
)
from consent.fip.render import Element
from payments.service import statement as ledger
from sandbox.world.context import WorldContext


@dataclass(frozen=True, slots=True)
class FipAccount:
    """An account as the AA shows it for linking and consent (spec ``Accounts`` items)."""

    fip_id: str
    fi_type: str  # DEPOSIT, TERM_DEPOSIT, RECURRING_DEPOSIT
    acc_type: str  # SAVINGS, CURRENT, FIXED, RECURRING
    link_ref: str  # linkRefNumber
    masked: str  # maskedAccNumber
    number: str  # the ledger account (DEPOSIT) or the one it derives from


@dataclass(frozen=True, slots=True)
class AccountPayload:
    """One account's FI document, ready to encrypt (``encryptedFI``)."""

    fip_id: str
    fi_type: str
    link_ref: str
    masked: str
    format: str  # xml, json
    payload: bytes


def fip_id(bank_code: str) -> str:
    """The FIP id of a world bank (spec ``fipId``)."""
    return f"{bank_code}-FIP"


def _derived_number(number: str, fi_type: str) -> str:
    """A term/recurring deposit's own (masked) number: the base account's, other last digits."""
    digest = hashlib.sha256(f"{fi_type}:{number}".encode()).hexdigest()
    return number[:-4] + f"{int(digest[:8], 16) % 10_000:04d}"


def fip_accounts(conn: Connection, world: WorldContext, resident_uid: str) -> list[FipAccount]:
    """Every account the resident holds at the world's FIPs (empty for an unknown resident)."""
    accounts = ledger.accounts_of(conn, world.id, resident_uid)
    key = f"{world.secret_key}|{world.id}"
    out = [
        FipAccount(
            fip_id(a.bank_code),
            DEPOSIT,
            a.type if a.type in ("SAVINGS", "CURRENT") else "SAVINGS",
            link_ref(DEPOSIT, a.number, key),
            masked(a.number),
            a.number,
        )
        for a in accounts
    ]
    if accounts:
        first = accounts[0]
        for fi_type, acc_type in ((TERM_DEPOSIT, "FIXED"), (RECURRING_DEPOSIT, "RECURRING")):
            out.append(
                FipAccount(
                    fip_id(first.bank_code),
                    fi_type,
                    acc_type,
                    link_ref(fi_type, first.number, key),
                    masked(_derived_number(first.number, fi_type)),
                    first.number,
                )
            )
    return out


# -- documents -----------------------------------------------------------------------------------


def _holder(account: ledger.StatementAccount) -> Element:
    digest = hashlib.sha256(account.resident_uid.encode()).digest()
    letters = "".join(chr(ord("A") + b % 26) for b in digest[:4])
    pan = f"{letters[:3]}P{letters[3]}{int.from_bytes(digest[4:6], 'big') % 10_000:04d}"
    pan += chr(ord("A") + digest[6] % 26)
    address = ", ".join(str(v) for k, v in account.holder_address.items() if v and k != "country")
    attrs = {
        "name": account.holder_name,
        "dob": account.holder_dob,
        "mobile": "".join(ch for ch in (account.holder_mobile or "") if ch.isdigit()) or "0",
        "nominee": "REGISTERED" if digest[7] % 3 else "NOT-REGISTERED",
    }
    if address:
        attrs["address"] = address
    if account.holder_email:
        attrs["email"] = account.holder_email
    attrs["pan"] = pan
    attrs["ckycCompliance"] = "true"
    return Element("Holder", attrs)


def _profile(account: ledger.StatementAccount) -> Element:
    return Element("Profile", {}, (Element("Holders", {"type": "SINGLE"}, ((_holder(account),),)),))


def _micr(account: ledger.StatementAccount) -> str:
    digest = hashlib.sha256(account.ifsc.encode()).hexdigest()
    return f"{int(digest[:12], 16) % 10**9:09d}"


def _ledger_lines(st: ledger.Statement) -> list[Line]:
    out = []
    for entry in st.lines:
        debit = entry.amount < 0
        other = entry.payee_vpa if debit else entry.payer_vpa
        rrn = entry.rrn or ""
        note = f"/{entry.note}" if entry.note else ""
        leg = "" if entry.leg in ("DEBIT", "CREDIT") else f"/{entry.leg}"
        out.append(
            Line(
                txn_id=entry.txn_id if not leg else f"{entry.txn_id}-{entry.leg}",
                type="DEBIT" if debit else "CREDIT",
                mode="UPI",
                amount=abs(entry.amount),
                balance=entry.balance_after,
                at_us=entry.created_us,
                narration=f"UPI/{rrn}/{'DR' if debit else 'CR'}/{other or ''}{note}{leg}",
                reference=rrn,
            )
        )
    return out


def _deposit_element(world: WorldContext) -> Callable[[Line], Element]:
    """A line as a deposit ``Transaction``, serialized (it is kept in ``cache.LINES``)."""
    return lambda line: render.serialized(
        render.transaction_element(line, world.money, deposit=True), "deposit"
    )


def _seeded(world: WorldContext, account: ledger.StatementAccount) -> Rendered:
    """The account's seeded history, from ``cache.LINES`` (made on a miss)."""
    key = SeededKey(
        world.id,
        world.partner.world_seed,
        world.country.code,
        account.number,
        account.type,
        account.opening_balance,
        account.opened_us,
        world.partner.created_us,
        world.country.minor_units,
    )

    def make() -> Rendered:
        lines = history.seeded_lines(
            seed=key.seed,
            country=key.country,
            number=key.number,
            account_type=key.account_type,
            opening_balance=key.opening_balance,
            opened_us=key.opened_us,
            anchor_us=key.anchor_us,
            minor_units=key.minor_units,
        )
        return Rendered.of(lines, _deposit_element(world))

    return LINES.get(key, make)


def _ledger_days(
    conn: Connection,
    world: WorldContext,
    account: ledger.StatementAccount,
    from_us: int,
    to_us: int,
) -> Iterator[Rendered]:
    """Each day of the ledger with entries in the range, from ``cache.LINES`` when the day's
    token is the ledger's now (made from the day's statement otherwise)."""
    for day in ledger.ledger_days(conn, world.id, account.number, from_us, to_us, DAY_US):
        key = LedgerDayKey(
            world.id, account.number, account.opened_us, world.country.minor_units, day.day
        )
        token = (day.count, day.last_id, day.balance_before)

        def make(start: int = day.day * DAY_US, token: Hashable = token) -> Rendered:
            st = ledger.statement(conn, world.id, account.number, start, start + DAY_US)
            lines = _ledger_lines(st) if st is not None else []
            return Rendered.of(lines, _deposit_element(world), token)

        yield LINES.get(key, make, token)


def deposit_lines(
    conn: Connection,
    world: WorldContext,
    account: ledger.StatementAccount,
    from_us: int,
    to_us: int,
) -> tuple[list[Line], list[Element]]:
    """Seeded history and ledger lines of a deposit account made in ``[from_us, to_us)``, with
    their ``Transaction`` elements (both kept in ``cache.LINES``)."""
    lines: list[Line] = []
    elements: list[Element] = []
    parts = list(_ledger_days(conn, world, account, from_us, to_us))
    if from_us < world.partner.created_us:
        parts.insert(0, _seeded(world, account))
    for part in parts:
        more, rendered = part.between(from_us, to_us)
        lines += more
        elements += rendered
    return lines, elements


def _deposit(
    conn: Connection,
    world: WorldContext,
    fip: FipAccount,
    account: ledger.StatementAccount,
    consent_types: Sequence[str],
    from_us: int,
    to_us: int,
    filters: Sequence[DataFilter],
) -> Element:
    children: list[Element] = []
    if "PROFILE" in consent_types:
        children.append(_profile(account))
    if "SUMMARY" in consent_types:
        now = world.now_us
        current = ledger.statement(conn, world.id, account.number, now, now)
        balance = current.balance_before if current is not None else account.opening_balance
        children.append(
            Element(
                "Summary",
                {
                    "currentBalance": world.money(balance),
                    "currency": account.currency,
                    "balanceDateTime": render.timestamp(now),
                    "type": fip.acc_type,
                    "branch": f"{account.bank_name}, branch {account.ifsc[5:]}",
                    "ifscCode": account.ifsc,
                    "micrCode": _micr(account),
                    "openingDate": render.day(account.opened_us),
                    "status": "ACTIVE" if account.status == "ACTIVE" else "INACTIVE",
                },
            )
        )
    if "TRANSACTIONS" in consent_types:
        lines, elements = deposit_lines(conn, world, account, from_us, to_us)
        kept = [e for x, e in zip(lines, elements, strict=True) if keeps(x, filters)]
        children.append(render.transactions_element(kept, from_us, to_us))
    return Element(
        "Account",
        {
            "type": "deposit",
            "maskedAccNumber": fip.masked,
            "version": render.SCHEMA_VERSION,
            "linkedAccRef": fip.link_ref,
        },
        tuple(children),
    )


def _term(
    world: WorldContext,
    fip: FipAccount,
    account: ledger.StatementAccount,
    consent_types: Sequence[str],
    from_us: int,
    to_us: int,
    filters: Sequence[DataFilter],
) -> Element:
    kind = "FIXED" if fip.fi_type == TERM_DEPOSIT else "RECURRING"
    deposit = history.term_deposit(
        seed=world.partner.world_seed,
        country=world.country.code,
        number=account.number,
        kind=kind,
        opening_balance=account.opening_balance,
        anchor_us=world.partner.created_us,
        until_us=world.now_us,
        minor_units=world.country.minor_units,
    )
    money = world.money
    children: list[Element] = []
    if "PROFILE" in consent_types:
        children.append(_profile(account))
    if "SUMMARY" in consent_types:
        maturity = deposit.maturity_amount()
        attrs = {
            "branch": f"{account.bank_name}, branch {account.ifsc[5:]}",
            "openingDate": render.day(deposit.opened_us),
            "ifsc": account.ifsc,
            "accountType": kind,
            "maturityAmount": money(maturity),
            "maturityDate": render.day(deposit.maturity_us),
            "description": "Fixed deposit" if kind == "FIXED" else "Recurring deposit",
            "interestPayout": "ON_MATURITY",
            "interestRate": f"{deposit.rate_bp / 100:.2f}",
            "principalAmount": money(deposit.principal),
            "tenureDays": str(deposit.tenure_months * 30),
            "tenureMonths": str(deposit.tenure_months),
            "tenureYears": str(deposit.tenure_months // 12),
            "interestComputation": "COMPOUND",
            "compoundingFrequency": "QUARTERLY",
            "interestPeriodicPayoutAmount": money(0),
            "interestOnMaturity": money(
                maturity - deposit.principal
                if kind == "FIXED"
                else maturity - deposit.instalment * deposit.tenure_months
            ),
            "currentValue": money(deposit.value_at(world.now_us)),
        }
        if kind == "RECURRING":
            attrs["recurringAmount"] = money(deposit.instalment)
            attrs["recurringDepositDay"] = render.day(deposit.opened_us)[8:].lstrip("0")
        children.append(Element("Summary", attrs))
    if "TRANSACTIONS" in consent_types:
        lines = [line for line in deposit.lines if from_us <= line.at_us < to_us]
        lines = apply_filters(lines, [f for f in filters if f.type == "TRANSACTIONAMOUNT"])
        items = [render.transaction_element(x, money, deposit=False) for x in lines]
        children.append(render.transactions_element(items, from_us, to_us))
    doc_type = "term_deposit" if kind == "FIXED" else "recurring_deposit"
    return Element(
        "Account",
        {
            "type": doc_type,
            "maskedAccNumber": fip.masked,
            "version": render.SCHEMA_VERSION,
            "linkedAccRef": fip.link_ref,
        },
        tuple(children),
    )


def fi_payload(
    conn: Connection,
    world: WorldContext,
    *,
    resident_uid: str,
    link_refs: Sequence[str],
    fi_types: Sequence[str],
    consent_types: Sequence[str],
    from_us: int,
    to_us: int,
    filters: Sequence[DataFilter] = (),
    fmt: str = "xml",
) -> list[AccountPayload]:
    """The FI documents of the resident's accounts ``link_refs`` whose FI type is in
    ``fi_types``, with the sections of ``consent_types`` and the transactions made in
    ``[from_us, to_us)`` (world time) that pass every ``filters`` rule, in ``fmt``.

    Raises ``UnknownAccount`` for a ref that is not one of the resident's accounts, and
    ``FIDataError`` for an unknown format or consent type."""
    if fmt not in FORMATS:
        raise FIDataError("format", f"is {fmt!r}", hint="Ask for xml or json.")
    for ct in consent_types:
        if ct not in CONSENT_TYPES:
            raise FIDataError(
                "consentTypes", f"holds {ct!r}", hint=f"Use {', '.join(CONSENT_TYPES)}."
            )
    held = {a.link_ref: a for a in fip_accounts(conn, world, resident_uid)}
    out = []
    for ref in link_refs:
        fip = held.get(ref)
        if fip is None:
            raise UnknownAccount(
                "linkRefNumber",
                f"{ref!r} is not an account of this customer",
                hint="Use a linkRefNumber from the consent's Accounts.",
            )
        if fip.fi_type not in fi_types or fip.fi_type not in FI_TYPES:
            continue  # the consent does not cover this FI type
        account = ledger.account(conn, world.id, fip.number)
        assert account is not None  # listed by fip_accounts just now
        if fip.fi_type == DEPOSIT:
            element = _deposit(conn, world, fip, account, consent_types, from_us, to_us, filters)
            kind = "deposit"
        else:
            element = _term(world, fip, account, consent_types, from_us, to_us, filters)
            kind = "term_deposit" if fip.fi_type == TERM_DEPOSIT else "recurring_deposit"
        payload = render.to_xml(element, kind) if fmt == "xml" else render.to_json(element)
        out.append(AccountPayload(fip.fip_id, fip.fi_type, ref, fip.masked, fmt, payload))
    return out
