"""/metrics across worker processes (prometheus-client multiprocess mode), and a real
``sandbox serve --workers 2`` with Redis: its mode line, shared rate limits, summed metrics."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sandbox.app import create_app
from sandbox.ops.middleware import Metrics
from tests.harness.server import ServerProcess
from tests.support.http import client_for

pytestmark = pytest.mark.anyio

ROUTE = "/v1/partners/me"

# A worker's side: the app's Metrics class, its samples written to the multiprocess directory.
_WRITER = """
import os, sys
from pathlib import Path
from sandbox.ops.middleware import Metrics
metrics = Metrics(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]))
for _ in range(int(sys.argv[1])):
    metrics.requests.labels(sys.argv[2], "GET", sys.argv[3]).inc()
    metrics.latency.labels(sys.argv[2]).observe(0.002)
"""


def write_samples(directory: Path, count: int, route: str = ROUTE, status: str = "200") -> None:
    """One process (a worker) counting ``count`` requests into ``directory``."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-c", _WRITER, str(count), route, status],
        env=env,
        check=True,
        timeout=60,
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests_of(text: str, status: str, route: str = ROUTE) -> float:
    key = (
        "sandbox_http_requests_total",
        (("method", "GET"), ("route", route), ("status", status)),
    )
    return samples(text).get(key, 0.0)


def test_the_collector_sums_what_two_worker_processes_wrote(tmp_path: Path) -> None:
    write_samples(tmp_path, 7)
    write_samples(tmp_path, 5)
    write_samples(tmp_path, 2, status="429")
    assert len(list(tmp_path.glob("counter_*.db"))) == 3  # one file per process
    text = Metrics(tmp_path).exposition().decode()
    assert requests_of(text, "200") == 12
    assert requests_of(text, "429") == 2
    latency = samples(text)[("sandbox_http_request_seconds_count", (("route", ROUTE),))]
    assert latency == 14
    # the single-process registry of this process knows nothing of them
    assert requests_of(Metrics().exposition().decode(), "200") == 0


async def test_the_metrics_route_reads_the_multiprocess_directory(
    make_settings: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    write_samples(directory, 3)
    write_samples(directory, 4)
    app = create_app(make_settings(prometheus_multiproc_dir=directory))
    async with app.router.lifespan_context(app), client_for(app) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert requests_of(response.text, "200") == 7


@pytest.mark.slow
def test_serve_with_two_workers_shares_rate_limits_and_sums_metrics(
    make_settings: Any, engine_name: str, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    if engine_name != "postgresql":
        pytest.skip("several workers need PostgreSQL (SQLite has one writer process)")
    settings = make_settings(
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        rate_limit_per_second=0.01,
        rate_limit_burst=10,
        sweep_seconds=0,
    )
    stale = settings.data_dir / "metrics"
    stale.mkdir(parents=True)
    write_samples(stale, 1000)  # an earlier run's counters: serve must empty the directory
    server = ServerProcess(settings, tmp_path / "server.log", workers=2)
    with server:
        server.wait_ready(timeout=60)
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            signup = {"name": "Team", "contactEmail": "t@example.com"}
            key = client.post("/v1/partners", json=signup).json()["apiKey"]

        def get_me(_: int) -> int:
            # a new connection per request, several at once: both workers get some of them
            headers = {"Authorization": f"Bearer {key}", "Connection": "close"}
            return httpx.get(f"{server.base_url}{ROUTE}", headers=headers, timeout=10).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(get_me, range(40)))
        assert codes.count(200) == 10, codes  # one budget for the key, whichever worker
        assert codes.count(429) == 30, codes
        scrapes = [
            httpx.get(f"{server.base_url}/metrics", headers={"Connection": "close"}).text
            for _ in range(6)
        ]
        workers_seen = {p.name for p in stale.glob("counter_*.db")}
    for text in scrapes:  # every scrape, whichever worker answers it, sees both workers' counts
        assert requests_of(text, "200") == 10
        assert requests_of(text, "429") == 30
    assert len(workers_seen) == 2, workers_seen
    log = server.log_path.read_text()
    assert "workers=2 engine=postgresql rateLimits=redis metrics=multiprocess" in log


@pytest.mark.slow
def test_serve_with_one_worker_logs_the_default_mode(
    make_settings: Any, engine_name: str, tmp_path: Path
) -> None:
    settings = make_settings(sweep_seconds=0)
    server = ServerProcess(settings, tmp_path / "server.log")
    with server:
        server.wait_ready(timeout=60)
        text = httpx.get(f"{server.base_url}/metrics").text
    assert "sandbox_http_requests_total" in text
    assert not (settings.data_dir / "metrics").exists()
    log = server.log_path.read_text()
    assert f"workers=1 engine={engine_name} rateLimits=local metrics=single" in log
