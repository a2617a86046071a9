"""Use cases over a partner's world: generate it, show its personas, reset it, move its clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy.engine import Connection

from sandbox.errors import InvalidRequest
from sandbox.kit.money import format_minor
from sandbox.partners import store as partner_store
from sandbox.partners.cache import CallerCache, forget_after
from sandbox.partners.models import Partner
from sandbox.population.countries import get_country
from sandbox.population.generator import WorldRows, generate_world, insert_world
from sandbox.population.personas import persona_by_key
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext
from sandbox.world.models import AccountView, ClockView, PersonaView
from sandbox.world.store import PopulationStore

MAX_ADVANCE_SECONDS = 10 * 366 * 86_400


@dataclass(frozen=True, slots=True)
class GeneratedWorld:
    world_id: str
    chunks: tuple[WorldRows, ...]


async def generate(settings: Settings, partner: Partner, now_us: int) -> GeneratedWorld:
    """Build the partner's world rows as of real time ``now_us`` (CPU work, off the event loop
    and outside any unit)."""

    def build() -> GeneratedWorld:
        chunks = generate_world(
            world_id=partner.world_id,
            seed=partner.world_seed,
            country=get_country(partner.country),
            residents=partner.world_residents,
            now_us=now_us,
            secret_key=settings.secret_key,
        )
        return GeneratedWorld(partner.world_id, tuple(chunks))

    return await anyio.to_thread.run_sync(build)


def insert(conn: Connection, world: GeneratedWorld) -> None:
    for rows in world.chunks:
        insert_world(conn, rows)
    added = sum(len(rows.residents) for rows in world.chunks)
    PopulationStore(conn, world.world_id).refresh_statistics(added)


async def personas(db: Database, partner: Partner) -> list[PersonaView]:
    minor_units = get_country(partner.country).minor_units

    def unit(conn: Connection) -> list[PersonaView]:
        store = PopulationStore(conn, partner.world_id)
        people = store.personas()
        uids = [p.uid for p in people]
        account_rows = store.accounts_of(uids)
        vpa_rows = store.vpas_of([a.number for a in account_rows])
        handles = {h.resident_uid: h.handle for h in store.aa_handles_of(uids)}
        vpas_by_account: dict[str, list[str]] = {}
        for v in vpa_rows:
            vpas_by_account.setdefault(v.account_number, []).append(v.vpa)
        accounts_by_uid: dict[str, list[AccountView]] = {}
        for a in account_rows:
            accounts_by_uid.setdefault(a.resident_uid, []).append(
                AccountView(
                    number=a.number,
                    ifsc=a.ifsc,
                    bank_code=a.bank_code,
                    bank_name=a.bank_name,
                    bank_online=a.bank_online,
                    type=a.type,
                    currency=a.currency,
                    balance=format_minor(a.balance, minor_units),
                    status=a.status,
                    vpas=tuple(vpas_by_account.get(a.number, ())),
                )
            )
        out = []
        for p in people:
            persona = persona_by_key(p.persona)
            accounts = tuple(accounts_by_uid.get(p.uid, ()))
            first_vpa = next((v for acc in accounts for v in acc.vpas), None)
            out.append(
                PersonaView(
                    key=p.persona,
                    purpose=persona.purpose,
                    name=p.name,
                    name_local=p.name_local,
                    uid=p.uid,
                    dob=p.dob,
                    gender=p.gender,
                    mobile=p.mobile,
                    mobile_verified=p.mobile_verified,
                    email=p.email,
                    language=p.language,
                    biometrics_locked=p.biometrics_locked,
                    vpa=first_vpa,
                    upi_pin=persona.pin,
                    aa_handle=handles.get(p.uid),
                    accounts=accounts,
                )
            )
        order = {key: i for i, key in enumerate(_persona_order())}
        out.sort(key=lambda v: order.get(v.key, len(order)))
        return out

    return await db.read(unit)


def _persona_order() -> list[str]:
    from sandbox.population.personas import PERSONAS

    return [p.key for p in PERSONAS]


async def reset(
    db: Database, settings: Settings, world: WorldContext, *, callers: CallerCache | None
) -> ClockView:
    """Restore the world as generated at signup, and its clock to real time; then ``callers``
    forgets the partner (its cached clock offset changed)."""
    partner = world.partner
    generated = await generate(settings, partner, world.real_us)

    def unit(conn: Connection) -> None:
        PopulationStore(conn, partner.world_id).wipe()
        insert(conn, generated)
        partner_store.update_partner(conn, partner.id, clock_offset_us=0)
        emit(
            conn,
            world,
            "sandbox.world.reset",
            {"residents": partner.world_residents},
            world_us=world.real_us,  # the reset clock reads real time
        )

    with forget_after(callers):
        await db.write(unit)
    return ClockView(now_us=world.real_us, offset_us=0)


def clock(world: WorldContext) -> ClockView:
    return ClockView(now_us=world.now_us, offset_us=world.partner.clock_offset_us)


async def advance_clock(
    db: Database, world: WorldContext, seconds: int, *, callers: CallerCache | None
) -> ClockView:
    """Move the world's clock forward by ``seconds`` (never backward: final states stay final);
    then ``callers`` forgets the partner (its cached clock offset changed)."""
    if not 1 <= seconds <= MAX_ADVANCE_SECONDS:
        raise InvalidRequest(
            "seconds",
            "range",
            f"must be between 1 and {MAX_ADVANCE_SECONDS} (10 years); got {seconds}",
            hint="The clock only moves forward; POST /v1/sandbox/reset brings it back to now.",
        )

    def unit(conn: Connection) -> int:
        offset = partner_store.advance_clock(conn, world.id, seconds * 1_000_000)
        # stamped with the clock's new reading (the stored offset, so concurrent advances count)
        advanced = {"seconds": seconds}
        emit(conn, world, "sandbox.clock.advanced", advanced, world_us=world.real_us + offset)
        return offset

    with forget_after(callers):
        offset = await db.write(unit)
    return ClockView(now_us=world.real_us + offset, offset_us=offset)


def seed_large(
    db: Database,
    settings: Settings,
    partner: Partner,
    *,
    residents: int,
    now_us: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild ``partner``'s world with ``residents`` generated residents, in one transaction.

    For the CLI (``sandbox seed``): the rows are generated and inserted chunk by chunk, with
    ``progress(done)`` after each, and committed together.
    """

    def unit(conn: Connection) -> int:
        PopulationStore(conn, partner.world_id).wipe()
        done = 0
        for rows in generate_world(
            world_id=partner.world_id,
            seed=partner.world_seed,
            country=get_country(partner.country),
            residents=residents,
            now_us=now_us,
            secret_key=settings.secret_key,
        ):
            insert_world(conn, rows)
            done += len(rows.residents)
            if progress is not None:
                progress(done)
        PopulationStore(conn, partner.world_id).refresh_statistics(done)
        partner_store.update_partner(conn, partner.id, world_residents=residents)
        return done

    return db.write_sync(unit)
