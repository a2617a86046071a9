"""Consent as the platform wires it (``sandbox.domains.Domain``): its routes, the expiry sweep,
the JWS signer of its ``aa.`` notifications and its magic rows."""

from __future__ import annotations

from collections.abc import Mapping

from consent import magic
from consent.api import routers
from consent.service.lifecycle import sweep
from consent.service.notify import JwsNotificationSigner
from sandbox.domains import Domain, Magic, MagicRow
from sandbox.keys.ring import KeyRing
from sandbox.kit.clock import Clock
from sandbox.ops.periodic import Periodic
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks.signing import Signer


def jobs(db: Database, settings: Settings, clock: Clock) -> list[Periodic]:
    """The expiry sweep (reads expire lapsed consents too; the sweep notifies without one)."""
    if settings.sweep_seconds <= 0:
        return []
    return [
        Periodic(
            "consent-sweeper", settings.sweep_seconds, lambda: sweep(db, settings.secret_key, clock)
        )
    ]


def signers(settings: Settings) -> Mapping[str, Signer]:
    """``aa.`` events: the spec's notification body with a detached JWS."""
    return {"aa.": JwsNotificationSigner(KeyRing.for_settings(settings))}


MAGIC = Magic(
    rows=[MagicRow("aa", value, code, text) for value, code, text in magic.ROWS],
    codes=magic.codes(),
)

DOMAIN = Domain(name="consent", routers=routers, jobs=jobs, signers=signers, magic=MAGIC)
