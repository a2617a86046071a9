"""Collect and approve: the payee requests money, the payer approves it with the UPI PIN.

``POST /v1/upi/collect`` answers a PENDING transaction; ``POST /v1/upi/collect/{txnId}/approve``
with the payer's PIN moves the money (responseCode 00). On a sandbox without the collect routes
(the setup probe got 404), the flow is skipped with one warning per process, not failed.
"""

from __future__ import annotations

import uuid
from typing import Any

from locust import task
from locust.exception import StopUser

from loadtests.scenarios.base import SandboxUser
from loadtests.world import COLLECT_PATH, warn_once

CREATE_NAME = f"POST {COLLECT_PATH}"
APPROVE_NAME = f"POST {COLLECT_PATH}/{{txnId}}/approve"
MISSING = (
    f"the collect routes are not on this sandbox (POST {COLLECT_PATH} answered 404): "
    "the collect scenario is skipped"
)


def collect_available(user: SandboxUser) -> bool:
    """Whether the collect routes exist (warns once per process when they do not)."""
    if user.world.collect_available:
        return True
    warn_once("collect-missing", MISSING)
    return False


def collect_and_approve(user: SandboxUser) -> dict[str, Any] | None:
    """Request the configured amount from a random payer and approve it; the approval's answer."""
    if not collect_available(user):
        return None
    payer, payee = user.world.parties.pair(user.rng)
    headers = {"Idempotency-Key": uuid.uuid4().hex} if user.config.idempotency_keys else None
    created = user.call(
        "POST",
        COLLECT_PATH,
        name=CREATE_NAME,
        json={
            "payee": {"vpa": payee.vpa},
            "payer": {"vpa": payer.vpa},
            "amount": user.config.amount,
            "note": "load test",
        },
        headers=headers,
        expect_status=(200, 201),
        expect_code=None,
        expect_txn_status="PENDING",
    )
    if created is None:
        return None
    return user.call(
        "POST",
        f"{COLLECT_PATH}/{created['txnId']}/approve",
        name=APPROVE_NAME,
        json={"pin": payer.pin},
    )


class CollectApproveUser(SandboxUser):
    """Requests money and approves it at once (two requests per task)."""

    def on_start(self) -> None:
        super().on_start()
        if not collect_available(self):
            raise StopUser()

    @task
    def collect(self) -> None:
        collect_and_approve(self)
