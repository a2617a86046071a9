"""Use cases of partners: sign up (with a fresh world), authenticate, rotate keys, update."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace

from sqlalchemy.engine import Connection

from sandbox.kit import secrets
from sandbox.kit.clock import SYSTEM_CLOCK, Clock
from sandbox.kit.ids import new_id
from sandbox.partners import aua, store
from sandbox.partners.cache import CallerCache, forget_after
from sandbox.partners.errors import InvalidApiKey, UnknownCountryCode
from sandbox.partners.models import DEFAULT_WORLD_SEED, Caller, Partner
from sandbox.population.countries import COUNTRIES
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks import service as webhooks
from sandbox.webhooks.service import emit
from sandbox.world import service as world_service
from sandbox.world.context import WorldContext


@dataclass(frozen=True, slots=True)
class SignupResult:
    partner: Partner
    api_key: str


async def sign_up(
    db: Database,
    settings: Settings,
    *,
    name: str,
    contact_email: str,
    webhook_url: str | None,
    country: str | None,
    residents: int | None = None,
    clock: Clock,
) -> SignupResult:
    """Create a partner, its first API key and its world (personas plus generated residents)."""
    code = (country or settings.default_country).upper()
    if code not in COUNTRIES:
        raise UnknownCountryCode(
            "country",
            "known_country",
            f"'{country}' is not a country profile of this sandbox.",
            hint=f"Use one of {', '.join(sorted(COUNTRIES))}.",
        )
    now_us = clock.now_us()
    partner = Partner(
        id=new_id("prt"),
        name=name,
        contact_email=contact_email,
        webhook_url=webhook_url,
        webhook_secret=secrets.new_webhook_secret(),
        country=code,
        world_seed=DEFAULT_WORLD_SEED,
        world_residents=settings.world_residents if residents is None else residents,
        clock_offset_us=0,
        created_us=now_us,
    )
    api_key = secrets.new_api_key()
    world = await world_service.generate(settings, partner, now_us)

    def unit(conn: Connection) -> None:
        store.insert_partner(conn, partner)
        _insert_key(conn, partner.id, api_key, now_us)
        world_service.insert(conn, world)

    await db.write(unit)
    return SignupResult(partner, api_key)


def sign_up_sync(
    db: Database,
    settings: Settings,
    *,
    name: str,
    contact_email: str,
    country: str | None,
    residents: int | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> SignupResult:
    """``sign_up`` for the CLI (no event loop)."""
    import anyio

    async def run() -> SignupResult:
        return await sign_up(
            db,
            settings,
            name=name,
            contact_email=contact_email,
            webhook_url=None,
            country=country,
            residents=residents,
            clock=clock,
        )

    return anyio.run(run)


async def authenticate(
    db: Database, authorization: str | None, cache: CallerCache | None = None
) -> Caller:
    """The caller behind ``Authorization: Bearer <apiKey>``, or ``InvalidApiKey``; from
    ``cache`` when it knows the key (see ``sandbox.partners.cache``)."""
    if not authorization:
        raise InvalidApiKey(
            "This endpoint needs an API key and the request has no Authorization header.",
            hint="Send `Authorization: Bearer <apiKey>`; get a key with POST /v1/partners.",
        )
    scheme, _, key = authorization.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise InvalidApiKey(
            "The Authorization header is not of the form `Bearer <apiKey>`.",
            hint="Send `Authorization: Bearer sk_sandbox_...` (the key from POST /v1/partners).",
        )
    key_hash = secrets.hash_api_key(key)
    if cache is not None:
        cached = cache.get(key_hash)
        if cached is not None:
            return cached
        generation = cache.generation  # before the read: an invalidation during it wins
    found = await db.read(lambda conn: store.find_by_key_hash(conn, key_hash))
    if found is None:
        raise InvalidApiKey(
            "This API key is unknown or has been rotated out.",
            hint="Use the newest key from POST /v1/partners or POST /v1/partners/me/keys.",
        )
    partner, key_id = found
    caller = Caller(partner=partner, key_id=key_id)
    if cache is not None:
        cache.put(key_hash, caller, generation)
    return caller


async def session_caller(db: Database, partner_id: str, key_id: str) -> Caller | None:
    """The caller of a console session signed in with key ``key_id``; None once the key is
    rotated out (the session ends with the key)."""
    partner = await db.read(lambda conn: store.partner_with_active_key(conn, partner_id, key_id))
    return None if partner is None else Caller(partner=partner, key_id=key_id)


async def partner_of_world(db: Database, world_id: str) -> Partner | None:
    """The partner owning world ``world_id`` (a partner owns exactly one, named by its id)."""
    return await db.read(lambda conn: store.get_partner(conn, world_id))


async def find_by_aua(
    db: Database, secret_key: str, ac: str, asalk: str
) -> tuple[Partner | None, bool]:
    """The partner whose AUA code is ``ac``, and whether ``asalk`` is its ASA licence key:
    ``(None, False)`` for an unknown ``ac`` (530), ``(partner, False)`` for a wrong ``asalk``
    (542). Ids sharing the 10-character prefix are told apart by their ``asalk``."""
    if len(ac) != aua.AC_LENGTH or not ac.isalnum() or not ac.isascii():
        return None, False
    found = await db.read(lambda conn: store.partners_with_id_prefix(conn, aua.PARTNER_PREFIX + ac))
    for partner in found:
        expected = aua.credentials(secret_key, partner.id).asalk
        if hmac.compare_digest(asalk.encode(), expected.encode()):
            return partner, True
    return (found[0], False) if found else (None, False)


async def rotate_key(db: Database, world: WorldContext, *, callers: CallerCache | None) -> str:
    """Issue a new key and revoke every other key of the partner, in one transaction; then
    ``callers`` forgets the old key (refused from the next request on)."""
    api_key = secrets.new_api_key()
    now_us = world.real_us

    def unit(conn: Connection) -> None:
        new_key_id = _insert_key(conn, world.partner.id, api_key, now_us)
        store.revoke_keys(conn, world.partner.id, now_us, except_id=new_key_id)
        emit(conn, world, "partner.api_key.rotated", {"prefix": api_key[:16]})

    with forget_after(callers):
        await db.write(unit)
    return api_key


async def update(
    db: Database,
    world: WorldContext,
    *,
    webhook_url: str | None,
    set_webhook_url: bool,
    name: str | None,
    fixed_otp: bool | None = None,
    callers: CallerCache | None,
) -> Partner:
    """Change the partner's settings; a new (or cleared) webhook URL also retargets (or
    cancels) the deliveries still queued, in the same transaction. Then ``callers`` forgets
    the partner (the next request reads it again)."""
    partner = world.partner
    values: dict[str, object] = {}
    if fixed_otp is not None:
        values["fixed_otp"] = fixed_otp
    if set_webhook_url:
        values["webhook_url"] = webhook_url
    if name is not None:
        values["name"] = name
    retarget = set_webhook_url and webhook_url != partner.webhook_url

    def unit(conn: Connection) -> None:
        store.update_partner(conn, partner.id, **values)
        if retarget:
            webhooks.retarget(conn, world, webhook_url)

    if values:
        with forget_after(callers):
            await db.write(unit)
    return replace(partner, **values)  # type: ignore[arg-type]


def _insert_key(conn: Connection, partner_id: str, api_key: str, now_us: int) -> str:
    key_id = new_id("key")
    store.insert_key(
        conn,
        key_id=key_id,
        partner_id=partner_id,
        key_hash=secrets.hash_api_key(api_key),
        prefix=api_key[:16],
        now_us=now_us,
    )
    return key_id
