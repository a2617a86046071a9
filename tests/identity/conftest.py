"""Fixtures of the identity tests: the sandbox's auth key fixed (``keys/auth.pem``, so the
wrong-key case is deterministic and no test pays for RSA key generation), a database with one
partner's world for the HTTP-free service tests, and a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.keys import AuthKey, generate_auth_key
from identity.store import keyfile
from sandbox.kit.clock import ManualClock
from sandbox.partners import service as partners
from sandbox.partners.models import Partner
from sandbox.settings import Settings
from sandbox.storage.database import Database, open_database
from sandbox.world.context import WorldContext

KEYS = Path(__file__).parent / "keys"


def _private(name: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key((KEYS / name).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@pytest.fixture(scope="session")
def fixed_auth_key() -> AuthKey:
    return generate_auth_key(ManualClock().now_us(), private_key=_private("auth.pem"))


@pytest.fixture(scope="session")
def other_auth_key() -> AuthKey:
    return generate_auth_key(ManualClock().now_us(), private_key=_private("other.pem"))


@pytest.fixture
def settings(make_settings: Any, fixed_auth_key: AuthKey) -> Settings:
    """Test settings whose data dir already holds the fixed auth key."""
    s: Settings = make_settings()
    assert keyfile.write(s.data_dir / keyfile.FILE, fixed_auth_key)
    return s


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = open_database(settings)
    database.start()
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
async def stored_partner(db: Database, settings: Settings, clock: ManualClock) -> Partner:
    """A partner and its world (the personas), signed up without HTTP."""
    made = await partners.sign_up(
        db,
        settings,
        name="Team Identity",
        contact_email="identity@example.com",
        webhook_url="http://127.0.0.1:9/",
        country=None,
        clock=clock,
    )
    return made.partner


@pytest.fixture
def world(
    stored_partner: Partner, settings: Settings, clock: ManualClock
) -> Callable[..., WorldContext]:
    """``world()``: the partner's world as of the clock's time now (``world(fixed_otp=True)``
    for a partner that set fixedOtp)."""

    def make(**changes: Any) -> WorldContext:
        from dataclasses import replace

        partner = replace(stored_partner, **changes) if changes else stored_partner
        return WorldContext.of(partner, settings.secret_key, clock)

    return make
