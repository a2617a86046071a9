"""PostgreSQL's generic plans of the payment path's reads: a lookup per row wanted, never a
scan of a world's rows. psycopg prepares a statement on its second run, and PostgreSQL then
plans it once for any parameters; these plans are taken the same way (``force_generic_plan``)
on a fresh database, whose tables have no statistics yet, as a new bench database has."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from payments.store import sql
from sandbox.settings import Settings
from sandbox.storage.database import make_engine
from sandbox.storage.pg_queue import _positional
from tests.support.http import SignedUp
from tests.support.upi import pay

pytestmark = pytest.mark.anyio


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def generic_plan(settings: Settings, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes of the generic plan of ``text`` (``%(name)s`` parameters) run with
    ``params``, as psycopg's prepared statement would have it."""
    query, names = _positional(text)
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            types = ", ".join("text" for _ in names)
            conn.exec_driver_sql(f"PREPARE hot ({types}) AS {query.decode()}")
            values = ", ".join(f"'{params[n]}'" for n in names)  # test constants, no quotes
            found = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) EXECUTE hot ({values})")
            (document,) = found.scalar_one()  # psycopg reads the json column as a list
            return list(_nodes(document["Plan"]))
    finally:
        engine.dispose()


async def test_the_party_read_looks_up_each_partys_pin_tries(
    engine_name: str, settings: Settings, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Both parties with their PIN tries (``PARTIES_WITH_PINS``): ``pin_state`` is read by its
    key (world and VPA), not by the world alone (which read every PIN row of the world for
    each payment before the table was first sampled)."""
    if engine_name != "postgresql":
        pytest.skip("PostgreSQL's generic plans")
    for payer in ("asha@sandbox", "kabir@sandbox", "lakshmi@sandbox"):  # rows in pin_state
        await pay(client, partner, payer, "ravi@sandbox", "1.00", pin="999999")
    nodes = generic_plan(
        settings,
        sql.PARTIES_WITH_PINS.pg,
        {"world_id": partner.partner_id, "a": "asha@sandbox", "b": "ravi@sandbox"},
    )
    reads = [n for n in nodes if n.get("Relation Name") == "pin_state"]
    assert reads, nodes
    for node in reads:
        assert node["Node Type"] in ("Index Scan", "Index Only Scan"), node
        assert "vpa" in node.get("Index Cond", ""), node
