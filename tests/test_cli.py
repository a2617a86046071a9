"""The ``sandbox`` command as a real subprocess (``python -m sandbox ...``) on the test database.

Every failure the CLI reports must be one clean line on stderr and a non-zero exit, never a
traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from loadtests.process import free_port
from sandbox.app import create_app
from sandbox.population.countries import COUNTRIES
from sandbox.population.personas import PERSONAS
from sandbox.settings import DEV_SECRET_KEY, Settings
from sandbox.storage import schema
from sandbox.storage.database import make_engine
from tests.harness.server import sandbox_env
from tests.support.http import client_for

CLI_TIMEOUT = 60.0


def run_cli(
    settings: Settings, *args: str, **env_overrides: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        env=sandbox_env(settings, **env_overrides),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def run_cli_tty_stderr(settings: Settings, *args: str) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (click draws progress bars only on a terminal)."""
    master, slave = os.openpty()
    env = sandbox_env(settings)
    env["COLUMNS"] = "100"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + CLI_TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end of the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stdout.decode(), b"".join(chunks).decode(errors="replace")


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("Error: "), result.stderr


def query(settings: Settings, fn: Callable[[sa.Connection], Any]) -> Any:
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            return fn(conn)
    finally:
        engine.dispose()


def count_residents(settings: Settings, world_id: str) -> int:
    def count(conn: sa.Connection) -> int:
        n: int = conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.residents)
            .where(schema.residents.c.world_id == world_id)
        ).scalar_one()
        return n

    result: int = query(settings, count)
    return result


def count_personas(settings: Settings, world_id: str) -> int:
    r = schema.residents
    result: int = query(
        settings,
        lambda conn: conn.execute(
            sa.select(sa.func.count())
            .select_from(r)
            .where(r.c.world_id == world_id, r.c.persona.is_not(None))
        ).scalar_one(),
    )
    return result


def balances(settings: Settings, world_id: str) -> dict[str, int]:
    a = schema.accounts
    rows = query(
        settings,
        lambda conn: conn.execute(
            sa.select(a.c.number, a.c.balance).where(a.c.world_id == world_id)
        ).all(),
    )
    return {row.number: row.balance for row in rows}


def clock_offset_us(settings: Settings, partner_id: str) -> int:
    p = schema.partners
    result: int = query(
        settings,
        lambda conn: conn.execute(
            sa.select(p.c.clock_offset_us).where(p.c.id == partner_id)
        ).scalar_one(),
    )
    return result


def count_partners(settings: Settings) -> int:
    result: int = query(
        settings,
        lambda conn: conn.execute(
            sa.select(sa.func.count()).select_from(schema.partners)
        ).scalar_one(),
    )
    return result


def create_partner(settings: Settings, *extra: str) -> dict[str, Any]:
    result = run_cli(
        settings, "partner", "create", "--name", "X", "--email", "x@example.com", *extra
    )
    assert result.returncode == 0, result.stderr
    created: dict[str, Any] = json.loads(result.stdout)
    return created


# -- migrate ---------------------------------------------------------------------------------


def test_migrate_is_idempotent(make_settings: Any) -> None:
    settings: Settings = make_settings()
    for _ in range(2):
        result = run_cli(settings, "migrate")
        assert result.returncode == 0, result.stderr
        assert "schema is up to date" in result.stdout
    create_partner(settings)  # the schema still works after the second run
    assert count_partners(settings) == 1


def test_migrate_builds_an_empty_sqlite_store_then_is_idempotent(
    make_settings: Any, tmp_path: Path
) -> None:
    settings: Settings = make_settings(data_dir=tmp_path / "empty", database_url="")
    for _ in range(2):
        result = run_cli(settings, "migrate")
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "empty" / "sandbox.db").exists()
    assert count_partners(settings) == 0


def test_commands_on_an_unmigrated_store_fail_cleanly(make_settings: Any, tmp_path: Path) -> None:
    settings: Settings = make_settings(data_dir=tmp_path / "never-migrated", database_url="")
    result = run_cli(settings, "partner", "create", "--name", "X", "--email", "x@example.com")
    assert_clean_failure(result)
    assert "sandbox migrate" in result.stderr


# -- partner create --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_partner_create_prints_a_key_that_authenticates(make_settings: Any) -> None:
    settings: Settings = make_settings()
    created = create_partner(settings, "--country", "AM")
    assert set(created) >= {"partnerId", "apiKey", "webhookSecret"}
    assert created["country"] == "AM"
    assert created["apiKey"].startswith("sk_sandbox_")
    assert created["webhookSecret"].startswith("whsec_")

    # stored as its SHA-256 only
    k = schema.api_keys
    rows = query(
        settings,
        lambda conn: conn.execute(sa.select(k.c.partner_id, k.c.key_hash, k.c.revoked_us)).all(),
    )
    assert [(r.partner_id, r.revoked_us) for r in rows] == [(created["partnerId"], None)]
    assert rows[0].key_hash == hashlib.sha256(created["apiKey"].encode()).hexdigest()

    # and the app accepts it
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        me = await client.get(
            "/v1/partners/me", headers={"Authorization": f"Bearer {created['apiKey']}"}
        )
        assert me.status_code == 200, me.text
        assert me.json()["partnerId"] == created["partnerId"]
        assert me.json()["country"] == "AM"
        wrong = await client.get(
            "/v1/partners/me", headers={"Authorization": f"Bearer {created['apiKey']}x"}
        )
        assert wrong.status_code == 401


@pytest.mark.parametrize(
    "args",
    [
        ("partner", "create", "--name", "X", "--email", "x@example.com", "--country", "XX"),
        ("seed", "--residents", "3", "--country", "XX"),
    ],
    ids=["partner-create", "seed"],
)
def test_an_unknown_country_fails_naming_the_valid_codes(
    make_settings: Any, args: tuple[str, ...]
) -> None:
    settings: Settings = make_settings()
    result = run_cli(settings, *args)
    assert_clean_failure(result)
    assert "'XX'" in result.stderr
    for code in COUNTRIES:
        assert code in result.stderr, (code, result.stderr)
    assert count_partners(settings) == 0


# -- seed and reset --------------------------------------------------------------------------


def test_seed_reseed_and_reset(make_settings: Any) -> None:
    settings: Settings = make_settings()
    bystander = create_partner(settings)["partnerId"]
    bystander_residents = count_residents(settings, bystander)
    assert bystander_residents == settings.world_residents + len(PERSONAS)

    # a new world of 300 generated residents plus the personas, with a progress bar
    code, stdout, stderr = run_cli_tty_stderr(settings, "seed", "--residents", "300")
    assert code == 0, (stdout, stderr)
    assert "Traceback" not in stderr
    lines = stdout.splitlines()
    seeded = json.loads(lines[0])
    partner_id = seeded["partnerId"]
    assert seeded["apiKey"].startswith("sk_sandbox_")
    assert f"{300 + len(PERSONAS)} residents" in lines[-1]
    assert "residents" in stderr
    assert "[" in stderr
    assert "100%" in stderr, stderr
    assert count_residents(settings, partner_id) == 300 + len(PERSONAS)
    assert count_personas(settings, partner_id) == len(PERSONAS)

    # reseed the same world with 50
    result = run_cli(settings, "seed", "--residents", "50", "--partner-id", partner_id)
    assert result.returncode == 0, result.stderr
    assert partner_id in result.stdout
    assert "apiKey" not in result.stdout  # no new partner
    assert count_residents(settings, partner_id) == 50 + len(PERSONAS)
    assert count_personas(settings, partner_id) == len(PERSONAS)
    assert count_partners(settings) == 2
    assert count_residents(settings, bystander) == bystander_residents

    # play with the world, then reset restores it (50 residents, balances, clock)
    before = balances(settings, partner_id)
    assert before

    def play(conn: sa.Connection) -> None:
        a, p = schema.accounts, schema.partners
        conn.execute(sa.update(a).where(a.c.world_id == partner_id).values(balance=0))
        conn.execute(
            sa.update(p).where(p.c.id == partner_id).values(clock_offset_us=86_400_000_000)
        )

    engine = make_engine(settings)
    try:
        with engine.begin() as conn:
            play(conn)
    finally:
        engine.dispose()
    assert balances(settings, partner_id) != before

    result = run_cli(settings, "reset", "--partner-id", partner_id)
    assert result.returncode == 0, result.stderr
    assert f"world of {partner_id} reset" in result.stdout
    assert count_residents(settings, partner_id) == 50 + len(PERSONAS)
    assert count_personas(settings, partner_id) == len(PERSONAS)
    assert balances(settings, partner_id) == before
    assert clock_offset_us(settings, partner_id) == 0
    assert count_residents(settings, bystander) == bystander_residents


@pytest.mark.parametrize(
    "args",
    [("reset", "--partner-id", "nope"), ("seed", "--residents", "5", "--partner-id", "nope")],
    ids=["reset", "seed"],
)
def test_an_unknown_partner_fails_cleanly(make_settings: Any, args: tuple[str, ...]) -> None:
    settings: Settings = make_settings()
    result = run_cli(settings, *args)
    assert_clean_failure(result)
    assert "no partner 'nope'" in result.stderr


# -- serve -----------------------------------------------------------------------------------


def test_serve_refuses_several_workers_on_sqlite(make_settings: Any, tmp_path: Path) -> None:
    # SQLite whatever --engine says: the refusal comes before the database is touched
    settings: Settings = make_settings(data_dir=tmp_path / "sqlite", database_url="")
    result = run_cli(settings, "serve", "--workers", "2", "--port", str(free_port()))
    assert_clean_failure(result)
    assert "SQLite" in result.stderr
    assert "--workers 1" in result.stderr
    assert not (tmp_path / "sqlite" / "sandbox.db").exists()


def test_serve_reports_an_unreachable_database_cleanly(make_settings: Any) -> None:
    settings: Settings = make_settings()
    result = run_cli(
        settings,
        "serve",
        "--port",
        str(free_port()),
        "--database-url",
        f"postgresql://nobody@127.0.0.1:{free_port()}/nothing",
    )
    assert_clean_failure(result)
    assert "database error" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({}, "SANDBOX_SECRET_KEY"),
        ({"secret_key": "a-real-secret-of-32-characters!!"}, "SANDBOX_ADMIN_TOKEN"),
    ],
    ids=["secret-key", "admin-token"],
)
def test_serve_refuses_production_with_default_secrets(
    make_settings: Any, overrides: dict[str, str], named: str
) -> None:
    settings: Settings = make_settings()
    env = {"environment": "production", **overrides}
    result = run_cli(settings, "serve", "--port", str(free_port()), **env)
    assert_clean_failure(result)
    assert named in result.stderr
    assert "development default" in result.stderr
    # the refusal names the setting but never echoes the values it was given
    assert "a-real-secret" not in result.stderr
    assert DEV_SECRET_KEY not in result.stderr
