"""Routes of the UPI-like switch, one module per flow, gathered into two routers.

``router`` serves ``/v1/upi/...``; ``sandbox_router`` serves the payment parts of
``/v1/sandbox/...`` (magic values, ledger check).
"""

from __future__ import annotations

from fastapi import APIRouter

from payments.api import account, collect, intents, mandates, pay, refunds

router = APIRouter()
sandbox_router = APIRouter()
for module in (pay, collect, refunds, account, intents, mandates):
    router.include_router(module.router)
    if hasattr(module, "sandbox_router"):
        sandbox_router.include_router(module.sandbox_router)
