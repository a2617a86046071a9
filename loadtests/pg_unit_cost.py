"""Instructions per unit of work on PostgreSQL's event-loop path (``PostgresDatabase.write`` and
``read``), the unit itself one raw ``SELECT``: what the per-unit machinery costs (checkout,
greenlet, transaction, checkin, one round trip's Python), apart from any payment. Run under
callgrind (``loadtests.callgrind``); outside it, it only runs the units:

    valgrind --tool=callgrind --instr-atstart=no .venv/bin/python -m loadtests.pg_unit_cost \
        --units 500
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from sqlalchemy.engine import Connection

from loadtests import callgrind
from sandbox.settings import Settings
from sandbox.storage import raw
from sandbox.storage.postgres import PostgresDatabase
from sandbox.storage.raw import Raw

_ONE = Raw("SELECT :x::int")


def _unit(conn: Connection) -> object:
    return raw.fetchone(conn, _ONE, {"x": 1})


async def measure(url: str, units: int) -> dict[str, float]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="pg-unit-cost-")), database_url=url)
    db = PostgresDatabase(settings)
    try:
        for _ in range(100):  # warm-up: connected, statements prepared
            await db.write(_unit)
            await db.read(_unit)
        for kind, run in (("write", db.write), ("read", db.read)):
            with callgrind.counting(kind):
                for _ in range(units):
                    await run(_unit)
    finally:
        db.close()
    if not callgrind.running():
        return {}
    totals = callgrind.totals()
    return {kind: totals[kind] / units / 1000 for kind in ("write", "read")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    per_unit = asyncio.run(measure(args.url, args.units))
    for kind, k in per_unit.items():
        print(f"{kind}: {k:.0f} k instructions per unit")


if __name__ == "__main__":
    main()
