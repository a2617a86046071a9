"""The load tests' own pieces, without a server: configuration, parties, latency histograms,
locust's failure file, the profile split and the server's GC pauses."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client import Histogram as PromHistogram

from loadtests.bench import gcstats, profile
from loadtests.bench.locust_run import LocustResult, _read_failures
from loadtests.config import DEFAULT_HOT_MERCHANT, ConfigError, LoadConfig, check_amount
from loadtests.latency import Histogram, aggregate
from loadtests.parties import world_parties
from sandbox.ops import gctune
from sandbox.partners.models import DEFAULT_WORLD_SEED
from sandbox.population.generator import generated_pin, generated_uid


def test_config_reads_the_environment_and_round_trips() -> None:
    config = LoadConfig.from_env(
        {"LOADTEST_API_KEY": "sk_x", "LOADTEST_RESIDENTS": "300", "LOADTEST_USER_RPS": "2.5"}
    )
    assert (config.api_key, config.residents, config.user_rps) == ("sk_x", 300, 2.5)
    assert config.amount == "1.00"
    assert LoadConfig.from_env(config.to_env()) == config


@pytest.mark.parametrize("amount", ["1.07", "10.08", "2.16", "3.30", "4.91", "5.92"])
def test_magic_amounts_are_refused(amount: str) -> None:
    with pytest.raises(ConfigError, match="magic"):
        LoadConfig.from_env({"LOADTEST_AMOUNT": amount})


@pytest.mark.parametrize("amount", ["1", "1.0", "-1.00", "abc", "0.00"])
def test_malformed_amounts_are_refused(amount: str) -> None:
    with pytest.raises(ConfigError):
        check_amount(amount)


def test_personas_only_world_leaves_out_every_forced_decline() -> None:
    parties = world_parties(residents=0)
    vpas = {p.vpa for p in parties.parties}
    assert {"asha@sandbox", "ravi@sandbox", "meeras.kirana@sandbox"} <= vpas
    for decline in ("pooja", "farhan", "dev", "sanjay", "arjun", "neha"):
        assert f"{decline}@sandbox" not in vpas
    assert next(p for p in parties.parties if p.vpa == "asha@sandbox").pin == "1234"


def test_generated_residents_come_with_their_derived_pins() -> None:
    parties = world_parties(residents=200, min_balance=0)
    residents = [p for p in parties.parties if not p.vpa.endswith("@sandbox")]
    assert len(residents) > 150
    pins = {
        generated_pin(DEFAULT_WORLD_SEED, generated_uid(DEFAULT_WORLD_SEED, i)) for i in range(200)
    }
    assert {p.pin for p in residents} <= pins


def test_pairs_never_pay_themselves() -> None:
    parties = world_parties(residents=0)
    rng = random.Random(1)
    for _ in range(500):
        payer, payee = parties.pair(rng)
        assert payer.vpa != payee.vpa


def test_draws_are_the_scenarios_p2p_between_parties_p2m_into_the_merchant() -> None:
    parties = world_parties(residents=0)
    merchant = DEFAULT_HOT_MERCHANT
    rng = random.Random(2)
    payers = set()
    for _ in range(300):
        payer, payee = parties.draw(rng, "p2m", merchant=merchant)
        assert payee == merchant
        assert payer.vpa != merchant
        payers.add(payer.vpa)
        payer, payee = parties.draw(rng, "p2p", merchant=merchant)
        assert payer.vpa != payee
    assert len(payers) > 1  # random payers, not one
    with pytest.raises(ValueError, match="p2p, p2m"):
        parties.draw(rng, "p2x", merchant=merchant)


def test_histogram_percentiles_are_within_one_percent() -> None:
    histogram = Histogram()
    for i in range(1, 10_001):
        histogram.add(i / 100)  # 0.01 .. 100 ms, uniform
    for fraction, exact in ((0.5, 50.0), (0.95, 95.0), (0.99, 99.0)):
        value = histogram.percentile(fraction)
        assert value is not None
        assert abs(value - exact) / exact < 0.011
    assert histogram.summary()["max"] == 100.0
    assert aggregate({"a": histogram, "b": Histogram()}).count == 10_000


def test_failures_are_counted_by_their_message(tmp_path: Path) -> None:
    path = tmp_path / "x_failures.csv"
    path.write_text(
        "Method,Name,Error,Occurrences,First Seen,Last Seen\n"
        "POST,POST /v1/upi/pay (p2p),CatchResponseError('responseCode Z9'),3,a,b\n"
        "POST,POST /v1/upi/pay (p2p),CatchResponseError('HTTP 500 internal-error'),2,a,b\n"
    )
    result = LocustResult(command=[], exit_code=1, wall_seconds=1.0, locust_cpu_seconds=0.1)
    _read_failures(result, path)
    assert result.failures_by_error == {
        "POST POST /v1/upi/pay (p2p): responseCode Z9": 3,
        "POST POST /v1/upi/pay (p2p): HTTP 500 internal-error": 2,
    }


def test_profile_split_gives_each_sample_to_its_leaf_most_layer() -> None:
    root = 'process 1:"python";run (/x/asyncio/runners.py:1);app (/x/fastapi/routing.py:2)'
    raw = "\n".join(
        [
            f"{root};get_caller (/w/sandbox/deps.py:3);execute (/x/sqlalchemy/engine/base.py:4) 3",
            f"{root};pay_ (/w/payments/api/pay.py:5);prepare (/w/payments/service/pay.py:6) 2",
            f"{root};serialize_response (/x/fastapi/routing.py:7) 1",
            f"{root};loads (/x/json/__init__.py:8) 4",
        ]
    )
    found = profile.split(raw)
    assert found.samples == 10
    assert found.by_layer["storage"] == pytest.approx(0.3)
    assert found.by_layer["validation"] == pytest.approx(0.2)
    assert found.by_layer["serialization"] == pytest.approx(0.1)
    assert found.by_layer["framework"] == pytest.approx(0.4)
    assert found.storage_by_caller == {"auth": pytest.approx(0.3)}


def test_gc_pauses_between_two_scrapes_are_counted_by_generation() -> None:
    registry = CollectorRegistry()
    pauses = PromHistogram(
        gcstats.METRIC, "gc", ["generation"], buckets=gctune.PAUSE_BUCKETS, registry=registry
    )
    pauses.labels("0").observe(0.0002)
    before = gcstats.parse(generate_latest(registry).decode())
    for seconds in (0.0003, 0.002, 0.02):  # one short, one over 1 ms, one over 10 ms
        pauses.labels("0").observe(seconds)
    pauses.labels("2").observe(0.05)
    after = gcstats.parse(generate_latest(registry).decode())
    assert gcstats.pauses(before, after) == {
        "0": {"collections": 3, "totalMs": 22.3, "over1ms": 2, "over10ms": 1},
        "2": {"collections": 1, "totalMs": 50.0, "over1ms": 1, "over10ms": 1},
    }
    assert gcstats.parse("# nothing about gc\n") == {}


def test_the_in_process_harnesses_keep_real_threads() -> None:
    """Importing locust (any scenario) patches threads into greenlets (gevent): the SQLite
    commit thread would then run on the event loop's own thread, and a harness would time
    another writer than the server's. None of the in-process harnesses may import it."""
    harnesses = ["pay_timing", "hot_timing", "auth_timing", "fi_timing", "pay_pages", "stalls"]
    harnesses.append("pay_asgi")
    imports = [f"import loadtests.{name}" for name in (*harnesses, "writer_cost", "pg_pay_cost")]
    code = "; ".join(["import sys", *imports, "print('gevent' in sys.modules)"])
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def test_pay_asgi_measures_payments_and_no_ops_straight_through_the_app(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from loadtests import pay_asgi

    found = asyncio.run(pay_asgi.measure(20, 4, 1, 20, None))
    assert set(found) == {"p2p", "no-op"}
    assert all(len(rows) == 1 and rows[0]["process"] > 0 for rows in found.values())
    pay_asgi.report(found, 20, 4)
    assert "p2p / no-op" in capsys.readouterr().out
