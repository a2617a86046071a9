"""Status polling (ReqChkTxn): a client asks after payments it made a moment ago."""

from __future__ import annotations

from collections import deque
from typing import Any

from locust import task

from loadtests.scenarios.base import SandboxUser
from loadtests.scenarios.p2p import pay_p2p

NAME = "GET /v1/upi/transactions/{txnId}"
RECENT = 50
"""Transactions a user remembers for polling (the newest)."""


def remember(recent: deque[str], answer: dict[str, Any] | None) -> None:
    """Keep the txnId of a payment that succeeded."""
    if answer is not None and isinstance(answer.get("txnId"), str):
        recent.append(answer["txnId"])


def poll_status(user: SandboxUser, recent: deque[str]) -> dict[str, Any] | None:
    """Poll one of ``recent`` (a failure unless it is found and succeeded); pay first if empty."""
    if not recent:
        remember(recent, pay_p2p(user))
        return None
    txn_id = recent[int(user.rng.random() * len(recent))]
    return user.call("GET", f"/v1/upi/transactions/{txn_id}", name=NAME)


class StatusPollUser(SandboxUser):
    """Makes ``LOADTEST_STATUS_POOL`` payments at start, then polls their status."""

    recent: deque[str]

    def on_start(self) -> None:
        super().on_start()
        self.recent = deque(maxlen=max(RECENT, self.config.status_pool))
        for _ in range(self.config.status_pool):
            remember(self.recent, pay_p2p(self))

    @task
    def status(self) -> None:
        poll_status(self, self.recent)
