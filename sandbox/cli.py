"""The ``sandbox`` command: serve, migrate, seed, partner create, reset; bench, demo and
rd-service from their own modules (``cli_bench``, ``cli_demo``, ``cli_rdservice``)."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from sandbox.cli_bench import bench
from sandbox.cli_demo import demo
from sandbox.cli_rdservice import rd_service
from sandbox.guides import docs
from sandbox.settings import Settings


def _settings(database_url: str | None = None, **overrides: Any) -> Settings:
    if database_url is not None:
        os.environ["SANDBOX_DATABASE_URL"] = database_url
    for key, value in overrides.items():
        if value is not None:
            os.environ[f"SANDBOX_{key.upper()}"] = str(value)
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:  # name the setting and the rule, never echo the input values
        problems = "; ".join(
            ("SANDBOX_" + "_".join(map(str, e["loc"])).upper() + ": " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise click.ClickException(f"invalid settings: {problems}") from exc


def _database(settings: Settings) -> Any:
    from sandbox.storage.database import open_database

    db = open_database(settings)
    db.start()
    return db


class _Group(click.Group):
    """Reports a database that is unreachable or not migrated in one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import DBAPIError

        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            if "no such table" in reason or "UndefinedTable" in type(exc.orig).__name__:
                reason += " (the schema is missing: run `sandbox migrate` first)"
            raise click.ClickException(f"database error: {reason}") from exc


@click.group(cls=_Group)
def main() -> None:
    """India Stack Sandbox: identity, consent and payment APIs over a synthetic population."""


@main.command()
@click.option("--database-url", default=None, help="postgresql://... (default: SQLite in data dir)")
def migrate(database_url: str | None) -> None:
    """Create or upgrade the schema (safe to run on every start)."""
    settings = _settings(database_url)
    _migrate(settings)
    where = settings.database_url or str(settings.data_dir / "sandbox.db")
    click.echo(f"schema is up to date ({_redact(where)})")


@main.command()
@click.option("--host", default=None, help="Bind address (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option("--workers", default=None, type=int, help="API worker processes (PostgreSQL only).")
@click.option("--database-url", default=None, help="postgresql://... (default: SQLite in data dir)")
@click.option("--demo-partner", is_flag=True, help="Create (once) and print a demo partner's key.")
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    database_url: str | None,
    demo_partner: bool,
) -> None:
    """Serve the API (uvicorn, uvloop, httptools)."""
    import uvicorn

    settings = _settings(database_url, host=host, port=port, workers=workers)
    if settings.is_sqlite and settings.workers > 1:
        raise click.ClickException(
            "the embedded SQLite store has one writer process; use --workers 1, or "
            "--database-url postgresql://... for several workers"
        )
    _migrate(settings)  # once, here, before any worker starts
    settings = _metrics_dir(settings)
    _log_mode(settings)
    settings = _fit_pools(settings)
    base = f"http://{settings.host}:{settings.port}"
    if demo_partner:
        key = _demo_partner_key(settings)
        click.echo(
            f"\n  India Stack Sandbox on {base}\n"
            f"  docs:          {base}/docs\n"
            f"  demo API key:  {key}\n"
            f"  try:           curl -H 'Authorization: Bearer {key}' {base}/v1/sandbox/personas\n"
        )
    uvicorn.run(
        "sandbox.app:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def _metrics_dir(settings: Settings) -> Settings:
    """With several workers, prometheus-client's multiprocess mode: every worker writes its
    samples to files in one directory and /metrics sums them (a scrape lands on one worker).
    The directory is ``PROMETHEUS_MULTIPROC_DIR`` if set, else ``<data dir>/metrics``; it is
    emptied here, before the workers start, or the counters of an earlier run would be added
    in. The variable must be in the environment before a worker imports prometheus_client:
    the workers are spawned after this and inherit it."""
    directory = settings.prometheus_multiproc_dir
    if directory is None and settings.workers == 1:
        return settings
    if directory is None:
        directory = settings.data_dir / "metrics"
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return settings.model_copy(update={"prometheus_multiproc_dir": directory})


def _fit_pools(settings: Settings) -> Settings:
    """Several workers on PostgreSQL: the pools not set by the operator shrunk to fit the
    server's ``max_connections`` (``sandbox.storage.pg_budget``), in the environment the
    workers inherit; pools the operator set are kept, with a warning if they do not fit."""
    if settings.is_sqlite or settings.workers <= 1:
        return settings
    import logging

    from sandbox.storage import pg_budget
    from sandbox.storage.database import make_engine

    engine = make_engine(settings)
    try:
        budget = pg_budget.read_budget(engine)
    finally:
        engine.dispose()
    pools = {name: getattr(settings, name) for name in pg_budget.FIELDS}
    try:
        fit = pg_budget.fitted(pools, settings.workers, budget)
    except pg_budget.TooManyWorkers as exc:
        raise click.ClickException(str(exc)) from exc
    if fit is None:
        return settings
    log = logging.getLogger("sandbox.serve")
    names = ", ".join(f"SANDBOX_{name.upper()}={value}" for name, value in fit.items())
    set_here = sorted(set(pg_budget.FIELDS) & settings.model_fields_set)
    if set_here:
        log.warning(
            "%d workers x %d connections may exceed PostgreSQL's max_connections of %d "
            "(%s set): requests past it fail; it would take %s (docs/deploy-postgresql.md)",
            settings.workers,
            sum(pools.values()),
            budget.max_connections,
            ", ".join(f"SANDBOX_{name.upper()}" for name in set_here),
            names,
        )
        return settings
    for name, value in fit.items():
        os.environ[f"SANDBOX_{name.upper()}"] = str(value)
    log.info(
        "PostgreSQL pools fitted to max_connections=%d for %d workers: %s",
        budget.max_connections,
        settings.workers,
        names,
    )
    return settings.model_copy(update=fit)


def _log_mode(settings: Settings) -> None:
    """One log line that says how this server scales: workers, engine, rate limits, metrics."""
    import logging

    from sandbox.kit.secrets import redact_url
    from sandbox.ops import logs

    logs.configure(settings.log_level)
    mode = {
        "workers": settings.workers,
        "engine": "sqlite" if settings.is_sqlite else "postgresql",
        "rateLimits": "redis" if settings.redis_url else "local",
        "metrics": "multiprocess" if settings.prometheus_multiproc_dir else "single",
    }
    if settings.redis_url:
        note = f"shared by every worker through {redact_url(settings.redis_url)}"
    elif settings.workers > 1:
        note = f"per worker: a key may reach {settings.workers} x the rate; set SANDBOX_REDIS_URL"
    else:
        note = "in this process"
    if settings.prometheus_multiproc_dir:
        note += f"; /metrics sums the workers' files in {settings.prometheus_multiproc_dir}"
    logging.getLogger("sandbox.serve").info(
        "serving: " + " ".join(f"{k}={v}" for k, v in mode.items()) + f" (rate limits {note})",
        extra=mode,
    )


def _migrate(settings: Settings) -> None:
    from sandbox.storage.database import make_engine
    from sandbox.storage.migrate import upgrade

    engine = make_engine(settings)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _demo_partner_key(settings: Settings) -> str:
    """The demo partner's key, kept in the data dir so `make run` reuses one world."""
    from sandbox.partners import service

    path: Path = settings.data_dir / "demo-partner.json"
    db = _database(settings)
    try:
        if path.exists():
            saved = json.loads(path.read_text())
            import anyio

            async def check() -> bool:
                try:
                    await service.authenticate(db, f"Bearer {saved['apiKey']}")
                except Exception:
                    return False
                return True

            if anyio.run(check):
                return str(saved["apiKey"])
        result = service.sign_up_sync(
            db, settings, name="Demo partner", contact_email="demo@example.com", country=None
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"partnerId": result.partner.id, "apiKey": result.api_key}))
        path.chmod(0o600)
        return result.api_key
    finally:
        db.close()


@main.group()
def partner() -> None:
    """Manage partners."""


@partner.command("create")
@click.option("--name", required=True)
@click.option("--email", "contact_email", required=True)
@click.option("--country", default=None, help="IN, TT, AM, SL, SR, AG or PG.")
@click.option("--residents", default=None, type=int, help="Generated residents in the world.")
@click.option("--database-url", default=None)
def partner_create(
    name: str,
    contact_email: str,
    country: str | None,
    residents: int | None,
    database_url: str | None,
) -> None:
    """Create a partner and print its API key (shown once)."""
    from sandbox.errors import SandboxError
    from sandbox.kit.secrets import standard_webhook_secret
    from sandbox.partners import service

    settings = _settings(database_url)
    db = _database(settings)
    try:
        result = service.sign_up_sync(
            db,
            settings,
            name=name,
            contact_email=contact_email,
            country=country,
            residents=residents,
        )
    except SandboxError as exc:
        raise click.ClickException(f"{exc.detail} {exc.hint or ''}") from exc
    finally:
        db.close()
    click.echo(
        json.dumps(
            {
                "partnerId": result.partner.id,
                "apiKey": result.api_key,
                "webhookSecret": result.partner.webhook_secret,
                "standardWebhooksSecret": standard_webhook_secret(result.partner.webhook_secret),
                "country": result.partner.country,
            },
            indent=2,
        )
    )


@main.command()
@click.option("--partner-id", required=True)
@click.option("--database-url", default=None)
def reset(partner_id: str, database_url: str | None) -> None:
    """Restore a partner's world as generated at signup."""
    import anyio

    from sandbox.world import service
    from sandbox.world.context import WorldContext

    settings = _settings(database_url)
    db = _database(settings)
    try:
        world = WorldContext.of(_load_partner(db, partner_id), settings.secret_key)
        # no cache in this process; the servers' caches learn of it by NOTIFY (or age out)
        anyio.run(functools.partial(service.reset, db, settings, world, callers=None))
    finally:
        db.close()
    click.echo(f"world of {partner_id} reset")


@main.command()
@click.option("--residents", required=True, type=click.IntRange(0, 10_000_000))
@click.option("--partner-id", default=None, help="Reseed this partner's world (else a new one).")
@click.option("--country", default=None, help="Country of a new partner.")
@click.option("--database-url", default=None)
def seed(
    residents: int, partner_id: str | None, country: str | None, database_url: str | None
) -> None:
    """Build a large world (personas plus N generated residents), with a progress bar."""
    from sandbox.errors import SandboxError
    from sandbox.kit.clock import SYSTEM_CLOCK
    from sandbox.partners import service as partners
    from sandbox.world import service

    settings = _settings(database_url)
    db = _database(settings)
    try:
        if partner_id is None:
            try:
                created = partners.sign_up_sync(
                    db,
                    settings,
                    name="Seeded world",
                    contact_email="seed@example.com",
                    country=country,
                    residents=0,
                )
            except SandboxError as exc:
                raise click.ClickException(f"{exc.detail} {exc.hint or ''}") from exc
            partner = created.partner
            click.echo(json.dumps({"partnerId": partner.id, "apiKey": created.api_key}))
        else:
            partner = _load_partner(db, partner_id)
        with click.progressbar(length=residents, label="residents", file=sys.stderr) as bar:
            last = 0

            def progress(done: int) -> None:
                nonlocal last
                bar.update(max(0, min(done, residents) - last))
                last = min(done, residents)

            total = service.seed_large(
                db,
                settings,
                partner,
                residents=residents,
                now_us=SYSTEM_CLOCK.now_us(),
                progress=progress,
            )
    finally:
        db.close()
    click.echo(f"world of {partner.id}: {total} residents (personas included)")


def _load_partner(db: Any, partner_id: str) -> Any:
    from sandbox.partners import store

    found = db.read_sync(lambda conn: store.get_partner(conn, partner_id))
    if found is None:
        raise click.ClickException(f"no partner '{partner_id}'")
    return found


def _redact(url: str) -> str:
    from sandbox.kit.secrets import redact_url

    return redact_url(url)


for _command in (bench, demo, docs, rd_service):
    main.add_command(_command)
