"""Erlang A (M/M/N+M): Erlang C plus callers who hang up after an exponential patience.

Model: Poisson arrivals at rate λ = traffic / AHT, N agents serving at rate μ = 1 / AHT each,
first come first served, and every waiting caller abandons at rate θ = 1 / patience. The
number of callers in the system is a birth–death chain with birth rate λ and death rate
μ·min(k, N) + θ·max(k − N, 0); it is always stable, even with N ≤ traffic.

The chain is solved in two parts, both without factorials:

- states k ≤ N: their total weight relative to state N is 1 / B(N, A) (Erlang B);
- states N + j: weight s_j = ∏_{i=1..j} λ / (Nμ + iθ), summed in log space until the
  omitted tail is provably below 1e-19 of the total.

A caller who arrives (PASTA) to find j others queued is at position j + 1. In units of θ,
write x = Nμ / θ. The caller is answered with probability x / (x + j + 1); their time to
answer, given that, is a sum of exponentials with rates Nμ + mθ (m = 1 … j + 1), and the
chance of being answered within T is x / (x + j + 1) · P(NegBin(x + 1, e^{−θT}) ≥ j + 1)
(the closed form of ∫ e^{−θt} dF(t) over [0, T] for that sum).

Reported figures (all per offered call):

- ``probability_wait``: P(all agents busy on arrival);
- ``abandonment``: P(caller hangs up before being answered);
- ``service_level``: answered within T / **all offered calls** — abandoned calls count as
  missed, the SPEC's default `service_level` variant; ``service_level_answered`` is answered
  within T / answered calls;
- ``asa_s``: mean wait of answered calls; ``average_wait_s``: mean time in queue of all
  callers, abandoned ones until they hang up (= abandonment × patience);
- ``occupancy``: carried traffic A·(1 − abandonment) / N.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from supportkpi.errors import InputError
from supportkpi.staffing import inputs
from supportkpi.staffing.erlang_c import SERVICE_LEVEL_TOLERANCE, erlang_b

#: Stop adding queue states once the bound on everything left out is below e^-44 of the total.
_LOG_TAIL_CUTOFF = -44.0
#: Refuse chains longer than this (memory): only absurd inputs (hours of patience with a
#: few agents for thousands of Erlangs) get there.
_MAX_QUEUE_STATES = 5_000_000


@dataclass(frozen=True)
class ErlangAResult:
    """Performance of N agents under Erlang A; see the module docstring for definitions."""

    traffic_erlangs: float
    agents: int
    patience_s: float
    probability_wait: float
    abandonment: float
    service_level: float
    service_level_answered: float
    asa_s: float
    average_wait_s: float
    occupancy: float
    #: Mean number of callers waiting (Little's law cross-check: equals λ·average_wait_s).
    mean_queue_length: float

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return asdict(self)


def _queue_log_weights(x: float, y: float) -> np.ndarray:
    """log s_j for j = 0 … J (s_0 = 1), with J large enough that the rest is negligible."""
    peak = max(0.0, math.ceil(y - x))
    length = int(peak + math.ceil(math.sqrt(100.0 * max(y, 1.0))) + 64)
    while True:
        if length > _MAX_QUEUE_STATES:
            raise InputError(
                f"Erlang A would need over {_MAX_QUEUE_STATES:,} queue states here; the "
                "patience is too long for the handle time and the number of agents."
            )
        j = np.arange(1, length + 1, dtype=float)
        log_weights = np.concatenate(([0.0], np.cumsum(np.log(y) - np.log(x + j))))
        # Past the peak the ratios r = y / (x + j) fall, so the omitted tail is at most
        # s_J · r / (1 − r) with r the first omitted ratio.
        ratio = y / (x + length + 1)
        if ratio < 1:
            log_tail = log_weights[-1] + math.log(ratio) - math.log1p(-ratio)
            if log_tail - np.max(log_weights) < _LOG_TAIL_CUTOFF:
                return log_weights
        length *= 2


def _answered_within_probability(x: float, theta_t: float, size: int) -> np.ndarray:
    """P(NegBin(x + 1, e^{−θT}) ≥ j + 1) for j = 0 … size − 1."""
    if theta_t == 0:
        return np.zeros(size)
    b = np.arange(1, size, dtype=float)
    log_fail = math.log(-math.expm1(-theta_t))  # log(1 − e^{−θT}) without cancellation
    log_pmf = np.concatenate(
        ([-(x + 1.0) * theta_t], -(x + 1.0) * theta_t + np.cumsum(np.log((x + b) / b) + log_fail))
    )
    cdf = np.cumsum(np.exp(log_pmf))
    return np.clip(1.0 - cdf, 0.0, 1.0)


def erlang_a(
    traffic: float, agents: int, aht_s: float, patience_s: float, threshold_s: float
) -> ErlangAResult:
    """Erlang A performance of ``agents`` agents for ``traffic`` Erlangs (see module doc)."""
    traffic = inputs.traffic_load(traffic)
    agents = inputs.agent_count(agents)
    aht_s = inputs.seconds("aht_s", aht_s)
    patience_s = inputs.positive("patience_s", patience_s)  # long patience tends to Erlang C
    threshold_s = inputs.seconds("threshold_s", threshold_s, allow_zero=True)

    x = agents * patience_s / aht_s  # Nμ / θ
    y = traffic * patience_s / aht_s  # λ / θ
    blocking = erlang_b(traffic, agents)
    if blocking == 0.0:  # B underflowed: nobody ever finds all agents busy
        return ErlangAResult(
            traffic, agents, patience_s, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, traffic / agents, 0.0
        )
    log_weights = _queue_log_weights(x, y)
    log_head = -math.log(blocking)  # log Σ_{k ≤ N} π_k / π_N
    tail = log_weights[1:]
    top = max(log_head, float(np.max(tail))) if tail.size else log_head
    log_total = top + math.log(math.exp(log_head - top) + float(np.sum(np.exp(tail - top))))
    p = np.exp(log_weights - log_total)  # P(N + j callers in the system), j = 0 … J

    j = np.arange(p.size, dtype=float)
    answered_if_queued = x / (x + j + 1.0)
    # P(k < N) straight from its own weight (1/B − 1), not as 1 − P(wait), so that it keeps
    # its relative precision when almost every caller waits; sums are clipped to [0, 1]
    # against rounding.
    no_wait = math.exp(math.log1p(-blocking) - math.log(blocking) - log_total)
    probability_wait = min(1.0, float(p.sum()))
    abandonment = min(1.0, float(np.sum(p * (1.0 - answered_if_queued))))
    within = _answered_within_probability(x, threshold_s / patience_s, p.size)
    answered_within = min(1.0, no_wait + float(np.sum(p * answered_if_queued * within)))
    # Mean wait of a caller answered from position j + 1: Σ_{m=1..j+1} 1 / (θ(x + m)).
    wait_if_answered = np.cumsum(1.0 / (x + j + 1.0)) * patience_s
    # Summed directly rather than as 1 − abandonment, which cancels when most callers leave.
    answered = max(min(1.0, no_wait + float(np.sum(p * answered_if_queued))), 1e-300)
    asa_s = float(np.sum(p * answered_if_queued * wait_if_answered)) / answered
    mean_queue_length = float(np.sum(p * j))
    return ErlangAResult(
        traffic_erlangs=traffic,
        agents=agents,
        patience_s=patience_s,
        probability_wait=probability_wait,
        abandonment=abandonment,
        service_level=answered_within,
        service_level_answered=min(1.0, answered_within / answered),
        asa_s=asa_s,
        average_wait_s=abandonment * patience_s,
        occupancy=traffic * answered / agents,
        mean_queue_length=mean_queue_length,
    )


def erlang_a_agents(
    traffic: float,
    aht_s: float,
    patience_s: float,
    target_sl: float,
    target_s: float,
    max_occupancy: float | None = None,
) -> ErlangAResult:
    """The smallest number of agents meeting the targets under Erlang A, with its figures.

    The service level counts abandoned calls as missed; occupancy is carried traffic / N.
    Both move monotonically with N, so the answer is found by doubling then bisection.
    """
    traffic = inputs.traffic_load(traffic)
    aht_s = inputs.seconds("aht_s", aht_s)
    patience_s = inputs.positive("patience_s", patience_s)  # long patience tends to Erlang C
    target_s = inputs.seconds("target_s", target_s, allow_zero=True)
    target_sl = inputs.fraction_up_to_one("target_sl", target_sl)
    if max_occupancy is not None:
        max_occupancy = inputs.fraction_up_to_one("max_occupancy", max_occupancy)

    def evaluate(agents: int) -> tuple[bool, ErlangAResult]:
        result = erlang_a(traffic, agents, aht_s, patience_s, target_s)
        meets_level = result.service_level >= target_sl - SERVICE_LEVEL_TOLERANCE
        meets_occupancy = max_occupancy is None or result.occupancy <= max_occupancy * (
            1.0 + inputs.INTEGER_TOLERANCE
        )
        return meets_level and meets_occupancy, result

    high = max(1, math.ceil(traffic))
    ok, best = evaluate(high)
    low = 0  # agents known to fall short (0 always does)
    while not ok:
        low, high = high, high * 2
        ok, best = evaluate(high)
    while high - low > 1:
        middle = (low + high) // 2
        ok, result = evaluate(middle)
        if ok:
            high, best = middle, result
        else:
            low = middle
    return best
