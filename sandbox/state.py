"""What one app instance holds: built by ``create_app``, reached by routes through ``deps``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sandbox.domains import Domain
from sandbox.keys.ring import KeyRing
from sandbox.kit.clock import SYSTEM_CLOCK, Clock
from sandbox.ops.middleware import Metrics
from sandbox.ops.ratelimit import Limiter
from sandbox.partners.cache import CallerCache
from sandbox.settings import Settings
from sandbox.storage.database import Database
from sandbox.webhooks.dispatcher import Dispatcher


@dataclass
class AppState:
    settings: Settings
    db: Database
    metrics: Metrics
    limiter: Limiter  # per API key (and per AUA); in-process, or shared through Redis
    signup_limiter: Limiter
    keys: KeyRing  # the signing key and the JWKS; its key file is made on first use
    dispatcher: Dispatcher | None = None
    clock: Clock = field(default=SYSTEM_CLOCK)  # real time; worlds add their offsets
    domains: Sequence[Domain] = ()  # as installed by create_app (the magic listing walks them)
    # the partner behind each recent API key (sandbox.partners.cache); off when size is 0
    callers: CallerCache = field(default_factory=lambda: CallerCache(enabled=False))
