"""Settings of one sandbox process, read from the environment (prefix ``SANDBOX_``).

``Settings`` is passed into ``create_app``; nothing in the code base reads the environment on its
own. Outside development mode the default secrets are refused, so an organiser cannot expose a
sandbox whose admin token or PIN key is printed in this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - the refused default
DEV_ADMIN_TOKEN = "dev-only-admin-token"  # noqa: S105 - the refused default
_MOST_CONNECTIONS = 1000  # per pool setting: more is a typo, not a plan


class Settings(BaseSettings):
    """Everything a sandbox process can be told, with safe defaults for a laptop."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses the default secret key and admin token.",
    )
    data_dir: Path = Field(Path("data"), description="Where the SQLite file and keys live.")
    signing_key_file: Path | None = Field(
        None,
        description=(
            "PEM file of the RSA key that signs JWS answers (made there if missing); default "
            "`<data dir>/keys/signing.pem`. Point every host at the same file when several "
            "hosts share one PostgreSQL database, so that they publish and sign with one key."
        ),
    )
    database_url: str = Field(
        "",
        description=(
            "Empty for the embedded SQLite store in the data dir; "
            "`postgresql://user@host:5432/db` for PostgreSQL."
        ),
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    secret_key: str = Field(
        DEV_SECRET_KEY,
        min_length=16,
        description="Keys the hashes of UPI PINs and other secrets stored by the sandbox.",
    )
    admin_token: str = Field(
        DEV_ADMIN_TOKEN,
        min_length=16,
        description="Bearer token for admin-only calls (signup when closed).",
    )
    signup: Literal["open", "admin"] = Field(
        "open",
        description="`admin` closes self-signup: POST /v1/partners then needs the admin token.",
    )
    rate_limit_per_second: float = Field(
        200.0, gt=0, description="Sustained requests per second allowed per API key."
    )
    rate_limit_burst: int = Field(400, ge=1, description="Requests an API key may send at once.")
    signup_rate_limit_per_minute: int = Field(
        30, ge=1, description="Partner signups per minute per client address."
    )
    redis_url: str = Field(
        "",
        description=(
            "Empty: rate limits in each process's memory (with N workers a key gets N times the "
            "rate). `redis://host:6379/0`: one budget per key shared by every worker and host."
        ),
    )
    redis_prefix: str = Field(
        "sandbox:", description="Prefix of this sandbox's Redis keys (several may share one)."
    )
    redis_timeout_seconds: float = Field(
        0.25,
        gt=0,
        description="Longest wait for Redis; past it the request is limited in-process.",
    )
    prometheus_multiproc_dir: Path | None = Field(
        None,
        validation_alias=AliasChoices("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir"),
        description=(
            "prometheus-client's multiprocess directory (`PROMETHEUS_MULTIPROC_DIR`, no prefix): "
            "set, /metrics sums the files of every worker. `sandbox serve --workers N` (N > 1) "
            "sets it to `<data dir>/metrics` and empties it at start."
        ),
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Larger request bodies get 413.")
    world_residents: int = Field(
        40, ge=0, le=10_000, description="Generated residents per new world, besides the personas."
    )
    default_country: str = "IN"
    webhook_timeout_seconds: float = Field(5.0, gt=0)
    webhook_max_attempts: int = Field(6, ge=1, le=20)
    webhook_backoff_seconds: float = Field(
        2.0, gt=0, description="First retry delay; doubles per attempt, capped at 300 s."
    )
    webhook_poll_seconds: float = Field(0.5, gt=0)
    dispatch_webhooks: bool = Field(True, description="Run the webhook dispatcher in this process.")
    sweep_seconds: float = Field(
        1.0, ge=0, description="How often deemed payments and collects are swept (0: never)."
    )
    otp_sweep_seconds: float = Field(
        60.0,
        ge=0,
        description="How often OTPs expired for an hour of world time are deleted (0: never).",
    )
    gc_gen0_threshold: int = Field(
        50_000,
        ge=0,
        description="sandbox serve: the young generation's GC threshold after start-up, when "
        "the objects made by start-up are frozen out of collections (0: Python's defaults).",
    )
    loop_lag_seconds: float = Field(
        0.0,
        ge=0,
        description="How often the event loop's lateness is sampled into "
        "sandbox_event_loop_lag_seconds on /metrics (0: never).",
    )
    log_level: str = "INFO"
    access_log: bool = Field(False, description="Log every request (costs CPU under load).")
    api_key_cache_size: int = Field(
        10_000,
        ge=0,
        description="API keys whose partner each worker keeps in memory (0: read every request's).",
    )
    api_key_cache_seconds: float = Field(
        5.0,
        gt=0,
        description="Longest a cached key is used without a change notification (safety net).",
    )
    group_commit_max: int = Field(
        512, ge=1, description="Most write units one SQLite commit may carry."
    )
    writer_slice_ms: float = Field(
        2.0,
        ge=0,
        description="SQLite: longest the event loop runs a batch's units before it lets other "
        "callbacks run (the batch keeps its one transaction and COMMIT; 0: a batch in one go).",
    )
    sqlite_commit_on_loop_max: int = Field(
        0,
        ge=0,
        description="SQLite: batches of at most this many units COMMIT on the event loop itself "
        "(no hand-off to the commit thread and back; the loop waits for the COMMIT's fsync); "
        "larger batches COMMIT on the commit thread (0: every batch there).",
    )
    sqlite_cache_mb: int = Field(
        256,
        ge=1,
        description="SQLite: the most the writer connection's page cache holds, in MB (SQLite's "
        "own default is 2 MB; filled only as pages are read). The pages a payment reads and "
        "changes (index leaves of its payer and payee, their accounts) stay in memory instead "
        "of being read again from the file; 256 keeps a world of a million payments' hot pages. "
        "While the database is under 1 GB the writer keeps at most 32 MB: there SQLite walks "
        "the whole cache at a COMMIT after a B-tree split.",
    )
    sqlite_checkpoints: Literal["beside", "held", "completed"] = Field(
        "beside",
        description="SQLite: how the WAL is copied into the database file. beside: a PASSIVE "
        "checkpoint every second beside the writer, at SCHED_IDLE where the process may leave "
        "that class again (under a steady load the WAL restarts at the "
        "first pause, or once it reaches 1 GB: that copy is completed holding the writer for "
        "tens of ms). held: every 0.2 s, in a gap between the writer's batches, holding it "
        "(the WAL stays small under any load, but a saturated writer loses 12-20% of its rate). "
        "completed: beside, then the writer held from the end of the batch in flight for the last "
        "frames and the database file's sync, so the WAL restarts every second under any load "
        "(each hold ends with the database file's fsync: up to 0.3 s on a busy shared disk).",
    )
    sqlite_mmap_mb: int = Field(
        0,
        ge=0,
        description="SQLite: how much of the database file the writer and reader connections map "
        "into memory, in MB (0: none; pages are read with pread).",
    )

    pg_pool_size: int = Field(
        20,
        description="PostgreSQL: connections each worker keeps open for requests (the event "
        "loop's pool); see docs/deploy-postgresql.md for the budget against max_connections.",
    )
    pg_max_overflow: int = Field(
        20, description="PostgreSQL: connections a worker may open beyond the pool at a peak."
    )
    pg_sync_pool_size: int = Field(
        5, description="PostgreSQL: connections kept per process for the CLI and tool threads."
    )
    pg_sync_max_overflow: int = Field(
        10, description="PostgreSQL: connections beyond `pg_sync_pool_size` at a peak."
    )

    @field_validator("pg_pool_size", "pg_max_overflow", "pg_sync_pool_size", "pg_sync_max_overflow")
    @classmethod
    def _pool_bounds(cls, value: int, info: ValidationInfo) -> int:
        least = 1 if info.field_name in ("pg_pool_size", "pg_sync_pool_size") else 0
        if not least <= value <= _MOST_CONNECTIONS:
            name = f"SANDBOX_{(info.field_name or '').upper()}"
            raise ValueError(
                f"{name} is {value}; it must be between {least} and {_MOST_CONNECTIONS} "
                "(connections per worker process: keep workers x (pool + overflow) under "
                "PostgreSQL's max_connections, see docs/deploy-postgresql.md)"
            )
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment != "development":
            if self.secret_key == DEV_SECRET_KEY:
                raise ValueError(
                    "SANDBOX_SECRET_KEY is the development default; set a random value "
                    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
                )
            if self.admin_token == DEV_ADMIN_TOKEN:
                raise ValueError(
                    "SANDBOX_ADMIN_TOKEN is the development default; set a random value"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return not self.database_url or self.database_url.startswith("sqlite")

    @property
    def sqlalchemy_url(self) -> str:
        """The URL SQLAlchemy understands (psycopg 3 driver for PostgreSQL)."""
        if not self.database_url:
            return f"sqlite:///{(self.data_dir / 'sandbox.db').resolve()}"
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
