"""The simulator, driving the real engine, against Erlang C and Erlang A.

Tolerances come from the runs themselves: each check runs R independent replications
(different seeds, one warm-up hour dropped), and the simulated mean must lie within four
standard errors of the replications (plus a small allowance for the finite run's start-up
bias) of the theoretical value. The docstrings give the size of that band for the run length.
"""

from __future__ import annotations

import math
import statistics

import pytest

from hotline.acd.simulator import simulate, single_queue

from .erlang import (
    birth_death,
    erlang_a,
    erlang_c,
    erlang_c_asa,
    erlang_c_service_level,
)


def test_erlang_a_formulas_agree_with_the_birth_death_chain() -> None:
    for servers, per_hour, handle, patience in [(10, 200, 180, 120), (20, 360, 180, 60),
                                                (5, 80, 240, 600), (30, 500, 200, 30)]:  # fmt: skip
        formula = erlang_a(servers, per_hour / 3600, handle, patience)
        chain = birth_death(servers, per_hour / 3600, handle, patience)
        assert formula == pytest.approx(chain, rel=1e-9)


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    p_wait, p_abandon = erlang_a(20, 0.1, 180, 1e9)
    assert p_wait == pytest.approx(erlang_c(20, 18.0), rel=1e-6)
    assert p_abandon < 1e-6


def replications(runs: int, **scenario: object) -> list[dict[str, float]]:
    results = []
    for seed in range(1, runs + 1):
        result = simulate(single_queue(warmup_hours=1.0, **scenario), seed=seed)  # type: ignore[arg-type]
        stats = result.queues["main"]  # type: ignore[index]
        assert stats.p_wait is not None and stats.asa_seconds is not None
        assert stats.abandon_rate is not None and stats.service_level_offered is not None
        results.append({
            "p_wait": stats.p_wait, "asa": stats.asa_seconds,
            "service_level": stats.service_level_offered, "abandon": stats.abandon_rate,
        })  # fmt: skip
    return results


def assert_agrees(samples: list[float], theory: float, allowance: float) -> None:
    mean = statistics.fmean(samples)
    standard_error = statistics.stdev(samples) / math.sqrt(len(samples))
    tolerance = 4 * standard_error + allowance
    assert abs(mean - theory) <= tolerance, (mean, theory, tolerance)


@pytest.mark.slow
def test_mm_n_agrees_with_erlang_c() -> None:
    """10 agents, 160 calls/h, 180 s exponential handle (8 Erlangs, occupancy 0.8).

    10 replications of 25 h (24 measured, about 3,840 calls each, 38,400 in all). At this
    occupancy waits are strongly correlated, so the replication standard errors measured for
    this length are about 0.017 for P(wait) (theory 0.409), 4.7 s for ASA (theory 36.8 s)
    and 0.018 for the service level at 20 s (theory 0.672): bands of about +-0.08, +-20 s and
    +-0.08 once the allowances (0.01, 1 s, 0.01) are added. A run four times longer halves
    them.
    """
    runs = replications(10, agents=10, calls_per_hour=160, handle_seconds=180, hours=25)
    rate = 160 / 3600
    assert_agrees([r["p_wait"] for r in runs], erlang_c(10, 8.0), 0.01)
    assert_agrees([r["asa"] for r in runs], erlang_c_asa(10, rate, 180), 1.0)
    assert_agrees([r["service_level"] for r in runs],
                  erlang_c_service_level(10, rate, 180, 20), 0.01)  # fmt: skip
    assert all(r["abandon"] == 0 for r in runs)


@pytest.mark.slow
def test_mm_n_plus_m_agrees_with_erlang_a() -> None:
    """10 agents, 200 calls/h (offered load 10 Erlangs, overloaded without abandonment),
    180 s handle, exponential patience of mean 120 s.

    8 replications of 25 h (about 4,800 calls each). Theory: P(wait) 0.497, P(abandon)
    0.137; abandonment keeps the queue short, so the replication standard errors are small,
    about 0.005 and 0.002: bands of about +-0.03 and +-0.013 with the allowances.
    """
    runs = replications(
        8, agents=10, calls_per_hour=200, handle_seconds=180, patience_seconds=120, hours=25
    )
    p_wait, p_abandon = erlang_a(10, 200 / 3600, 180, 120)
    assert_agrees([r["p_wait"] for r in runs], p_wait, 0.01)
    assert_agrees([r["abandon"] for r in runs], p_abandon, 0.005)
