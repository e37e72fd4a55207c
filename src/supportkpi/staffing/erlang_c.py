"""Erlang C (M/M/N, callers wait forever): agents required for a service-level target.

Definitions (traffic A = calls × AHT / interval length, in Erlangs; N agents, N > A):

- Erlang B by the recursion B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)). It stays in [0, 1],
  needs no factorials and is stable for thousands of Erlangs; for large A it starts 12·√A
  below the traffic (see `_warm_start`), so one interval costs O(√A + N − A) steps.
- probability of waiting C = N·B / (N − A·(1 − B));
- service level = P(wait ≤ T) = 1 − C·exp(−(N − A)·T / AHT);
- ASA (average speed of answer, over all calls, zero waits included) = C·AHT / (N − A);
- occupancy = A / N.

With N ≤ A the queue grows without bound: every caller waits (C = 1), the service level is 0
and the ASA infinite.

>>> result = erlang_c_staffing(calls=100, interval_min=30, aht_s=180, target_sl=0.8,
...                            target_s=20, max_occupancy=0.85, shrinkage=0.3)
>>> result.agents, result.agents_with_shrinkage, round(result.service_level, 3)
(14, 20, 0.888)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from supportkpi.errors import InputError
from supportkpi.staffing import inputs

#: A computed service level this close below the target counts as meeting it (rounding).
SERVICE_LEVEL_TOLERANCE = 1e-12


def traffic_erlangs(calls: float, interval_min: float, aht_s: float) -> float:
    """Offered traffic in Erlangs: calls × AHT (s) / interval length (s)."""
    return calls * aht_s / (interval_min * 60.0)


def _warm_start(traffic: float, agents: int) -> tuple[int, float]:
    """(k, B(k)) from which the Erlang B recursion reaches B(agents) to double precision.

    Below the traffic each step multiplies any error in B(k)'s reciprocal by k / A < 1.
    Over the L = 12·√A + 2 steps before min(agents, A) those factors multiply to at most
    exp(−L(L−1) / 2A) < e^−70, so starting there from the fluid value B(k) ≈ 1 − k / A is as
    exact as starting from B(0) = 1, and costs O(√A) steps instead of O(A).
    """
    start, blocking = _warm_starts(np.array([traffic]), np.array([agents]))
    return int(start[0]), float(blocking[0])


def _warm_starts(traffic: np.ndarray, agents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised `_warm_start`: starting agent counts (int64) and their B values."""
    start = np.floor(np.minimum(agents, traffic) - 12.0 * np.sqrt(traffic) - 2.0)
    start = np.maximum(start, 0.0)
    blocking = np.where(start > 0, 1.0 - start / np.where(traffic > 0, traffic, 1.0), 1.0)
    return start.astype(np.int64), blocking


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of an M/M/N/N loss system (Erlang B), by the stable recursion."""
    traffic = inputs.non_negative("traffic", traffic)
    if isinstance(agents, bool) or int(agents) != agents or agents < 0:
        raise InputError(f"agents must be a whole number of 0 or more, got {agents!r}.")
    agents = int(agents)
    first, blocking = _warm_start(traffic, agents)
    for k in range(first + 1, agents + 1):
        carried = traffic * blocking
        blocking = carried / (k + carried)
    return blocking


def erlang_c_probability_wait(traffic: float, agents: int) -> float:
    """Probability that a caller has to wait (Erlang C); 1.0 when agents ≤ traffic."""
    traffic = inputs.non_negative("traffic", traffic)
    agents = inputs.agent_count(agents)
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def service_level(traffic: float, agents: int, aht_s: float, threshold_s: float) -> float:
    """Share of calls answered within ``threshold_s`` seconds (Erlang C); 0.0 when N ≤ A."""
    aht_s = inputs.positive("aht_s", aht_s)
    threshold_s = inputs.non_negative("threshold_s", threshold_s)
    wait = erlang_c_probability_wait(traffic, agents)
    if agents <= traffic:
        return 0.0
    return 1.0 - wait * math.exp(-(agents - traffic) * threshold_s / aht_s)


def average_speed_of_answer(traffic: float, agents: int, aht_s: float) -> float:
    """Mean wait in seconds over all calls (Erlang C ASA); infinite when N ≤ A."""
    aht_s = inputs.positive("aht_s", aht_s)
    wait = erlang_c_probability_wait(traffic, agents)
    if agents <= traffic:
        return math.inf
    return wait * aht_s / (agents - traffic)


#: Short alias used in contact-centre writing.
asa = average_speed_of_answer


@dataclass(frozen=True)
class StaffingResult:
    """Agents required for one interval under Erlang C, and what they achieve."""

    traffic_erlangs: float
    #: Agents on the phones (before shrinkage): the smallest N > traffic meeting both targets.
    agents: int
    #: Agents to schedule: ceil(agents / (1 − shrinkage)).
    agents_with_shrinkage: int
    service_level: float
    probability_wait: float
    asa_s: float
    occupancy: float

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return asdict(self)


def erlang_c_requirements(
    traffic: npt.ArrayLike,
    aht_s: npt.ArrayLike,
    target_sl: float,
    target_s: float,
    max_occupancy: float | None = None,
) -> pd.DataFrame:
    """Required agents for many intervals at once (vectorised over intervals).

    ``traffic`` (Erlangs) and ``aht_s`` are arrays of the same length (or ``aht_s`` a scalar).
    For each interval: the smallest N > traffic with service level ≥ ``target_sl`` within
    ``target_s`` seconds and, when given, occupancy traffic / N ≤ ``max_occupancy``. An
    interval with no traffic needs 0 agents.

    Returns one row per interval: traffic_erlangs, agents, service_level, probability_wait,
    asa_s, occupancy.
    """
    target_sl = inputs.fraction_up_to_one("target_sl", target_sl)
    target_s = inputs.seconds("target_s", target_s, allow_zero=True)
    if max_occupancy is not None:
        max_occupancy = inputs.fraction_up_to_one("max_occupancy", max_occupancy)
    load = np.atleast_1d(np.asarray(traffic, dtype=float))
    handle = np.broadcast_to(np.asarray(aht_s, dtype=float), load.shape)
    if not np.isfinite(load).all() or (load < 0).any():
        raise InputError("traffic must be a finite number of Erlangs, 0 or more, per interval.")
    if (load > inputs.MAX_TRAFFIC_ERLANGS).any():
        raise InputError(
            f"traffic must be at most {inputs.MAX_TRAFFIC_ERLANGS:,g} Erlangs per interval, "
            f"got {float(load.max()):,.6g}; check the calls, the interval and the handle time."
        )
    if not np.isfinite(handle[load > 0]).all() or (handle[load > 0] <= 0).any():
        raise InputError("aht_s must be a finite number above 0 for every interval with calls.")

    agents = np.zeros(load.shape, dtype=np.int64)
    probability_wait = np.zeros(load.shape)
    # First candidate: the smallest integer above the traffic, raised to meet max occupancy.
    first = np.floor(load).astype(np.int64) + 1
    if max_occupancy is not None:
        # Checked as floats before the int64 cast, which a tiny occupancy would overflow.
        floor_agents = load / max_occupancy
        if (floor_agents > inputs.MAX_AGENTS).any():
            raise InputError(
                f"max_occupancy {max_occupancy:g} would need over {inputs.MAX_AGENTS:,} agents "
                f"for {float(load.max()):,.6g} Erlangs; raise it (e.g. 0.85)"
            )
        first = np.maximum(first, inputs.ceil_tolerant_array(floor_agents))

    active = np.flatnonzero(load > 0)
    a, h, start = load[active], handle[active], first[active]
    k, blocking = _warm_starts(a, start)
    # One step of the Erlang B recursion per agent count, for every unfinished interval (each
    # at its own k); an interval leaves the active set at its first count meeting the target.
    while active.size:
        k = k + 1
        carried = a * blocking
        blocking = carried / (k + carried)
        candidate = start <= k
        if not candidate.any():
            continue
        rows = np.flatnonzero(candidate)
        b, ac, kc = blocking[rows], a[rows], k[rows]
        wait = kc * b / (kc - ac * (1.0 - b))
        level = 1.0 - wait * np.exp(-(kc - ac) * target_s / h[rows])
        met = level >= target_sl - SERVICE_LEVEL_TOLERANCE
        if met.any():
            done = rows[met]
            agents[active[done]] = kc[met]
            probability_wait[active[done]] = wait[met]
            keep = np.ones(active.size, dtype=bool)
            keep[done] = False
            active, a, h, start, blocking, k = (
                active[keep],
                a[keep],
                h[keep],
                start[keep],
                blocking[keep],
                k[keep],
            )
    return _metrics_frame(load, handle, agents, probability_wait, target_s)


def _metrics_frame(
    load: np.ndarray,
    handle: np.ndarray,
    agents: np.ndarray,
    probability_wait: np.ndarray,
    target_s: float,
) -> pd.DataFrame:
    staffed = agents > 0
    spare = np.where(staffed, agents - load, 1.0)
    safe_handle = np.where(staffed, handle, 1.0)
    level = np.where(staffed, 1.0 - probability_wait * np.exp(-spare * target_s / safe_handle), 1.0)
    speed = np.where(staffed, probability_wait * safe_handle / spare, 0.0)
    occupancy = np.where(staffed, load / np.maximum(agents, 1), 0.0)
    return pd.DataFrame(
        {
            "traffic_erlangs": load,
            "agents": agents,
            "service_level": level,
            "probability_wait": probability_wait,
            "asa_s": speed,
            "occupancy": occupancy,
        }
    )


def erlang_c_staffing(
    calls: float,
    interval_min: float,
    aht_s: float,
    target_sl: float,
    target_s: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> StaffingResult:
    """Agents required for one interval's calls under Erlang C, before and after shrinkage.

    ``calls`` arrive in ``interval_min`` minutes with an average handle time of ``aht_s``
    seconds; the target is ``target_sl`` (e.g. 0.8) of calls answered within ``target_s``
    seconds (e.g. 20), with occupancy at most ``max_occupancy`` when given; ``shrinkage`` is
    the share of scheduled time agents are unavailable (breaks, training, absence).
    """
    calls = inputs.positive("calls", calls)
    interval_min = inputs.at_most(
        "interval_min", inputs.positive("interval_min", interval_min), 1440, " minutes (a day)"
    )
    aht_s = inputs.seconds("aht_s", aht_s)
    shrinkage = inputs.shrinkage_fraction(shrinkage)
    traffic = traffic_erlangs(calls, interval_min, aht_s)
    row = erlang_c_requirements([traffic], aht_s, target_sl, target_s, max_occupancy).iloc[0]
    agents = int(row["agents"])
    return StaffingResult(
        traffic_erlangs=traffic,
        agents=agents,
        agents_with_shrinkage=inputs.agents_after_shrinkage(agents, shrinkage),
        service_level=float(row["service_level"]),
        probability_wait=float(row["probability_wait"]),
        asa_s=float(row["asa_s"]),
        occupancy=float(row["occupancy"]),
    )
