"""Address validation (ReqValAdd): who is behind a random party's VPA."""

from __future__ import annotations

from typing import Any

from locust import task

from loadtests.scenarios.base import SandboxUser

PATH = "/v1/upi/vpa/validate"
NAME = f"POST {PATH}"


def validate(user: SandboxUser) -> dict[str, Any] | None:
    """Validate a random party's VPA; a failure unless it is valid (responseCode 00)."""
    party = user.world.parties.pick(user.rng)
    return user.call("POST", PATH, name=NAME, json={"vpa": party.vpa})


class ValidateUser(SandboxUser):
    """Validates VPAs, as a payment app does before it shows the payee's name."""

    @task
    def validate(self) -> None:
        validate(self)
