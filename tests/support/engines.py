"""The storage engine a run is on (``--engine sqlite|postgresql``) and a fresh database per test.

SQLite copies a migrated template file; PostgreSQL shares one scratch database per run and
truncates it for each test (cheaper than creating one per test).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from sandbox.settings import Settings
from sandbox.storage.database import make_engine
from sandbox.storage.schema import metadata

PG_ADMIN_URL = os.environ.get(
    "SANDBOX_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True)
class EngineInfo:
    name: str
    url: str  # "" for SQLite (a file per test)
    template: Path | None


def sqlalchemy_url(url: str) -> str:
    """A ``postgresql://`` URL as SQLAlchemy's psycopg 3 dialect wants it."""
    return url.replace("postgresql://", "postgresql+psycopg://")


def pg_unreachable() -> str | None:
    """Why the PostgreSQL server at ``PG_ADMIN_URL`` cannot be used, or ``None`` if it can."""
    engine = sa.create_engine(sqlalchemy_url(PG_ADMIN_URL))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()
    return None


def fresh_database(info: EngineInfo, data_dir: Path) -> str:
    """Give the test an empty, migrated database; return its URL ("" for SQLite)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if info.name == "sqlite":
        assert info.template is not None
        shutil.copyfile(info.template, data_dir / "sandbox.db")
        return ""
    engine = make_engine(Settings(database_url=info.url))
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return info.url
