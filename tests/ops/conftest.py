"""Redis for the scale-out tests: the shared server and a key prefix per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.support.redis import REDIS_URL, delete_prefix, redis_unreachable


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared Redis; skipped where it does not answer, mandatory in CI (like PostgreSQL)."""
    problem = redis_unreachable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is unreachable and CI needs it: {problem}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {problem}")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test (or concurrent test run) uses; its keys are deleted after."""
    prefix = f"sandbox-test:{uuid.uuid4().hex}:"
    yield prefix
    delete_prefix(redis_url, prefix)
