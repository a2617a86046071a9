"""Consent's routes, flat in ``routers``: the AA API (/aa) and the partner's /v1 routes."""

from consent.api.aa import router as aa_router
from consent.api.consents import router as consents_router
from consent.api.consents import sandbox_router, settings_router
from consent.api.sessions import router as sessions_router

routers = [aa_router, consents_router, sessions_router, sandbox_router, settings_router]
