"""What every scenario shares: the user base class, pacing, and how answers are judged.

Every request goes through ``call``, which counts a failure for any HTTP status other than the
expected one (named ``HTTP <status> <problem type>``), for a connection error, for a UPI answer
whose ``responseCode`` is not the expected one (named ``responseCode <code>``), and for an
Aadhaar answer whose ``ret`` is not the expected one (named ``ret n err <code>``), so locust's
failure table counts failures by response code.
"""

from __future__ import annotations

import logging
import random
import uuid
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import FastHttpUser
from locust.exception import StopUser

from loadtests import hooks  # noqa: F401 - registers the listeners every scenario gets
from loadtests.config import PAY_PATH, LoadConfig, current
from loadtests.pacing import PoissonSchedule
from loadtests.parties import Party
from loadtests.world import World, world_for

log = logging.getLogger("loadtests")


def paced_wait(user: Any, config: LoadConfig) -> float:
    """No wait (saturation), or the wait that holds the user at ``LOADTEST_USER_RPS`` tasks/s
    on a Poisson schedule of its own (``loadtests.pacing``)."""
    if config.user_rps is None:
        return 0.0
    schedule: PoissonSchedule | None = getattr(user, "_schedule", None)
    if schedule is None or schedule.rate != config.user_rps:
        schedule = user._schedule = PoissonSchedule(config.user_rps)
    return schedule.wait()


class PacedUser(FastHttpUser):
    """A user paced by the configuration (no wait by default)."""

    abstract = True

    def wait_time(self) -> float:
        return paced_wait(self, current())


class SandboxUser(PacedUser):
    """A user of one partner's world (set up once per process, see ``loadtests.world``)."""

    abstract = True
    world: World
    config: LoadConfig
    rng: random.Random

    def on_start(self) -> None:
        self.config = current()
        self.rng = random.Random()
        try:
            self.world = world_for(self.host or "", self.config)
        except Exception as exc:
            log.error("load test setup failed on %s: %s", self.host, exc)
            self.environment.process_exit_code = 2
            if self.environment.runner is not None:
                gevent.spawn(self.environment.runner.quit)
            raise StopUser() from exc

    # -- requests

    def call(
        self,
        method: str,
        path: str,
        *,
        name: str,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        expect_status: int | tuple[int, ...] = 200,
        expect_code: str | None = "00",
        expect_txn_status: str | None = None,
        expect_ret: str | None = None,
    ) -> dict[str, Any] | None:
        """Send one request; return its JSON body when it succeeded, else ``None``."""
        sent = dict(self.world.headers)
        if headers:
            sent.update(headers)
        with self.client.request(
            method, path, name=name, json=json, headers=sent, catch_response=True
        ) as response:
            return judge(
                response,
                expect_status=expect_status,
                expect_code=expect_code,
                expect_txn_status=expect_txn_status,
                expect_ret=expect_ret,
            )

    def pay(self, payer: Party, payee_vpa: str, *, name: str) -> dict[str, Any] | None:
        """``POST /v1/upi/pay`` of the configured amount; the answer when it succeeded."""
        headers = {"Idempotency-Key": uuid.uuid4().hex} if self.config.idempotency_keys else None
        return self.call(
            "POST",
            PAY_PATH,
            name=name,
            json={
                "payer": {"vpa": payer.vpa, "pin": payer.pin},
                "payee": {"vpa": payee_vpa},
                "amount": self.config.amount,
                "note": "load test",
            },
            headers=headers,
        )


def judge(
    response: Any,
    *,
    expect_status: int | tuple[int, ...],
    expect_code: str | None,
    expect_txn_status: str | None = None,
    expect_ret: str | None = None,
) -> dict[str, Any] | None:
    """Mark ``response`` (a locust catch-response context) as a success or a named failure."""
    expected = expect_status if isinstance(expect_status, tuple) else (expect_status,)
    status = response.status_code
    if status == 0 or status is None:
        error = getattr(response, "error", None)
        response.failure(f"connection error {type(error).__name__}: {error}")
        return None
    if status not in expected:
        response.failure(f"HTTP {status} {_problem_type(response)}".rstrip())
        return None
    try:
        body = response.json()
    except ValueError:
        response.failure(f"HTTP {status} with a body that is not JSON")
        return None
    if not isinstance(body, dict):
        response.failure(f"HTTP {status} with a JSON body that is not an object")
        return None
    if expect_code is not None:
        code = body.get("responseCode")
        if code != expect_code:
            response.failure(f"responseCode {code}")
            return None
    if expect_txn_status is not None and body.get("status") != expect_txn_status:
        response.failure(f"status {body.get('status')} responseCode {body.get('responseCode')}")
        return None
    if expect_ret is not None and body.get("ret") != expect_ret:
        response.failure(f"ret {body.get('ret')} err {body.get('err')}")
        return None
    response.success()
    return body


def _problem_type(response: Any) -> str:
    """The problem type slug of an error answer (``rate-limited``...), or ''."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and isinstance(body.get("type"), str):
        return str(body["type"]).rsplit("/", 1)[-1]
    return ""
