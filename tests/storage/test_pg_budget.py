"""Several workers' PostgreSQL pools fitted within the server's ``max_connections``: the
arithmetic, the server's figures as read, and ``sandbox serve``'s use of them."""

from __future__ import annotations

import logging
import os
from typing import Any

import click
import pytest

from sandbox import cli
from sandbox.settings import Settings
from sandbox.storage import pg_budget
from sandbox.storage.database import make_engine
from sandbox.storage.pg_budget import Budget

DEFAULTS = {
    "pg_pool_size": 20,
    "pg_max_overflow": 20,
    "pg_sync_pool_size": 5,
    "pg_sync_max_overflow": 10,
}
STOCK = Budget(max_connections=100, reserved=3)  # PostgreSQL's defaults: 82 for the workers


def test_one_worker_at_the_defaults_fits_and_two_lose_background_connections_first() -> None:
    assert pg_budget.fitted(DEFAULTS, 1, STOCK) is None  # 55 <= 82
    two = pg_budget.fitted(DEFAULTS, 2, STOCK)  # 41 each
    assert two == {
        "pg_pool_size": 20,
        "pg_max_overflow": 18,
        "pg_sync_pool_size": 2,
        "pg_sync_max_overflow": 1,
    }


def test_four_workers_split_what_is_left_for_requests_two_to_one() -> None:
    four = pg_budget.fitted(DEFAULTS, 4, STOCK)  # 20 each
    assert four == {
        "pg_pool_size": 11,
        "pg_max_overflow": 6,  # never 0: reads check out beside the held write connections
        "pg_sync_pool_size": 2,
        "pg_sync_max_overflow": 1,
    }
    assert 4 * sum(four.values()) + pg_budget.CLI_RESERVE <= 100 - 3


def test_an_operator_overflow_of_zero_still_leaves_one_when_fitted() -> None:
    fit = pg_budget.fitted({**DEFAULTS, "pg_max_overflow": 0}, 4, STOCK)
    assert fit is not None
    assert fit["pg_max_overflow"] >= 1


def test_a_server_too_small_for_the_workers_is_refused_with_what_to_change() -> None:
    assert pg_budget.fitted(DEFAULTS, 13, STOCK) is not None  # 6 each still fit
    with pytest.raises(pg_budget.TooManyWorkers, match=r"14 workers need at least 84") as exc:
        pg_budget.fitted(DEFAULTS, 14, STOCK)
    assert "max_connections" in str(exc.value)
    assert "--workers" in str(exc.value)


@pytest.mark.usefixtures("postgres_only")
def test_the_budget_is_read_from_the_server(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        budget = pg_budget.read_budget(engine)
        with engine.connect() as conn:
            most = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
    finally:
        engine.dispose()
    assert budget.max_connections == most
    assert budget.for_workers == most - budget.reserved - pg_budget.CLI_RESERVE


@pytest.fixture
def clean_pool_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pools' variables unset, and whatever ``_fit_pools`` sets undone after the test
    (``setenv`` first: it records the variable's prior state, which ``delenv`` alone does not
    for a variable that is absent)."""
    for name in pg_budget.FIELDS:
        monkeypatch.setenv(f"SANDBOX_{name.upper()}", "0")
        monkeypatch.delenv(f"SANDBOX_{name.upper()}")


def _server_budget(settings: Settings) -> Budget:
    engine = make_engine(settings)
    try:
        return pg_budget.read_budget(engine)
    finally:
        engine.dispose()


@pytest.mark.usefixtures("postgres_only", "clean_pool_env")
def test_serve_fits_the_pools_it_was_not_given_and_the_workers_inherit_them(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    budget = _server_budget(make_settings())
    workers = max(2, budget.for_workers // 20)  # more than 55 each would fit
    caplog.set_level(logging.INFO, logger="sandbox.serve")
    alone = cli._fit_pools(make_settings(workers=1))  # one worker: not asked, left as it is
    assert {name: getattr(alone, name) for name in pg_budget.FIELDS} == DEFAULTS
    assert not caplog.text
    fitted = cli._fit_pools(make_settings(workers=workers))
    pools = {name: getattr(fitted, name) for name in pg_budget.FIELDS}
    assert workers * sum(pools.values()) <= budget.for_workers
    for name, value in pools.items():  # the environment the workers are spawned with
        assert os.environ[f"SANDBOX_{name.upper()}"] == str(value)
    assert "PostgreSQL pools fitted to max_connections" in caplog.text


@pytest.mark.usefixtures("postgres_only", "clean_pool_env")
def test_serve_keeps_pools_the_operator_set_and_warns_they_do_not_fit(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    budget = _server_budget(make_settings())
    workers = max(2, budget.for_workers // 20)
    settings = make_settings(workers=workers, pg_pool_size=30)
    kept = cli._fit_pools(settings)
    assert kept.pg_pool_size == 30
    assert kept.pg_max_overflow == DEFAULTS["pg_max_overflow"]
    assert "SANDBOX_PG_POOL_SIZE" not in os.environ
    assert "may exceed PostgreSQL's max_connections" in caplog.text
    assert "SANDBOX_PG_POOL_SIZE set" in caplog.text


@pytest.mark.usefixtures("postgres_only", "clean_pool_env")
def test_serve_refuses_more_workers_than_the_server_has_connections_for(
    make_settings: Any,
) -> None:
    budget = _server_budget(make_settings())
    with pytest.raises(click.ClickException, match="use fewer workers"):
        cli._fit_pools(make_settings(workers=budget.for_workers // 6 + 1))
