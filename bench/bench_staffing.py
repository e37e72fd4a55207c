"""Erlang C staffing for 10,000 intervals: supportkpi vs pyworkforce's ErlangC, same run.

Run from the repository root::

    .venv/bin/python bench/bench_staffing.py [--intervals 10000] [--seed 7]

pyworkforce is not a dependency. When it is importable (e.g. installed in a separate venv
and this script run with that venv's python and ``PYTHONPATH=src``) both are timed on the
same intervals and their answers compared; otherwise only supportkpi is timed.

Figures: wall time (best of ``--repeat``), the ratio, the peak of traced Python/NumPy
allocations (tracemalloc) per library, and how many intervals get the same agents. Known
differences are counted separately: pyworkforce rounds agents / (1 − shrinkage) and
traffic / max occupancy up in binary floating point (21 / 0.7 = 30.000000000000004 → 31).
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from supportkpi.staffing import agents_after_shrinkage, erlang_c_requirements

try:
    from pyworkforce.queuing import ErlangC
except ImportError:  # optional: compared only when installed
    ErlangC = None

INTERVAL_MIN = 30
TARGET_SL, TARGET_S = 0.8, 20.0
MAX_OCCUPANCY, SHRINKAGE = 0.85, 0.3


def make_intervals(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded calls per 30-minute interval (20–600) and AHT in whole seconds (120–480)."""
    rng = np.random.default_rng(seed)
    return rng.integers(20, 601, count).astype(float), rng.integers(120, 481, count).astype(float)


def ours(calls: np.ndarray, aht: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    traffic = calls * aht / (INTERVAL_MIN * 60)
    frame = erlang_c_requirements(traffic, aht, TARGET_SL, TARGET_S, MAX_OCCUPANCY)
    agents = frame["agents"].to_numpy()
    scheduled = np.array([agents_after_shrinkage(int(n), SHRINKAGE) for n in agents])
    return agents, scheduled


def theirs(calls: np.ndarray, aht: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    assert ErlangC is not None
    raw, scheduled = [], []
    for volume, handle in zip(calls, aht, strict=True):
        erlang = ErlangC(
            transactions=float(volume),
            aht=float(handle) / 60,  # pyworkforce works in minutes
            asa=TARGET_S / 60,  # its "asa" is the answer-within threshold
            interval=INTERVAL_MIN,
            shrinkage=SHRINKAGE,
        )
        result = erlang.required_positions(service_level=TARGET_SL, max_occupancy=MAX_OCCUPANCY)
        raw.append(result["raw_positions"])
        scheduled.append(result["positions"])
    return np.array(raw), np.array(scheduled)


def measure(
    run: Callable[[np.ndarray, np.ndarray], Any], calls: np.ndarray, aht: np.ndarray, repeat: int
) -> tuple[float, float, Any]:
    """(best wall seconds, peak traced MiB, result) of ``run``."""
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        result = run(calls, aht)
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    run(calls, aht)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, result


def exact_occupancy_floor(calls: np.ndarray, aht: np.ndarray) -> np.ndarray:
    """ceil(traffic / max occupancy) in exact rational arithmetic."""
    limit = Fraction(str(MAX_OCCUPANCY))
    return np.array(
        [
            math.ceil(Fraction(int(c) * int(h), INTERVAL_MIN * 60) / limit)
            for c, h in zip(calls, aht, strict=True)
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    calls, aht = make_intervals(args.intervals, args.seed)
    traffic = calls * aht / (INTERVAL_MIN * 60)
    print(
        f"{args.intervals} intervals of {INTERVAL_MIN} min, traffic {traffic.min():.1f}–"
        f"{traffic.max():.1f} Erlangs (mean {traffic.mean():.1f}); target {TARGET_SL:.0%} in "
        f"{TARGET_S:.0f} s, max occupancy {MAX_OCCUPANCY}, shrinkage {SHRINKAGE}"
    )
    our_time, our_peak, (agents, scheduled) = measure(ours, calls, aht, args.repeat)
    print(f"supportkpi : {our_time:8.3f} s   peak traced {our_peak:7.2f} MiB")
    if ErlangC is None:
        print("pyworkforce: not importable here; install it in a separate venv to compare")
        return
    their_time, their_peak, (raw, positions) = measure(theirs, calls, aht, 1)
    print(f"pyworkforce: {their_time:8.3f} s   peak traced {their_peak:7.2f} MiB")
    print(f"ratio      : pyworkforce / supportkpi = {their_time / our_time:.1f}x")

    same_raw = agents == raw
    print(f"agents before shrinkage equal: {same_raw.sum()} / {agents.size}")
    # Where they differ, check which is right against the exact occupancy bound.
    exact_floor = exact_occupancy_floor(calls, aht)
    differ = np.flatnonzero(~same_raw)
    float_occupancy = sum(raw[i] == exact_floor[i] + 1 == agents[i] + 1 for i in differ)
    print(
        f"  of the {differ.size} differences, pyworkforce one higher from float occupancy "
        f"rounding: {float_occupancy}"
    )
    same_scheduled = scheduled == positions
    print(f"agents after shrinkage equal : {same_scheduled.sum()} / {agents.size}")
    float_shrinkage = [
        i
        for i in np.flatnonzero(~same_scheduled & same_raw)
        if positions[i] == math.ceil(raw[i] / (1 - SHRINKAGE))
        and scheduled[i] == math.ceil(Fraction(int(raw[i])) / (1 - Fraction("0.3")))
    ]
    print(
        f"  differences from pyworkforce's float rounding of agents / (1 − shrinkage): "
        f"{len(float_shrinkage)}"
    )
    for i in float_shrinkage[:3]:
        print(f"  e.g. {raw[i]} agents / 0.7 → pyworkforce {positions[i]}, exact {scheduled[i]}")


if __name__ == "__main__":
    main()
