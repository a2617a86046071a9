"""The paced users' schedule: a Poisson process per user, fixed in advance, not moved by late
answers (so users delayed together do not fall into step)."""

from __future__ import annotations

import itertools
import random
import statistics

import pytest

from loadtests.pacing import PoissonSchedule


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def send_times(schedule: PoissonSchedule, clock: Clock, sends: int, answer_s: float) -> list[float]:
    """The times a user following ``schedule`` sends, each answer taking ``answer_s``."""
    times = []
    for _ in range(sends):
        times.append(clock.now)
        clock.now += answer_s
        clock.now += schedule.wait()
    return times


def test_the_mean_rate_is_the_rate_asked_for() -> None:
    clock = Clock()
    schedule = PoissonSchedule(20.0, rng=random.Random(7), clock=clock)
    times = send_times(schedule, clock, 20_000, answer_s=0.002)
    assert (len(times) - 1) / (times[-1] - times[0]) == pytest.approx(20.0, rel=0.03)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # exponential gaps: their spread is their mean (constant pacing's spread would be ~0)
    assert statistics.pstdev(gaps) == pytest.approx(statistics.fmean(gaps), rel=0.1)


def test_a_late_answer_sends_at_once_and_leaves_the_later_times_where_they_were() -> None:
    clock = Clock()
    on_time = PoissonSchedule(10.0, rng=random.Random(3), clock=clock)
    planned = []
    for _ in range(5):  # answers take no time: the user sends exactly at each planned time
        clock.now += on_time.wait()
        planned.append(clock.now)

    clock = Clock()
    late = PoissonSchedule(10.0, rng=random.Random(3), clock=clock)
    clock.now += late.wait()  # sends at planned[0]
    clock.now = planned[2] + 0.001  # ... and its answer comes after two more sends were due
    assert late.wait() == 0.0  # planned[1]: overdue, send at once
    assert late.wait() == 0.0  # planned[2]: overdue too
    wait = late.wait()  # planned[3]: still ahead, and where it always was
    assert clock.now + wait == pytest.approx(planned[3])


def test_two_users_answered_in_the_same_instant_do_not_send_together_again() -> None:
    clock = Clock()
    users = [PoissonSchedule(20.0, rng=random.Random(seed), clock=clock) for seed in range(50)]
    for user in users:  # every user answered at the same moment (after one stall)
        user.wait()
    next_waits = sorted(user.wait() for user in users)
    # locust's constant_throughput would give all 50 the same wait; here they spread out
    assert len({round(w, 6) for w in next_waits}) == 50
    assert next_waits[-1] - next_waits[0] > 0.05


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        PoissonSchedule(0.0)
