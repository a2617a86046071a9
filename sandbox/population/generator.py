"""Builds a world's rows (residents, banks, accounts, VPAs, AA handles) from a seed.

The rows depend only on ``(seed, country, residents)``, apart from the world id, the PIN hashes
(keyed by the server secret and bound to the world) and the ``*_us`` times (counted back from
``now_us``). The first chunk holds every bank (the country's and the offline bank) and every
persona; generated residents follow in chunks, so a 10-million world never sits in memory.

Generated residents, for tests and docs that need to know them:

- resident ``i`` has ID number ``generated_uid(seed, i)``: an 11-digit body from a keyed
  permutation of ``i`` (so distinct for every ``i``), starting 2-8, plus a Verhoeff check digit;
  persona numbers start with ``9999`` and can never be produced;
- their UPI PIN (the same on all their VPAs) is ``generated_pin(seed, uid)``;
- VPAs are ``<given>.<surname><n>@<psp handle>``; ``n`` counts residents with that name, so the
  VPAs of a world are distinct, and never clash with persona VPAs (which end in a letter);
- the AA handle is ``<given>.<surname><n>@sandbox-aa``, the e-mail ``<same>@example.com/.org/.net``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from sandbox.kit.secrets import pin_hash
from sandbox.population.countries import (
    AA_HANDLE_DOMAIN,
    OFFLINE_BANK,
    Bank,
    CountryProfile,
)
from sandbox.population.identifiers import (
    MAX_RESIDENTS,
    UID_BODY_BASE,
    account_number,
    generated_pin,
    generated_uid,
    permute,
    uid_from_body,
    uid_round_keys,
)
from sandbox.population.names import NamePair, ascii_slug, name_pools
from sandbox.population.personas import OFFLINE_BANK_INDEX, PERSONAS, Persona
from sandbox.population.places import ADDRESS_BOOKS, AddressBook
from sandbox.storage import schema

__all__ = [
    "DAY_US",
    "MAX_RESIDENTS",
    "REFERENCE_DATE",
    "Row",
    "WorldRows",
    "generate_world",
    "generated_pin",
    "generated_uid",
    "insert_world",
    "seed_world",
]

Row = dict[str, Any]

DAY_US = 86_400_000_000
REFERENCE_DATE = date(2026, 1, 1)
"""Ages of generated residents (18 to 80) are counted at this date, not at ``now_us``."""

MERCHANT_CATEGORIES = ("5411", "5499", "5812", "5912", "5331", "4121", "7230", "5691")
"""MCCs of generated merchants: grocery, food stores, restaurants, pharmacy, variety stores,
taxis, beauty salons, clothing."""
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

_PERSONA_SERIAL_BLOCK = 1000
"""Account serials below this are the personas'; generated accounts count up from it."""
_LOG_MIN_BALANCE = math.log(100)
_LOG_MAX_BALANCE = math.log(200_000)


@dataclass
class WorldRows:
    """One chunk of a world: rows ready for ``insert`` into the tables of the same name."""

    residents: list[Row] = field(default_factory=list)
    banks: list[Row] = field(default_factory=list)
    accounts: list[Row] = field(default_factory=list)
    vpas: list[Row] = field(default_factory=list)
    aa_handles: list[Row] = field(default_factory=list)


# --- the builder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Name:
    latin: str
    local: str | None
    slug: str


def _names(pairs: Sequence[NamePair]) -> tuple[_Name, ...]:
    return tuple(_Name(latin, local, ascii_slug(latin) or "x") for latin, local in pairs)


class _WorldBuilder:
    """Holds the random stream and counters of one world while its chunks are built."""

    def __init__(
        self,
        *,
        world_id: str,
        seed: int,
        country: CountryProfile,
        now_us: int,
        secret_key: str,
    ) -> None:
        self.world_id = world_id
        self.seed = seed
        self.country = country
        self.now_us = now_us
        self.secret_key = secret_key
        self.rng = random.Random(f"world:{country.code}:{seed}")
        pools = name_pools(country, seed)
        self.male = _names(pools.given_male)
        self.female = _names(pools.given_female)
        self.surnames = _names(pools.surnames)
        self.book: AddressBook = ADDRESS_BOOKS[country.code]
        self.streets = tuple(
            stem + suffix for stem in self.book.street_stems for suffix in self.book.street_suffixes
        )
        self.uid_keys = uid_round_keys(seed)
        self.name_counts: dict[str, int] = {}
        self.next_index = 0
        self.next_serial = _PERSONA_SERIAL_BLOCK
        self.minor_scale = 10**country.minor_units
        self.persona_mobiles = {
            national for p in PERSONAS if (national := p.national_mobile(country)) is not None
        }
        self.dob_low = date(REFERENCE_DATE.year - 81, 1, 2).toordinal()
        self.dob_span = date(REFERENCE_DATE.year - 18, 1, 1).toordinal() - self.dob_low + 1

    # -- shared pieces

    def _digits(self, rng: random.Random, count: int) -> str:
        return f"{int(rng.random() * 10**count):0{count}d}" if count > 0 else ""

    def _address(self, rng: random.Random) -> tuple[dict[str, str | None], int]:
        """A random address and the index of its place in the address book."""
        book = self.book
        place_index = int(rng.random() * len(book.places))
        place = book.places[place_index]
        street = self.streets[int(rng.random() * len(self.streets))]
        postcode: str | None = None
        if book.postcode_length:
            rest = book.postcode_length - len(place.postcode_prefix)
            postcode = place.postcode_prefix
            if rest > 0:
                postcode += f"{1 + int(rng.random() * (10**rest - 1)):0{rest}d}"
        address = {
            "house": str(1 + int(rng.random() * 300)),
            "street": street,
            "locality": place.locality,
            "district": place.district,
            "state": place.state,
            "postcode": postcode,
            "country": self.country.code,
        }
        return address, place_index

    def _bank_row(self, bank: Bank) -> Row:
        return {
            "world_id": self.world_id,
            "code": bank.code,
            "name": bank.name,
            "psp_handle": bank.psp_handle,
            "online": bank is not OFFLINE_BANK,
        }

    def _account_rows(
        self,
        rows: WorldRows,
        *,
        uid: str,
        bank_index: int,
        serial: int,
        branch: str,
        vpa: str,
        type_: str,
        status: str,
        opening_balance: int,
        opened_us: int,
        registered_us: int,
        pin: str | None,
        merchant_category: str | None,
    ) -> None:
        bank = OFFLINE_BANK if bank_index == OFFLINE_BANK_INDEX else self.country.banks[bank_index]
        number = account_number(bank_index, serial)
        rows.accounts.append(
            {
                "world_id": self.world_id,
                "number": number,
                "resident_uid": uid,
                "bank_code": bank.code,
                "ifsc": f"{bank.code}0{branch}",
                "type": type_,
                "currency": self.country.currency,
                "opening_balance": opening_balance,
                "balance": opening_balance,
                "status": status,
                "opened_us": opened_us,
            }
        )
        rows.vpas.append(
            {
                "world_id": self.world_id,
                "vpa": vpa,
                "account_number": number,
                "pin_hash": None
                if pin is None
                else pin_hash(self.secret_key, self.world_id, vpa, pin),
                "is_merchant": merchant_category is not None,
                "merchant_category": merchant_category,
                "registered_us": registered_us,
            }
        )

    # -- chunks

    def first_chunk(self) -> WorldRows:
        rows = WorldRows(banks=[self._bank_row(bank) for bank in self.country.all_banks])
        for position, persona in enumerate(PERSONAS):
            self._add_persona(rows, position, persona)
        return rows

    def _add_persona(self, rows: WorldRows, position: int, persona: Persona) -> None:
        country = self.country
        address, _ = self._address(random.Random(f"persona:{country.code}:{persona.key}"))
        languages = country.languages
        language = persona.language if persona.language in languages else None
        rows.residents.append(
            {
                "world_id": self.world_id,
                "uid": persona.uid,
                "name": persona.name,
                "name_local": persona.name_local if country.local_script == "Deva" else None,
                "dob": persona.dob,
                "gender": persona.gender,
                "address": address,
                "mobile": persona.e164_mobile(country),
                "mobile_verified": persona.mobile_verified,
                "email": persona.email,
                "language": language or ("en" if "en" in languages else languages[0]),
                "biometrics_locked": persona.biometrics_locked,
                "persona": persona.key,
            }
        )
        for number, account in enumerate(persona.accounts):
            opened_us = self.now_us - (400 + 30 * position + number) * DAY_US
            self._account_rows(
                rows,
                uid=persona.uid,
                bank_index=account.bank,
                serial=position * 10 + number + 1,
                branch="000001",
                vpa=account.vpa(self.country),
                type_=account.type,
                status=account.status,
                opening_balance=account.opening_balance * self.minor_scale,
                opened_us=opened_us,
                registered_us=self.now_us if persona.new_vpa else opened_us + DAY_US,
                pin=persona.pin if account.pin_set else None,
                merchant_category=account.merchant_category if account.is_merchant else None,
            )
        rows.aa_handles.append(
            {"world_id": self.world_id, "handle": persona.aa_handle, "resident_uid": persona.uid}
        )

    def chunk(self, count: int) -> WorldRows:
        rows = WorldRows()
        for _ in range(count):
            self._add_resident(rows)
        return rows

    def _add_resident(self, rows: WorldRows) -> None:
        rng = self.rng
        rand = rng.random
        country = self.country
        index = self.next_index
        self.next_index += 1
        uid = uid_from_body(UID_BODY_BASE + permute(index, self.uid_keys))

        draw = rand()
        gender = "F" if draw < 0.495 else "M" if draw < 0.99 else "T"
        given_pool = self.female if gender == "F" or (gender == "T" and rand() < 0.5) else self.male
        given = given_pool[int(rand() * len(given_pool))]
        surname = self.surnames[int(rand() * len(self.surnames))]
        base = f"{given.slug}.{surname.slug}"
        count = self.name_counts.get(base, 0) + 1
        self.name_counts[base] = count
        local = f"{base}{count}"

        address, place_index = self._address(rng)
        place = self.book.places[place_index]
        draw = rand()
        if place.language is not None and place.language in country.languages and draw < 0.5:
            language = place.language
        elif draw < 0.8 or len(country.languages) == 1:
            language = country.languages[0]
        else:
            language = country.languages[1 + int(rand() * (len(country.languages) - 1))]

        mobile: str | None = None
        mobile_verified = False
        if rand() >= 0.01:
            prefixes = country.mobile_prefixes
            national = ""
            while not national or national in self.persona_mobiles:
                prefix = prefixes[int(rand() * len(prefixes))]
                national = prefix + self._digits(rng, country.national_number_length - len(prefix))
            mobile = country.calling_code + national
            mobile_verified = rand() < 0.97
        email = (
            f"{local}@{EMAIL_DOMAINS[int(rand() * len(EMAIL_DOMAINS))]}" if rand() < 0.85 else None
        )
        rows.residents.append(
            {
                "world_id": self.world_id,
                "uid": uid,
                "name": f"{given.latin} {surname.latin}",
                "name_local": None
                if given.local is None or surname.local is None
                else f"{given.local} {surname.local}",
                "dob": date.fromordinal(self.dob_low + int(rand() * self.dob_span)).isoformat(),
                "gender": gender,
                "address": address,
                "mobile": mobile,
                "mobile_verified": mobile_verified,
                "email": email,
                "language": language,
                "biometrics_locked": rand() < 0.01,
                "persona": None,
            }
        )
        self._add_resident_accounts(rows, uid, local, place_index)
        rows.aa_handles.append(
            {
                "world_id": self.world_id,
                "handle": f"{local}@{AA_HANDLE_DOMAIN}",
                "resident_uid": uid,
            }
        )

    def _add_resident_accounts(self, rows: WorldRows, uid: str, local: str, place: int) -> None:
        rand = self.rng.random
        n_banks = len(self.country.banks)
        first_bank = int(rand() * n_banks)
        bank_indexes = [first_bank]
        if rand() < 0.3:
            bank_indexes.append((first_bank + 1 + int(rand() * (n_banks - 1))) % n_banks)
        merchant = rand() < 0.02
        pin = generated_pin(self.seed, uid)
        branch = f"{place + 1:03d}{1 + int(rand() * 40):03d}"
        for position, bank_index in enumerate(bank_indexes):
            is_merchant = merchant and position == 0
            draw = rand()
            if is_merchant:
                type_, status = "CURRENT", "ACTIVE"
            else:
                type_ = "CURRENT" if draw < 0.05 else "SAVINGS"
                draw = rand()
                status = "FROZEN" if draw < 0.01 else "DORMANT" if draw < 0.02 else "ACTIVE"
            log_major = _LOG_MIN_BALANCE + rand() * (_LOG_MAX_BALANCE - _LOG_MIN_BALANCE)
            balance = int(math.exp(log_major)) * self.minor_scale + int(rand() * self.minor_scale)
            age_days = 30 + int(rand() * 3620)
            opened_us = self.now_us - age_days * DAY_US - int(rand() * DAY_US)
            serial = self.next_serial
            self.next_serial += 1
            self._account_rows(
                rows,
                uid=uid,
                bank_index=bank_index,
                serial=serial,
                branch=branch,
                vpa=f"{local}@{self.country.banks[bank_index].psp_handle}",
                type_=type_,
                status=status,
                opening_balance=balance,
                opened_us=opened_us,
                registered_us=opened_us + int(rand() * (age_days - 2)) * DAY_US,
                pin=pin,
                merchant_category=MERCHANT_CATEGORIES[int(rand() * len(MERCHANT_CATEGORIES))]
                if is_merchant
                else None,
            )


# --- public entry points -------------------------------------------------------------------


def generate_world(
    *,
    world_id: str,
    seed: int,
    country: CountryProfile,
    residents: int,
    now_us: int,
    secret_key: str,
    chunk: int = 5000,
) -> Iterator[WorldRows]:
    """Chunks of a world: banks and personas first, then ``residents`` generated residents
    (in addition to the personas), ``chunk`` at a time. The rows do not depend on ``chunk``."""
    if not 0 <= residents <= MAX_RESIDENTS:
        raise ValueError(f"residents must be in [0, {MAX_RESIDENTS}], got {residents}")
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    builder = _WorldBuilder(
        world_id=world_id, seed=seed, country=country, now_us=now_us, secret_key=secret_key
    )
    yield builder.first_chunk()
    for start in range(0, residents, chunk):
        yield builder.chunk(min(chunk, residents - start))


_TABLES: tuple[tuple[str, sa.Table], ...] = (
    ("banks", schema.banks),
    ("residents", schema.residents),
    ("accounts", schema.accounts),
    ("vpas", schema.vpas),
    ("aa_handles", schema.aa_handles),
)


def insert_world(conn: sa.Connection, rows: WorldRows) -> None:
    """Bulk-insert one chunk (one executemany per table) in the caller's transaction."""
    for attribute, table in _TABLES:
        table_rows: list[Row] = getattr(rows, attribute)
        if table_rows:
            conn.execute(table.insert(), table_rows)


def seed_world(
    conn: sa.Connection,
    *,
    world_id: str,
    seed: int,
    country: CountryProfile,
    residents: int,
    now_us: int,
    secret_key: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Generate and insert a whole world in the caller's transaction; calls ``progress`` with the
    residents inserted so far (personas included) after each chunk and returns their total."""
    done = 0
    for rows in generate_world(
        world_id=world_id,
        seed=seed,
        country=country,
        residents=residents,
        now_us=now_us,
        secret_key=secret_key,
    ):
        insert_world(conn, rows)
        done += len(rows.residents)
        if progress is not None:
            progress(done)
    return done
