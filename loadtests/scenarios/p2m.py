"""P2M pay: random parties pay one hot merchant, whose account every payment credits."""

from __future__ import annotations

from typing import Any

from locust import task

from loadtests.scenarios.base import SandboxUser

NAME = "POST /v1/upi/pay (p2m)"


def pay_p2m(user: SandboxUser) -> dict[str, Any] | None:
    """One payment from a random party to the hot merchant (``LOADTEST_HOT_MERCHANT``)."""
    payer, merchant = user.world.parties.draw(user.rng, "p2m", merchant=user.config.hot_merchant)
    return user.pay(payer, merchant, name=NAME)


class P2MPayUser(SandboxUser):
    """Pays the hot merchant from random parties: contention on one credited account."""

    @task
    def p2m(self) -> None:
        pay_p2m(self)
