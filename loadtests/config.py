"""Configuration of the load tests, read from the environment here and nowhere else.

Every scenario and the benchmark runner take a ``LoadConfig``; ``current()`` reads the
environment of the locust process once, on first use (never at import time). The variables:

======================================  =========================================================
``LOADTEST_API_KEY``                    Load this partner's world. Unset: each locust process signs
                                        up a partner of its own (``POST /v1/partners``).
``LOADTEST_RESIDENTS``                  Generated residents in that world (the server's
                                        ``SANDBOX_WORLD_RESIDENTS`` at signup); their VPAs and PINs
                                        are derived from the world seed. ``0``: personas only.
``LOADTEST_COUNTRY``                    Country of the world (``IN``).
``LOADTEST_AMOUNT``                     Amount of every payment and collect (``1.00``); a magic
                                        amount (cents .07 .08 .16 .30 .91 .92) is refused.
``LOADTEST_MIN_PAYER_BALANCE``          Only VPAs with at least this opening balance (major units)
                                        take part, so balances last (``1000``).
``LOADTEST_HOT_MERCHANT``               The payee of every P2M payment (``meeras.kirana@sandbox``).
``LOADTEST_USER_RPS``                   Each user's constant throughput (tasks per second); unset:
                                        users send as fast as answers come back (saturation).
``LOADTEST_IDEMPOTENCY_KEYS``           Send an ``Idempotency-Key`` with each payment (``true``).
``LOADTEST_STATUS_POOL``                Payments a status poller makes before polling them (``20``).
``LOADTEST_SETUP_TIMEOUT``              Seconds the per-process setup (signup, probes) may take.
``LOADTEST_CHECK_LEDGER``               Each process checks its world's ledger when the test
                                        stops (``true``).
``LOADTEST_AUTH_POOL``                  Encrypted auth requests each process seals before the
                                        identity users start (``256``), sent round robin.
``LOADTEST_CONSENT_POOL``               Approved consents each process makes before the consent
                                        users start (``16``); each serves 45 FI fetches,
                                        one user's at a time.
``LOADTEST_LATENCY_FILE``               Also record latencies at 1% precision (locust rounds to
                                        whole milliseconds) into ``<this>-<pid>.json``.
======================================  =========================================================
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from payments.models import MAGIC_CENTS

ENV_API_KEY = "LOADTEST_API_KEY"
ENV_RESIDENTS = "LOADTEST_RESIDENTS"
ENV_COUNTRY = "LOADTEST_COUNTRY"
ENV_AMOUNT = "LOADTEST_AMOUNT"
ENV_MIN_PAYER_BALANCE = "LOADTEST_MIN_PAYER_BALANCE"
ENV_HOT_MERCHANT = "LOADTEST_HOT_MERCHANT"
ENV_USER_RPS = "LOADTEST_USER_RPS"
ENV_IDEMPOTENCY_KEYS = "LOADTEST_IDEMPOTENCY_KEYS"
ENV_STATUS_POOL = "LOADTEST_STATUS_POOL"
ENV_SETUP_TIMEOUT = "LOADTEST_SETUP_TIMEOUT"
ENV_LATENCY_FILE = "LOADTEST_LATENCY_FILE"
ENV_CHECK_LEDGER = "LOADTEST_CHECK_LEDGER"
ENV_AUTH_POOL = "LOADTEST_AUTH_POOL"
ENV_CONSENT_POOL = "LOADTEST_CONSENT_POOL"

ENV_NAMES = (
    ENV_API_KEY,
    ENV_RESIDENTS,
    ENV_COUNTRY,
    ENV_AMOUNT,
    ENV_MIN_PAYER_BALANCE,
    ENV_HOT_MERCHANT,
    ENV_USER_RPS,
    ENV_IDEMPOTENCY_KEYS,
    ENV_STATUS_POOL,
    ENV_SETUP_TIMEOUT,
    ENV_LATENCY_FILE,
    ENV_CHECK_LEDGER,
    ENV_AUTH_POOL,
    ENV_CONSENT_POOL,
)

DEFAULT_AMOUNT = "1.00"
PAY_PATH = "/v1/upi/pay"
"""The P2P payment every load sends. Here, not in ``scenarios``: importing locust patches
threads into greenlets (gevent), so an in-process harness must never import a scenario."""
DEFAULT_HOT_MERCHANT = "meeras.kirana@sandbox"


class ConfigError(ValueError):
    """A ``LOADTEST_*`` variable has a value the load tests cannot use; the message names it."""


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """What the scenarios need to know about the world they load, and how hard to push."""

    api_key: str | None = None
    residents: int = 0
    country: str = "IN"
    amount: str = DEFAULT_AMOUNT
    min_payer_balance: int = 1000
    hot_merchant: str = DEFAULT_HOT_MERCHANT
    user_rps: float | None = None
    idempotency_keys: bool = True
    status_pool: int = 20
    setup_timeout: float = 30.0
    latency_file: str | None = None
    check_ledger: bool = True
    auth_pool: int = 256
    consent_pool: int = 16

    def __post_init__(self) -> None:
        check_amount(self.amount)
        if self.residents < 0:
            raise ConfigError(f"{ENV_RESIDENTS} must be 0 or more, got {self.residents}")
        if self.user_rps is not None and self.user_rps <= 0:
            raise ConfigError(f"{ENV_USER_RPS} must be positive, got {self.user_rps}")
        if self.status_pool < 1:
            raise ConfigError(f"{ENV_STATUS_POOL} must be at least 1, got {self.status_pool}")
        if self.auth_pool < 1:
            raise ConfigError(f"{ENV_AUTH_POOL} must be at least 1, got {self.auth_pool}")
        if self.consent_pool < 1:
            raise ConfigError(f"{ENV_CONSENT_POOL} must be at least 1, got {self.consent_pool}")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LoadConfig:
        """The configuration the ``LOADTEST_*`` variables of ``env`` describe."""

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def number(name: str, default: float) -> float:
            value = text(name)
            if value is None:
                return default
            try:
                return float(value)
            except ValueError:
                raise ConfigError(f"{name} must be a number, got {value!r}") from None

        def flag(name: str) -> bool:
            return (text(name) or "true").lower() not in ("0", "false", "no", "off")

        user_rps = text(ENV_USER_RPS)
        return cls(
            api_key=text(ENV_API_KEY),
            residents=int(number(ENV_RESIDENTS, 0)),
            country=(text(ENV_COUNTRY) or "IN").upper(),
            amount=text(ENV_AMOUNT) or DEFAULT_AMOUNT,
            min_payer_balance=int(number(ENV_MIN_PAYER_BALANCE, 1000)),
            hot_merchant=text(ENV_HOT_MERCHANT) or DEFAULT_HOT_MERCHANT,
            user_rps=None if user_rps is None else number(ENV_USER_RPS, 0.0),
            idempotency_keys=flag(ENV_IDEMPOTENCY_KEYS),
            status_pool=int(number(ENV_STATUS_POOL, 20)),
            setup_timeout=number(ENV_SETUP_TIMEOUT, 30.0),
            latency_file=text(ENV_LATENCY_FILE),
            check_ledger=flag(ENV_CHECK_LEDGER),
            auth_pool=int(number(ENV_AUTH_POOL, 256)),
            consent_pool=int(number(ENV_CONSENT_POOL, 16)),
        )

    def to_env(self) -> dict[str, str]:
        """The variables that make ``from_env`` return this configuration (for subprocesses)."""
        env = {
            ENV_RESIDENTS: str(self.residents),
            ENV_COUNTRY: self.country,
            ENV_AMOUNT: self.amount,
            ENV_MIN_PAYER_BALANCE: str(self.min_payer_balance),
            ENV_HOT_MERCHANT: self.hot_merchant,
            ENV_IDEMPOTENCY_KEYS: "true" if self.idempotency_keys else "false",
            ENV_STATUS_POOL: str(self.status_pool),
            ENV_SETUP_TIMEOUT: str(self.setup_timeout),
            ENV_CHECK_LEDGER: "true" if self.check_ledger else "false",
            ENV_AUTH_POOL: str(self.auth_pool),
            ENV_CONSENT_POOL: str(self.consent_pool),
        }
        if self.api_key is not None:
            env[ENV_API_KEY] = self.api_key
        if self.user_rps is not None:
            env[ENV_USER_RPS] = repr(self.user_rps)
        if self.latency_file is not None:
            env[ENV_LATENCY_FILE] = self.latency_file
        return env


def check_amount(amount: str) -> int:
    """``amount`` in minor units; refuses malformed and magic amounts (they force a decline)."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise ConfigError(
            f"{ENV_AMOUNT} must be a decimal string like '1.00', got {amount!r}"
        ) from None
    if value <= 0 or value.as_tuple().exponent != -2:
        raise ConfigError(f"{ENV_AMOUNT} must be positive with two decimals, got {amount!r}")
    minor = int(value * 100)
    if minor % 100 in MAGIC_CENTS:
        raise ConfigError(
            f"{ENV_AMOUNT}={amount} ends in a magic cent value that forces a decline or a deemed "
            f"payment; use e.g. {DEFAULT_AMOUNT}"
        )
    return minor


@functools.cache
def current() -> LoadConfig:
    """The configuration of this process, read from its environment on first use."""
    return LoadConfig.from_env(os.environ)
