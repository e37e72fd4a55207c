"""Staffing: Erlang C, Erlang A, the weekly plan and the `staffing` commands.

Expected values are derived by hand in the comments, or come from independent references
written here (a log-space summation for Erlang C, a discrete-event simulation for Erlang A).
"""

from __future__ import annotations

import doctest
import heapq
import json
import math
import sys
import time
from datetime import date
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from supportkpi import staffing
from supportkpi.cli import main as cli_main
from supportkpi.cli import staffing_command
from supportkpi.errors import DataError, InputError, NotFoundError
from supportkpi.staffing import (
    agents_after_shrinkage,
    asa,
    backtest_forecasts,
    erlang_a,
    erlang_a_agents,
    erlang_b,
    erlang_c_probability_wait,
    erlang_c_requirements,
    erlang_c_staffing,
    plan_matrix,
    service_level,
    staffing_plan,
)
from supportkpi.staffing import erlang_c as erlang_c_module
from supportkpi.staffing import inputs as inputs_module
from supportkpi.staffing import plan as plan_module

# --- an independent Erlang C: the textbook sum, in log space with math.lgamma --------------


def reference_erlang_c(traffic: float, agents: int, aht_s: float, threshold_s: float):
    """(P(wait), service level, ASA) from P_W = [A^N/N! · N/(N−A)] / [Σ_{k<N} A^k/k! + same]."""
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents)]
    waiting = (
        agents * math.log(traffic) - math.lgamma(agents + 1) + math.log(agents / (agents - traffic))
    )
    top = max([*logs, waiting])
    total = sum(math.exp(v - top) for v in logs) + math.exp(waiting - top)
    wait = math.exp(waiting - top) / total
    level = 1 - wait * math.exp(-(agents - traffic) * threshold_s / aht_s)
    return wait, level, wait * aht_s / (agents - traffic)


# --- Erlang C: published worked examples ----------------------------------------------------


def test_call_centre_helper_example_10_erlangs():
    # 100 calls in 30 min, AHT 180 s: A = 100 × 180 / 1800 = 10 Erlangs; target 80 % in 20 s,
    # max occupancy 85 %, shrinkage 30 % (the Call Centre Helper "Erlang C made simple" case).
    # Erlang B by hand, B(k) = 10·B(k−1) / (k + 10·B(k−1)):
    #   B1 .90909 B2 .81967 B3 .73206 B4 .64666 B5 .56395 B6 .48451 B7 .40904 B8 .33832
    #   B9 .27321 B10 .21458 B11 .16323 B12 .11974 B13 .08434 B14 .05682
    # C(N) = N·B / (N − A(1 − B)):
    #   C(13) = 13(.08434) / (13 − 10(.91566)) = 1.09642 / 3.8434 = .2853
    #   C(14) = 14(.05682) / (14 − 10(.94318)) = .79548 / 4.5682 = .1741
    # SL(13) = 1 − .2853·e^(−3·20/180) = 1 − .2853(.71653) = .7956 < .80
    # SL(14) = 1 − .1741·e^(−4·20/180) = 1 − .1741(.64118) = .8884 ≥ .80  → 14 agents
    # ASA(14) = .1741 × 180 / 4 = 7.84 s; occupancy 10/14 = 71.4 % ≤ 85 %; 14 / .7 = 20.
    result = erlang_c_staffing(100, 30, 180, 0.8, 20, max_occupancy=0.85, shrinkage=0.3)
    assert result.traffic_erlangs == 10
    assert result.agents == 14
    assert result.agents_with_shrinkage == 20
    assert result.probability_wait == pytest.approx(0.1741, abs=5e-5)
    assert result.service_level == pytest.approx(0.8884, abs=5e-5)
    assert result.asa_s == pytest.approx(7.84, abs=5e-3)
    assert result.occupancy == pytest.approx(10 / 14)
    assert erlang_c_probability_wait(10, 13) == pytest.approx(0.2853, abs=5e-5)
    assert service_level(10, 13, 180, 20) == pytest.approx(0.7956, abs=5e-5)


def test_classic_48_erlang_example_against_reference():
    # 360 calls in 30 min, AHT 240 s: A = 360 × 240 / 1800 = 48 Erlangs, target 80/20.
    # The reference sum gives SL(53) = .7518 < .80 and SL(54) = .8172 ≥ .80 → 54 agents,
    # with P(wait) = .3013, ASA = .3013 × 240 / 6 = 12.05 s, occupancy 48/54 = 88.9 %.
    result = erlang_c_staffing(360, 30, 240, 0.8, 20)
    assert result.traffic_erlangs == 48
    assert result.agents == 54
    _, level_53, _ = reference_erlang_c(48, 53, 240, 20)
    assert level_53 < 0.8
    wait, level, speed = reference_erlang_c(48, 54, 240, 20)
    assert result.probability_wait == pytest.approx(wait, rel=1e-10)
    assert result.service_level == pytest.approx(level, rel=1e-10)
    assert result.asa_s == pytest.approx(speed, rel=1e-10)
    assert result.asa_s == pytest.approx(12.05, abs=5e-3)
    assert result.occupancy == pytest.approx(48 / 54)


@pytest.mark.parametrize(("traffic", "agents"), [(0.5, 1), (2.7, 3), (10, 12), (48, 60)])
def test_lower_level_functions_match_reference(traffic, agents):
    wait, level, speed = reference_erlang_c(traffic, agents, 200, 15)
    assert erlang_c_probability_wait(traffic, agents) == pytest.approx(wait, rel=1e-10)
    assert service_level(traffic, agents, 200, 15) == pytest.approx(level, rel=1e-10)
    assert asa(traffic, agents, 200) == pytest.approx(speed, rel=1e-10)


def test_unstable_queue_has_every_caller_waiting():
    assert erlang_c_probability_wait(10, 10) == 1.0
    assert service_level(10, 9, 180, 20) == 0.0
    assert asa(10, 10, 180) == math.inf


def test_max_occupancy_can_decide_and_is_compared_exactly():
    # 48 Erlangs at most 85 % busy: 48 / .85 = 56.47 → 57 agents (more than the 54 for SL).
    assert erlang_c_staffing(360, 30, 240, 0.8, 20, max_occupancy=0.85).agents == 57
    # 221 calls × 180 s / 1800 s = 22.1 Erlangs; 22.1 / .85 is exactly 26 (float: 26.000…04).
    # SL 60/20 alone needs 25 (reference: SL(24) = .514, SL(25) = .676) → 26, not 27.
    assert reference_erlang_c(22.1, 25, 180, 20)[1] > 0.6 > reference_erlang_c(22.1, 24, 180, 20)[1]
    assert erlang_c_staffing(221, 30, 180, 0.6, 20, max_occupancy=0.85).agents == 26


# --- shrinkage rounding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agents", "shrinkage", "expected"),
    [(14, 0.3, 20), (21, 0.3, 30), (69, 0.31, 100), (15, 0.3, 22), (10, 0.0, 10), (1, 0.5, 2)],
)
def test_shrinkage_rounds_up_exactly(agents, shrinkage, expected):
    # 21 / 0.7 is 30.000000000000004 in binary floating point; exactly it is 30.
    assert agents_after_shrinkage(agents, shrinkage) == expected


@given(st.integers(1, 100_000), st.integers(0, 9999))
def test_shrinkage_matches_exact_fractions(agents, basis_points):
    exact = math.ceil(Fraction(agents) / (1 - Fraction(basis_points, 10_000)))
    assert agents_after_shrinkage(agents, basis_points / 10_000) == exact


# --- stability -------------------------------------------------------------------------------


def test_five_thousand_erlangs_is_fast_and_finite():
    # 30,000 calls in 30 min at AHT 300 s = 5,000 Erlangs: factorials would overflow here.
    started = time.perf_counter()
    result = erlang_c_staffing(30_000, 30, 300, 0.8, 20)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert result.traffic_erlangs == 5000
    assert all(
        math.isfinite(v) for v in (result.service_level, result.probability_wait, result.asa_s)
    )
    assert reference_erlang_c(5000, result.agents - 1, 300, 20)[1] < 0.8
    assert result.service_level == pytest.approx(
        reference_erlang_c(5000, result.agents, 300, 20)[1], rel=1e-9
    )
    big = erlang_a(5000, result.agents, 300, 600, 20)
    assert 0 < big.abandonment < 0.05 and math.isfinite(big.asa_s)


@pytest.mark.parametrize(
    ("traffic", "agents"), [(48, 54), (400, 380), (5000, 4000), (5000, 5019), (1e5, 100_100)]
)
def test_warm_started_erlang_b_equals_the_full_recursion(traffic, agents):
    # The library starts the recursion ~12√A below A; the full one starts at B(0) = 1.
    full = 1.0
    for k in range(1, agents + 1):
        full = traffic * full / (k + traffic * full)
    assert erlang_b(traffic, agents) == pytest.approx(full, rel=1e-12)


def test_vectorised_requirements_match_one_at_a_time():
    traffic = np.array([0.0, 0.3, 4.2, 10.0, 48.0, 250.0])
    frame = erlang_c_requirements(traffic, 180.0, 0.8, 20, max_occupancy=0.9)
    assert frame.loc[0, "agents"] == 0  # no calls, nobody needed
    for a, n in zip(traffic[1:], frame["agents"][1:], strict=True):
        calls = a * 1800 / 180
        assert n == erlang_c_staffing(calls, 30, 180, 0.8, 20, max_occupancy=0.9).agents


@settings(max_examples=60, deadline=None)
@given(traffic=st.floats(0.05, 120), aht_s=st.floats(10, 900), target_sl=st.floats(0.05, 0.99))
def test_required_agents_are_the_fewest_meeting_both_targets(traffic, aht_s, target_sl):
    frame = erlang_c_requirements([traffic], aht_s, target_sl, 20, max_occupancy=0.9)
    agents = int(frame["agents"].iloc[0])
    assert reference_erlang_c(traffic, agents, aht_s, 20)[1] >= target_sl - 1e-9
    assert traffic / agents <= 0.9 + 1e-12
    fewer = agents - 1
    assert (
        fewer <= traffic
        or traffic / fewer > 0.9
        or reference_erlang_c(traffic, fewer, aht_s, 20)[1] < target_sl + 1e-9
    )


def test_docstring_examples_run():
    for module in (staffing, erlang_c_module, inputs_module, plan_module):
        assert doctest.testmod(module).failed == 0, module.__name__


# --- Erlang A --------------------------------------------------------------------------------


def test_erlang_a_with_patience_equal_to_aht_is_poisson():
    # With patience = AHT (θ = μ) the death rate in state k is kμ whatever N is: the number of
    # callers is Poisson(A), as in M/M/∞. For A = 1:
    #   N = 1: P(wait) = P(K ≥ 1) = 1 − 1/e = .63212; abandonment = θ·E[(K−1)+]/λ
    #          = E[K] − P(K ≥ 1) = 1 − (1 − 1/e) = 1/e = .36788
    #   N = 2: P(wait) = 1 − 2/e = .26424; abandonment = E[(K−2)+] = 1 − 2 + 2/e + 1/e
    #          = 3/e − 1 = .10364
    one = erlang_a(1.0, 1, 120, 120, 0)
    assert one.probability_wait == pytest.approx(1 - 1 / math.e, rel=1e-12)
    assert one.abandonment == pytest.approx(1 / math.e, rel=1e-12)
    assert one.service_level == pytest.approx(1 / math.e, rel=1e-12)  # T = 0: only no-waits
    two = erlang_a(1.0, 2, 120, 120, 0)
    assert two.probability_wait == pytest.approx(1 - 2 / math.e, rel=1e-12)
    assert two.abandonment == pytest.approx(3 / math.e - 1, rel=1e-12)


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    limit = erlang_a(10, 14, 180, 1e9, 20)
    assert limit.abandonment < 1e-6
    assert limit.probability_wait == pytest.approx(0.1741319, abs=1e-6)
    assert limit.service_level == pytest.approx(service_level(10, 14, 180, 20), abs=1e-6)
    assert limit.asa_s == pytest.approx(asa(10, 14, 180), rel=1e-5)


def test_erlang_a_satisfies_littles_law():
    # Abandonment comes from per-position hang-up chances, the queue length from the state
    # probabilities; Little's law (E[Q] = λ·E[W]) ties them without sharing a formula.
    for traffic, agents in [(10, 8), (10, 12), (48, 50), (200, 190)]:
        result = erlang_a(traffic, agents, 180, 90, 20)
        assert result.mean_queue_length == pytest.approx(
            traffic / 180 * result.average_wait_s, rel=1e-9
        )


def simulate_erlang_a(arrival_rate, agents, aht_s, patience_s, threshold_s, calls, seed):
    """FCFS M/M/N+M by simulation: per call, (waited, abandoned, answered in T, wait)."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / arrival_rate, calls))
    services = rng.exponential(aht_s, calls)
    patiences = rng.exponential(patience_s, calls)
    free_at = [0.0] * agents  # heap of the times each agent becomes free
    out = np.zeros((calls, 4))
    for i in range(calls):
        arrival, first_free = arrivals[i], free_at[0]
        # FCFS: earlier callers have taken their agents already, abandoners took none, so
        # this caller would start at the earliest free time; they hang up if that is later
        # than their patience.
        wait = max(0.0, first_free - arrival)
        if wait > patiences[i]:
            out[i] = (1, 1, 0, np.nan)
            continue
        heapq.heapreplace(free_at, arrival + wait + services[i])
        out[i] = (wait > 0, 0, wait <= threshold_s, wait)
    return out


def test_erlang_a_matches_simulation():
    # 3 agents, AHT 60 s, 2.5 Erlangs (λ = 2.5 / 60 per s), patience 120 s, target 20 s.
    # 200k simulated calls after a 1k warm-up, cut into 20 batches of 10k; the tolerance is
    # 4 batch-means standard errors (batches of 10k calls ≫ the queue's correlation time, so
    # the batch means are close to independent): a real model error of that size fails.
    sim = simulate_erlang_a(2.5 / 60, 3, 60, 120, 20, 201_000, seed=20241107)[1000:]
    exact = erlang_a(2.5, 3, 60, 120, 20)
    answered = sim[:, 1] == 0
    checks = {
        "probability_wait": (sim[:, 0], exact.probability_wait),
        "abandonment": (sim[:, 1], exact.abandonment),
        "service_level": (sim[:, 2], exact.service_level),
    }
    for name, (values, expected) in checks.items():
        batches = values.reshape(20, -1).mean(axis=1)
        error = batches.std(ddof=1) / math.sqrt(20)
        assert error < 0.01, name
        assert abs(values.mean() - expected) < 4 * error, name
    waits = np.where(answered, sim[:, 3], 0.0).reshape(20, -1)
    batch_asa = waits.sum(axis=1) / answered.reshape(20, -1).sum(axis=1)
    error = batch_asa.std(ddof=1) / math.sqrt(20)
    assert abs(np.nanmean(sim[answered, 3]) - exact.asa_s) < 4 * error


def test_erlang_a_agents_is_the_smallest_meeting_the_target():
    needed = erlang_a_agents(10, 180, 120, 0.8, 20, max_occupancy=0.85)
    assert needed.service_level >= 0.8 and needed.occupancy <= 0.85
    below = erlang_a(10, needed.agents - 1, 180, 120, 20)
    assert below.service_level < 0.8 or below.occupancy > 0.85
    # Impatient callers thin the queue: fewer agents than Erlang C's 14 reach 80/20 here.
    assert needed.agents < 14


@settings(max_examples=60, deadline=None)
@given(
    traffic=st.floats(0.05, 60),
    aht_s=st.floats(10, 900),
    threshold_s=st.floats(0, 120),
    extra=st.integers(0, 25),
)
def test_more_agents_never_lower_erlang_c_service_level(traffic, aht_s, threshold_s, extra):
    agents = math.floor(traffic) + 1 + extra
    lower = service_level(traffic, agents, aht_s, threshold_s)
    assert service_level(traffic, agents + 1, aht_s, threshold_s) >= lower - 1e-12
    assert service_level(traffic, max(1, agents - extra - 1), aht_s, threshold_s) <= lower


@settings(max_examples=60, deadline=None)
@given(
    traffic=st.floats(0.05, 60),
    aht_s=st.floats(10, 900),
    patience_s=st.floats(5, 1200),
    threshold_s=st.floats(0, 120),
    agents=st.integers(1, 80),
)
def test_more_agents_never_lower_erlang_a_service_level(
    traffic, aht_s, patience_s, threshold_s, agents
):
    fewer = erlang_a(traffic, agents, aht_s, patience_s, threshold_s)
    more = erlang_a(traffic, agents + 1, aht_s, patience_s, threshold_s)
    assert more.service_level >= fewer.service_level - 1e-12
    assert more.abandonment <= fewer.abandonment + 1e-12
    assert more.occupancy <= fewer.occupancy + 1e-12
    assert 0 <= more.service_level <= 1 and 0 <= more.abandonment <= 1


# --- input validation ------------------------------------------------------------------------

GOOD = {"calls": 100, "interval_min": 30, "aht_s": 180, "target_sl": 0.8, "target_s": 20}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"calls": 0}, "calls must be greater than 0, got 0."),
        ({"calls": -5}, "calls must be greater than 0, got -5."),
        ({"calls": float("nan")}, "calls must be a finite number"),
        ({"interval_min": 0}, "interval_min must be greater than 0"),
        ({"aht_s": 0}, "aht_s must be greater than 0, got 0."),
        ({"aht_s": -180}, "aht_s must be greater than 0"),
        ({"target_sl": 1.2}, "target_sl must be a fraction above 0 and at most 1"),
        ({"target_sl": 0}, "target_sl must be a fraction above 0 and at most 1"),
        ({"target_s": -1}, "target_s must be 0 or more, got -1."),
        ({"max_occupancy": 1.5}, "max_occupancy must be a fraction above 0 and at most 1"),
        ({"max_occupancy": 0}, "max_occupancy must be a fraction above 0 and at most 1"),
        ({"shrinkage": 1}, "shrinkage must be a fraction from 0 up to (not including) 1"),
        ({"shrinkage": -0.1}, "shrinkage must be a fraction from 0 up to (not including) 1"),
    ],
)
def test_bad_inputs_are_one_clear_sentence(change, message):
    with pytest.raises(InputError) as caught:
        erlang_c_staffing(**{**GOOD, **change})
    text = str(caught.value)
    assert text.startswith(message)
    assert text.count(".") >= 1 and "\n" not in text


def test_erlang_a_rejects_bad_patience_and_agents():
    with pytest.raises(InputError, match="patience_s must be greater than 0"):
        erlang_a(10, 12, 180, 0, 20)
    with pytest.raises(InputError, match="agents must be a whole number of 1 or more"):
        erlang_a(10, 0, 180, 60, 20)


# --- staffing plan ---------------------------------------------------------------------------


def _calls(slot_counts: dict[str, list[int]], aht_s: float) -> pd.DataFrame:
    """Calls at the given UTC instants (one entry per week), each with handle time aht_s."""
    stamps = []
    for first, weekly in slot_counts.items():
        for week, count in enumerate(weekly):
            start = pd.Timestamp(first, tz="UTC") + pd.Timedelta(weeks=week)
            stamps += [start + pd.Timedelta(seconds=i) for i in range(count)]
    return pd.DataFrame({"offered_at": stamps, "handle_s": aht_s})


def test_plan_uses_the_seasonal_average_per_weekday_and_interval():
    # Monday 2024-01-01 09:05 UTC = 10:05 in Berlin (winter, UTC+1) → the Mon 10:00 slot.
    # Volumes in the four weeks 90, 110, 100, 100 → mean 100 calls, AHT 180 s → 10 Erlangs
    # → 14 agents and 20 after 30 % shrinkage (the worked example above).
    calls = _calls({"2024-01-01 09:05": [90, 110, 100, 100]}, 180.0)
    # An unanswered call (no handle time) counts toward volume, not toward the AHT.
    calls.loc[len(calls)] = [pd.Timestamp("2024-01-02 13:00", tz="UTC"), np.nan]
    plan = staffing_plan(
        calls,
        weeks=4,
        tz="Europe/Berlin",
        week_start="2024-01-29",
        target_sl=0.8,
        target_s=20,
        shrinkage=0.3,
    )
    assert len(plan) == 7 * 48
    assert plan["date"].iloc[0].isoformat() == "2024-01-29"
    row = plan[(plan.weekday == "Mon") & (plan.interval_start == "10:00")].iloc[0]
    assert (row.calls_forecast, row.aht_s, row.traffic_erlangs) == (100.0, 180.0, 10.0)
    assert (row.agents, row.agents_with_shrinkage) == (14, 20)
    tuesday = plan[(plan.weekday == "Tue") & (plan.interval_start == "14:00")].iloc[0]
    assert tuesday.calls_forecast == 0.25  # one call in four weeks
    assert plan[(plan.weekday == "Mon") & (plan.interval_start == "09:00")].agents.item() == 0
    grid = plan_matrix(plan)
    assert list(grid.columns) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert grid.loc["10:00", "Mon"] == 20


def test_plan_defaults_to_the_week_after_the_last_complete_week():
    # Latest call on Sunday 2024-01-21: that week is complete, so the plan is for 01-22.
    calls = _calls({"2024-01-01 09:05": [5, 5, 5], "2024-01-07 12:00": [1, 1, 1]}, 180.0)
    assert staffing_plan(calls, weeks=3)["date"].iloc[0].isoformat() == "2024-01-22"
    # Latest call on Monday 2024-01-22: that week is partial, so history ends with 01-15.
    calls = _calls({"2024-01-01 09:05": [5, 5, 5, 5]}, 180.0)
    plan = staffing_plan(calls, weeks=3)
    assert plan["date"].iloc[0].isoformat() == "2024-01-22"
    assert plan[plan.interval_start == "09:00"].calls_forecast.iloc[0] == 5


def test_handle_time_is_talk_plus_hold_plus_after_call_work():
    calls = pd.DataFrame(
        {
            "offered_at": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:01"], utc=True),
            "talk_s": [100.0, np.nan],
            "hold_s": [np.nan, np.nan],
            "acw_s": [20.0, np.nan],  # the second call was never answered
        }
    )
    plan = staffing_plan(calls, weeks=1, week_start="2024-01-08")
    row = plan[(plan.weekday == "Mon") & (plan.interval_start == "09:00")].iloc[0]
    assert (row.calls_forecast, row.aht_s) == (2.0, 120.0)


def test_plan_refuses_a_week_without_calls():
    calls = _calls({"2024-01-01 09:05": [10, 0, 10, 10]}, 180.0)
    with pytest.raises(DataError, match="the week starting 2024-01-08 has no calls"):
        staffing_plan(calls, weeks=4, week_start="2024-01-29")
    with pytest.raises(InputError, match="week_start must be a Monday"):
        staffing_plan(calls, weeks=1, week_start="2024-01-30")
    with pytest.raises(InputError, match="needs a handle_s column"):
        staffing_plan(calls[["offered_at"]], weeks=1)
    with pytest.raises(InputError, match="tz must be an IANA timezone name"):
        staffing_plan(calls, weeks=1, tz="Mars/Olympus")
    with pytest.raises(InputError, match="interval_min must divide a day"):
        staffing_plan(calls, weeks=1, interval_min=7)


def test_backtest_compares_seasonal_average_with_last_week():
    # One slot with 10 and 20 calls in the two history weeks and 12 in the held-out week:
    # seasonal forecast 15 (error 3), naive forecast 20 (error 8); 336 slots in a week.
    calls = _calls({"2024-01-01 09:05": [10, 20, 12]}, 180.0)
    result = backtest_forecasts(calls, weeks=2, holdout_weeks=1, last_week=date(2024, 1, 15))
    row = result.iloc[0]
    assert row.week_start.isoformat() == "2024-01-15"
    assert row.actual_calls == 12
    assert row.mae_seasonal == pytest.approx(3 / 336)
    assert row.mae_naive == pytest.approx(8 / 336)
    assert (row.wape_seasonal, row.wape_naive) == (pytest.approx(3 / 12), pytest.approx(8 / 12))


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def staffing_app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    staffing_command.register(app)
    return app


ARGS = ["staffing", "--calls", "100", "--interval-min", "30", "--aht-s", "180"]
ARGS += ["--target-sl", "0.8", "--target-s", "20", "--shrinkage", "0.3"]


def test_cli_json_keys(staffing_app):
    out = CliRunner().invoke(staffing_app, [*ARGS, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    expected = {"agents", "agents_with_shrinkage", "service_level", "probability_wait"}
    assert expected | {"asa_s", "occupancy", "traffic_erlangs"} == set(data)
    assert (data["agents"], data["agents_with_shrinkage"]) == (14, 20)

    out = CliRunner().invoke(staffing_app, [*ARGS, "--patience-s", "120", "--json"])
    data = json.loads(out.stdout)
    assert {"abandonment", "service_level_erlang_a", "agents_erlang_a"} <= set(data)
    assert data["agents"] == 14 and 0 < data["abandonment"] < 1


def test_cli_table_and_one_line_error(staffing_app, monkeypatch, capsys):
    out = CliRunner().invoke(staffing_app, ARGS)
    assert out.exit_code == 0 and "agents_with_shrinkage" in out.stdout and "88.8%" in out.stdout
    monkeypatch.setattr(cli_main, "app", staffing_app)
    bad = [arg if arg != "0.8" else "1.5" for arg in ARGS]  # --target-sl 1.5
    monkeypatch.setattr(sys, "argv", ["supportkpi", *bad])
    with pytest.raises(SystemExit) as exited:
        cli_main.main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: target_sl must be a fraction") and err.count("\n") == 1


def test_cli_plan_csv(staffing_app, tmp_path):
    path = tmp_path / "calls.csv"
    _calls({"2024-01-01 09:05": [90, 110]}, 180.0).to_csv(path, index=False)
    args = ["staffing-plan", str(path), "--weeks", "2", "--week-start", "2024-01-15"]
    out = CliRunner().invoke(staffing_app, [*args, "--format", "csv"])
    assert out.exit_code == 0, out.output
    plan = pd.read_csv(pd.io.common.StringIO(out.stdout))
    row = plan[(plan.weekday == "Mon") & (plan.interval_start == "09:00")].iloc[0]
    assert (row.calls_forecast, row.agents) == (100.0, 14)
    table = CliRunner().invoke(staffing_app, [*args, "--shrinkage", "0.3"])
    assert "Agents to schedule" in table.stdout
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in table.stdout.splitlines()]
    assert ["09:00", "20", "0", "0", "0", "0", "0", "0"] in cells  # 14 / 0.7 on Mondays only
    missing = CliRunner().invoke(staffing_app, ["staffing-plan", str(tmp_path / "nope.csv")])
    assert isinstance(missing.exception, NotFoundError)
