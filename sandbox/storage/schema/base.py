"""The one ``metadata`` every domain's tables join (``schema/platform.py``, ``schema/payments.py``,
and next ``schema/identity.py``, ``schema/consent.py``).

Conventions: every world-owned table carries ``world_id`` first in its primary key or in an index,
so a store can never forget the tenant; times are UTC epoch microseconds in ``*_us`` columns
(world time where the column says so); money is an integer in minor units beside its currency.

Views are declared on ``views``, never on ``metadata``: the test fixtures truncate and a world
reset deletes from every table of ``metadata``, which a view must not be part of.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

views = sa.MetaData()

# A world-owned table declared with ``info=KEPT_ON_RESET`` survives ``POST /v1/sandbox/reset``
# (sandbox/world/store.py: world_tables): what was already handed out of the world, such as
# the deliveries sent to the partner or a signing key whose signatures are printed on QR codes.
KEPT_ON_RESET: dict[str, bool] = {"kept_on_reset": True}


def kept_on_reset(table: sa.Table) -> bool:
    return bool(table.info.get("kept_on_reset"))
