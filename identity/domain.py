"""Identity as the platform wires it (``sandbox.domains.Domain``): its routes and magic rows."""

from __future__ import annotations

from identity import magic
from identity.api import routers
from sandbox.domains import Domain, Magic, MagicRow

MAGIC = Magic(
    rows=[MagicRow("identity", value, code, text) for value, code, text in magic.ROWS],
    codes=magic.codes(),
)

DOMAIN = Domain(name="identity", routers=routers, magic=MAGIC)
