"""Routes of the UPI-like switch, one module per flow.

``routers`` lists every module's router for ``create_app`` to include directly: one level of
routers, because each level of nested routers costs route matching on every request.
"""

from __future__ import annotations

from fastapi import APIRouter

from payments.api import account, collect, intents, mandates, pay, refunds
from sandbox.hot import HotRouter

routers: list[APIRouter] = [pay.router, pay.sandbox_router]
routers += [module.router for module in (collect, refunds, account, intents, mandates)]
hot_routers: list[HotRouter] = [pay.hot_router, collect.hot_router]
"""Lean doubles of the payment's routes (``Domain.hot``), matched before every other route."""
