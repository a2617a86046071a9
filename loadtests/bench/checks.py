"""What the benchmark asks the server besides the load: a partner, the ledger, a double spend.

The double-spend probe sends many concurrent payments that each spend a payer's whole balance
(pooja's, 1.00 at signup; the load never touches her: her balance is below the load's minimum).
Exactly one may succeed and the others must fail with Z9 (insufficient funds), whichever worker
process or commit batch each lands in; her balance must end at zero.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx

from payments.models import MAGIC_CENTS
from sandbox.population.personas import PERSONAS

PROBE_PAYER = "pooja"
PROBE_PAYEE = "ravi@sandbox"


def sign_up(host: str, *, country: str = "IN", timeout: float = 60.0) -> dict[str, Any]:
    """A new partner (its world is as large as the server's ``SANDBOX_WORLD_RESIDENTS``)."""
    with httpx.Client(base_url=host, timeout=timeout) as client:
        response = client.post(
            "/v1/partners",
            json={"name": "Benchmark", "contactEmail": "bench@example.com", "country": country},
        )
        if response.status_code != 201:
            raise RuntimeError(f"signup answered {response.status_code}: {response.text}")
        body: dict[str, Any] = response.json()
        return body


def ledger_check(host: str, api_key: str, *, timeout: float = 120.0) -> dict[str, Any]:
    """``GET /v1/sandbox/ledger/check``."""
    with httpx.Client(base_url=host, timeout=timeout) as client:
        response = client.get(
            "/v1/sandbox/ledger/check", headers={"Authorization": f"Bearer {api_key}"}
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


def _balance(client: httpx.Client, vpa: str) -> str | None:
    response = client.get("/v1/sandbox/personas")
    response.raise_for_status()
    for persona in response.json()["personas"]:
        for account in persona["accounts"]:
            if vpa in account["vpas"]:
                return str(account["balance"])
    return None


def double_spend_probe(
    host: str, api_key: str, *, attempts: int = 24, timeout: float = 60.0
) -> dict[str, Any]:
    """Spend the probe payer's whole balance ``attempts`` times at once; see the module doc."""
    persona = next(p for p in PERSONAS if p.key == PROBE_PAYER)
    payer = f"{persona.accounts[0].vpa_local}@sandbox"
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=host, headers=headers, timeout=timeout) as client:
        before = _balance(client, payer)
    result: dict[str, Any] = {"payer": payer, "attempts": attempts, "balanceBefore": before}
    if before is None or Decimal(before) <= 0:
        return result | {"ok": False, "skipped": f"{payer} has no balance to spend ({before})"}
    if int(Decimal(before) * 100) % 100 in MAGIC_CENTS:
        return result | {"ok": False, "skipped": f"{payer}'s balance {before} is a magic amount"}

    async def spend_all() -> list[tuple[int, str | None]]:
        limits = httpx.Limits(max_connections=attempts)
        async with httpx.AsyncClient(
            base_url=host, headers=headers, timeout=timeout, limits=limits
        ) as client:

            async def one() -> tuple[int, str | None]:
                response = await client.post(
                    "/v1/upi/pay",
                    json={
                        "payer": {"vpa": payer, "pin": persona.pin},
                        "payee": {"vpa": PROBE_PAYEE},
                        "amount": before,
                        "note": "double-spend probe",
                    },
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                code = response.json().get("responseCode") if response.status_code == 200 else None
                return response.status_code, code

            return list(await asyncio.gather(*(one() for _ in range(attempts))))

    answers = asyncio.run(spend_all())
    with httpx.Client(base_url=host, headers=headers, timeout=timeout) as client:
        after = _balance(client, payer)
    codes: dict[str, int] = {}
    for status, code in answers:
        key = code if status == 200 and code is not None else f"HTTP {status}"
        codes[key] = codes.get(key, 0) + 1
    succeeded = codes.get("00", 0)
    ok = succeeded == 1 and codes.get("Z9", 0) == attempts - 1 and Decimal(after or "-1") == 0
    return result | {"succeeded": succeeded, "codes": codes, "balanceAfter": after, "ok": ok}
