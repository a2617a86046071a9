"""ReqValAdd: resolve a VPA to its holder's name, account type and merchant status."""

from __future__ import annotations

from typing import Any

from payments.models import MAGIC_PAYEES
from payments.service.validate import check_vpa
from payments.store import PaymentsStore
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


async def validate(db: Database, world: WorldContext, vpa: str) -> dict[str, Any]:
    address = check_vpa(vpa, "vpa")
    if address in MAGIC_PAYEES:  # magic payees exist so that payments to them reach the switch
        return {"vpa": address, "valid": True, "response_code": "00", "name": "Sandbox magic payee"}
    party = await db.read(lambda conn: PaymentsStore(conn, world.id).party(address))
    if party is None:
        return {"vpa": address, "valid": False, "response_code": "ZH"}
    return {
        "vpa": party.vpa,
        "valid": True,
        "response_code": "00",
        "name": party.name,
        "account_type": party.account_type,
        "ifsc": party.ifsc,
        "verified_merchant": party.is_merchant,
        "merchant_category": party.merchant_category,
    }
