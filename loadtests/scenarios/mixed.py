"""The mixed profile: 70% pay, 10% collect and approve, 15% status polling, 5% validation.

Without the collect routes on the sandbox its 10% are skipped (one warning), so the others keep
their proportions among themselves.
"""

from __future__ import annotations

from collections import deque

from locust import task

from loadtests.scenarios.base import SandboxUser
from loadtests.scenarios.collect import collect_and_approve, collect_available
from loadtests.scenarios.p2p import pay_p2p
from loadtests.scenarios.status import RECENT, poll_status, remember
from loadtests.scenarios.validate import validate


class MixedUser(SandboxUser):
    """A payment app's traffic: mostly payments, some collects, status polls and validations."""

    recent: deque[str]

    def on_start(self) -> None:
        super().on_start()
        self.recent = deque(maxlen=RECENT)

    @task(70)
    def payment(self) -> None:
        remember(self.recent, pay_p2p(self))

    @task(10)
    def collect(self) -> None:
        if collect_available(self):
            remember(self.recent, collect_and_approve(self))

    @task(15)
    def status(self) -> None:
        poll_status(self, self.recent)

    @task(5)
    def validate(self) -> None:
        validate(self)
