"""Identity: encrypted demographic authentication (Auth API 2.5, the JSON rendition with
``skey``, ``hmac`` and ``data`` type X), as fast as the answers come back.

Each process seals a pool of PIDs before its users start (``loadtests/auth_pool.py``) and sends
them round robin, each with a fresh txn; a request counts as a success when the sandbox answers
200 with ``ret`` "y" (a refusal is a failure named ``ret n err <code>``).
"""

from __future__ import annotations

import logging

import gevent  # type: ignore[import-untyped]
from locust import task
from locust.exception import StopUser

from loadtests.auth_pool import AUTH_PATH, AuthPool, pool_for
from loadtests.scenarios.base import SandboxUser

log = logging.getLogger("loadtests")

NAME = "POST /v1/identity/auth (demo, encrypted)"


class DemoAuthUser(SandboxUser):
    """Authenticates personas by their enrolled name with the PID encrypted as Auth 2.5 says."""

    pool: AuthPool

    def on_start(self) -> None:
        super().on_start()
        try:
            self.pool = pool_for(self.world, self.config.auth_pool, self.config.setup_timeout)
        except Exception as exc:
            log.error("sealing the auth requests failed on %s: %s", self.host, exc)
            self.environment.process_exit_code = 2
            if self.environment.runner is not None:
                gevent.spawn(self.environment.runner.quit)
            raise StopUser() from exc

    @task
    def demo_auth(self) -> None:
        self.call(
            "POST",
            AUTH_PATH,
            name=NAME,
            json=self.pool.next_body(),
            expect_code=None,
            expect_ret="y",
        )
