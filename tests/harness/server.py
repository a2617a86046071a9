"""Real ``sandbox`` processes for tests: the CLI environment, and a ``sandbox serve`` process.

``sandbox_env(settings)`` is the environment a subprocess needs to run on exactly the test's
settings (every field exported as ``SANDBOX_<NAME>``, nothing inherited from the developer's own
``SANDBOX_*`` variables). ``ServerProcess`` starts ``python -m sandbox serve`` on a free port,
waits (bounded) for ``GET /readyz`` to answer 200, and can be SIGKILLed or stopped; its output
goes to a log file whose tail is quoted when something fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from loadtests.process import ManagedProcess, free_port
from sandbox.settings import Settings


def sandbox_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment of a subprocess that must run on ``settings`` (plus ``overrides``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    for name, value in settings.model_dump().items():
        if value is None:  # unset stays unset (the text "None" would be a file named None)
            continue
        env[f"SANDBOX_{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    for name, text in overrides.items():
        env[f"SANDBOX_{name.upper()}"] = text
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServerProcess(ManagedProcess):
    """``python -m sandbox serve`` on ``127.0.0.1:<port>`` with the test's settings."""

    def __init__(
        self, settings: Settings, log_path: Path, *, port: int | None = None, workers: int = 1
    ) -> None:
        self.settings = settings
        self.workers = workers
        self.port = port or free_port()
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        assert self.proc is None, "already started"
        env = sandbox_env(
            self.settings, host="127.0.0.1", port=str(self.port), workers=str(self.workers)
        )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "sandbox", "serve"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill reaches only it
            )
        return self

    def wait_ready(self, timeout: float = 20.0) -> float:
        """Poll ``GET /readyz`` until 200; return the seconds it took. Fails on exit/timeout."""
        assert self.proc is not None, "not started"
        started = time.monotonic()
        deadline = started + timeout
        last = "no answer yet"
        with httpx.Client(base_url=self.base_url, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(
                        f"server exited with {self.proc.returncode} before it was ready:\n"
                        f"{self.log_tail()}"
                    )
                try:
                    response = client.get("/readyz")
                except httpx.TransportError as exc:
                    last = repr(exc)
                else:
                    if response.status_code == 200:
                        return time.monotonic() - started
                    last = f"{response.status_code} {response.text}"
                time.sleep(0.05)
        raise AssertionError(
            f"server not ready after {timeout} s (last: {last}):\n{self.log_tail()}"
        )

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
