"""Fixtures every test inherits: an engine (``--engine sqlite|postgresql``), fresh state per
test, the app built by ``create_app(test_settings)``, an HTTP client and signed-up partners."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from sandbox.settings import Settings
from sandbox.storage.database import make_engine
from sandbox.storage.migrate import upgrade
from tests.support.engines import (
    PG_ADMIN_URL,
    EngineInfo,
    fresh_database,
    pg_unreachable,
    sqlalchemy_url,
)
from tests.support.http import SignedUp, client_for, sign_up, started


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="Storage engine the whole suite runs on.",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--engine") != "postgresql":
        return
    problem = pg_unreachable()
    if problem is None:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            f"PostgreSQL at {PG_ADMIN_URL} is unreachable and CI makes its suite mandatory: "
            f"{problem}"
        )
    pytest.exit(
        f"PostgreSQL at {PG_ADMIN_URL} is unreachable, so the PostgreSQL suite is skipped "
        f"here (CI makes it mandatory): {problem}",
        returncode=0,
    )


@pytest.fixture(scope="session")
def engine_info(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineInfo]:
    name = request.config.getoption("--engine")
    if name == "sqlite":
        template_dir = tmp_path_factory.mktemp("template")
        engine = make_engine(Settings(data_dir=template_dir))
        upgrade(engine)
        engine.dispose()
        yield EngineInfo("sqlite", "", template_dir / "sandbox.db")
        return
    db_name = f"sandbox_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sqlalchemy_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db_name
    engine = make_engine(Settings(database_url=url))
    upgrade(engine)
    engine.dispose()
    try:
        yield EngineInfo("postgresql", url, None)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine_name(engine_info: EngineInfo) -> str:
    return engine_info.name


@pytest.fixture
def make_settings(engine_info: EngineInfo, tmp_path: Path) -> Callable[..., Settings]:
    """``make_settings(**overrides)``: test settings on a fresh database of the chosen engine."""
    url = fresh_database(engine_info, tmp_path / "data")

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": url,
            "world_residents": 5,
            "dispatch_webhooks": False,
            "rate_limit_per_second": 10_000.0,
            "rate_limit_burst": 10_000,
            "signup_rate_limit_per_minute": 10_000,
            "webhook_backoff_seconds": 0.05,
            "webhook_poll_seconds": 0.05,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    s: Settings = make_settings()
    return s


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with started(settings) as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


@pytest.fixture
async def partner(client: httpx.AsyncClient) -> SignedUp:
    return await sign_up(client)


@pytest.fixture
async def other_partner(client: httpx.AsyncClient) -> SignedUp:
    return await sign_up(client, name="Team Other", contactEmail="other@example.com")
