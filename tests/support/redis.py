"""The Redis server the tests share (``SANDBOX_TEST_REDIS_URL``, default 127.0.0.1:6379/0).

Other test runs may use the same server at the same time, so every test takes a prefix of its
own (``redis_prefix``) and deletes its keys afterwards; no test flushes the database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

REDIS_URL = os.environ.get("SANDBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_unreachable(url: str = REDIS_URL) -> str | None:
    """Why the Redis server at ``url`` cannot be used, or ``None`` if it can."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    return None


def delete_prefix(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def own_redis_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A throw-away ``redis-server`` on ``port`` (no persistence), stopped on exit."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is not installed"
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while redis_unreachable(f"redis://127.0.0.1:{port}/0") is not None:
            assert proc.poll() is None, "redis-server exited at start"
            assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
            time.sleep(0.02)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
