"""P2P pay: a random party pays another random party (uniform: no account is hot)."""

from __future__ import annotations

from typing import Any

from locust import task

from loadtests.scenarios.base import SandboxUser

NAME = "POST /v1/upi/pay (p2p)"


def pay_p2p(user: SandboxUser) -> dict[str, Any] | None:
    """One payment between two random parties; the answer when it succeeded."""
    payer, payee = user.world.parties.pair(user.rng)
    return user.pay(payer, payee.vpa, name=NAME)


class P2PPayUser(SandboxUser):
    """Pays between random personas and residents, as fast as the answers come back."""

    @task
    def p2p(self) -> None:
        pay_p2p(self)
