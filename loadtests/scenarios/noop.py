"""The no-op endpoint (``GET /healthz``): the framework's cost with no work behind it.

The benchmark divides every payment figure by this one, so both run with the same users, spawn
rate, duration and load generator.
"""

from __future__ import annotations

from locust import task

from loadtests.scenarios.base import PacedUser, judge

NAME = "GET /healthz"


class HealthzUser(PacedUser):
    """Calls ``GET /healthz``; needs no partner."""

    @task
    def healthz(self) -> None:
        with self.client.get("/healthz", name=NAME, catch_response=True) as response:
            judge(response, expect_status=200, expect_code=None)
