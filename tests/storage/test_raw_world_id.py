"""The tenant rule of raw SQL, as a test: every module-level ``Raw`` statement of the platform and
of every domain names ``world_id = :world_id`` (an INSERT binds its ``world_id`` column to
``:world_id``), unless it is on ``CROSS_WORLD`` with its reason.

The modules are found by walking the packages, so a new module, or a new domain package
(identity, consent), is checked the day it appears. The cheap version of Polar's
``lint_org_scope``: it reads the text, so it sees that a statement names its world, not that
every branch of its WHERE keeps to it; the isolation suite (``tests/test_isolation.py``) checks
the routes.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import types
from collections.abc import Iterable, Iterator

import pytest

from sandbox.storage.raw import Raw

PACKAGES = ("sandbox", "payments", "identity", "consent")
NOT_IMPORTED = {
    "sandbox.__main__": "runs the CLI",
    "sandbox.storage.migrations": "Alembic scripts, importable only inside Alembic",
}
CROSS_WORLD = {
    "sandbox.partners.store._FIND_BY_KEY_HASH": (
        "finds the caller's world from its API key: partners and api_keys belong to no world "
        "(a partner's id is its world's id)"
    ),
}

_FILTER = re.compile(r"\bworld_id\s*=\s*:world_id\b", re.IGNORECASE)
_INSERT = re.compile(
    r"^INSERT INTO \w+\s*\(([^)]*)\)\s*VALUES\s*\(([^)]*)\)(.*)$", re.IGNORECASE | re.DOTALL
)
_CONFLICT = re.compile(r"\bON CONFLICT\s*\(([^)]*)\)", re.IGNORECASE)


def unscoped(stmt: Raw) -> str | None:
    """Why ``stmt`` could touch another world's rows, or None if it names its world."""
    sql = stmt.sqlite
    insert = _INSERT.match(sql)
    if insert is None:
        return None if _FILTER.search(sql) else "no `world_id = :world_id`"
    columns = [c.strip().lower() for c in insert.group(1).split(",")]
    values = [v.strip().lower() for v in insert.group(2).split(",")]
    if dict(zip(columns, values, strict=False)).get("world_id") != ":world_id":
        return "an INSERT whose world_id is not :world_id"
    conflict = _CONFLICT.search(insert.group(3))
    if conflict and "world_id" not in [c.strip().lower() for c in conflict.group(1).split(",")]:
        return "ON CONFLICT on a key without world_id (could update another world's row)"
    return None


def domain_modules() -> Iterator[types.ModuleType]:
    for name in PACKAGES:
        if importlib.util.find_spec(name) is None:
            continue  # a domain not written yet
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            if not any(info.name == n or info.name.startswith(f"{n}.") for n in NOT_IMPORTED):
                yield importlib.import_module(info.name)


def statements(modules: Iterable[types.ModuleType]) -> dict[str, Raw]:
    """Every module-level ``Raw`` by its dotted name (a re-export is counted once)."""
    found: dict[str, Raw] = {}
    seen: set[int] = set()
    for module in modules:
        for attr, value in vars(module).items():
            if isinstance(value, Raw) and id(value) not in seen:
                seen.add(id(value))
                found[f"{module.__name__}.{attr}"] = value
    return found


def violations(found: dict[str, Raw]) -> dict[str, str]:
    return {
        name: why
        for name, stmt in found.items()
        if name not in CROSS_WORLD and (why := unscoped(stmt)) is not None
    }


@pytest.fixture(scope="module")
def everything() -> dict[str, Raw]:
    return statements(domain_modules())


def test_every_raw_statement_names_its_world(everything: dict[str, Raw]) -> None:
    assert violations(everything) == {}


def test_the_walk_reaches_the_platform_and_every_domain(everything: dict[str, Raw]) -> None:
    roots = {name.split(".")[0] for name in everything}
    assert {"sandbox", "payments"} <= roots


def test_every_cross_world_entry_is_a_statement_that_exists(everything: dict[str, Raw]) -> None:
    """A renamed or deleted statement must leave the allow-list too."""
    assert set(CROSS_WORLD) <= set(everything)


# -- the check itself can fail ----------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT balance FROM accounts WHERE number = :number",
        "UPDATE accounts SET balance = 0 WHERE world_id = :world_idx AND number = :number",
        "DELETE FROM pin_state WHERE vpa = :vpa OR world_id = :other",
        "INSERT INTO pin_state (vpa, failures) VALUES (:vpa, 0)",
        "INSERT INTO pin_state (world_id, vpa) VALUES (:other_world, :vpa)",
        "INSERT INTO t (world_id, k, n) VALUES (:world_id, :k, 1) "
        "ON CONFLICT (k) DO UPDATE SET n = t.n + 1",
    ],
)
def test_a_statement_without_its_world_is_flagged(sql: str) -> None:
    assert unscoped(Raw(sql)) is not None


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT failures FROM pin_state WHERE world_id = :world_id AND vpa = :vpa",
        "UPDATE accounts SET balance = balance - :amount WHERE world_id = :world_id",
        "INSERT INTO pin_state (world_id, vpa) VALUES (:world_id, :vpa)",
        "INSERT INTO t (world_id, k, n) VALUES (:world_id, :k, 1) "
        "ON CONFLICT (world_id, k) DO UPDATE SET n = t.n + 1",
    ],
)
def test_a_statement_that_names_its_world_passes(sql: str) -> None:
    assert unscoped(Raw(sql)) is None


def test_a_module_level_statement_without_its_world_fails_the_walk() -> None:
    module = types.ModuleType("payments.careless")
    module._ALL_BALANCES = Raw("SELECT number, balance FROM accounts")  # type: ignore[attr-defined]
    assert violations(statements([module])) == {
        "payments.careless._ALL_BALANCES": "no `world_id = :world_id`"
    }
