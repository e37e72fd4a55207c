"""Shift scheduling: cover a staffing plan's requirement with whole shifts (optional extra).

The agents to schedule per interval (``agents_with_shrinkage`` of a `StaffingPlan`) are
covered with shift patterns such as ``08:00-16:00`` by pyworkforce's CP-SAT schedulers
(OR-Tools), one problem per series (a queue's agents do not cover another queue) and per
horizon, each day of it choosing how many agents start each pattern:

- ``min_resources`` (default, pyworkforce's ``MinRequiredResources``): the fewest agents such
  that no interval has fewer than it needs;
- ``min_difference`` (``MinAbsDifference``): the agents whose total |scheduled − required|
  over the intervals is smallest, which may leave peaks short.

An interval no pattern covers cannot be staffed: it is left out of the problem (else it has no
solution) and reported as under-staffed with a note. Patterns lie within one local day (a
night shift is two patterns, ``22:00-24:00`` and ``00:00-06:00``).

Install with ``pip install 'supportkpi[shifts]'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from supportkpi.errors import DataError, InputError, UnsupportedError

METHODS = ("min_resources", "min_difference")
#: Seconds the solver may search per series before it returns its best schedule so far.
MAX_SEARCH_S = 30.0
_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class ShiftPattern:
    """A shift from ``start`` to ``end`` minutes after local midnight (end 1440: midnight)."""

    name: str
    start: int
    end: int

    def covers(self, slot_minutes: int) -> list[int]:
        """1 for each slot of a day the shift works in, else 0."""
        starts = range(0, 1440, slot_minutes)
        return [int(self.start <= s and s + slot_minutes <= self.end) for s in starts]


@dataclass
class ShiftSchedule:
    """Per interval: required, scheduled, over and under; per day: agents per pattern."""

    rows: pd.DataFrame
    shifts: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def parse_shifts(text: str, slot_minutes: int) -> tuple[ShiftPattern, ...]:
    """``"08:00-16:00,12:00-20:00"`` as patterns on whole ``slot_minutes`` intervals."""
    _check_slot(slot_minutes)
    patterns = []
    for part in [p for p in str(text).split(",") if p.strip()]:
        match = _PATTERN.match(part)
        if not match:
            raise InputError(f"invalid shift {part.strip()!r}; use HH:MM-HH:MM, e.g. 08:00-16:00")
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        name = part.strip().replace(" ", "")
        if m1 > 59 or m2 > 59 or start >= 1440 or end > 1440:
            raise InputError(f"invalid shift {name!r}: times run from 00:00 to 24:00")
        if end <= start:
            raise InputError(
                f"shift {name!r} does not end after it starts on the same day; split a night "
                "shift in two (22:00-24:00,00:00-06:00)"
            )
        if start % slot_minutes or end % slot_minutes:
            raise InputError(
                f"shift {name!r} does not start and end on whole {slot_minutes}-minute intervals"
            )
        patterns.append(ShiftPattern(name, start, end))
    if not patterns:
        raise InputError("no shift pattern given; use e.g. --shifts 08:00-16:00,12:00-20:00")
    if len({p.name for p in patterns}) < len(patterns):
        raise InputError("a shift pattern is given twice")
    return tuple(patterns)


def schedule_shifts(
    plan_rows: pd.DataFrame,
    slot_minutes: int,
    patterns: tuple[ShiftPattern, ...],
    method: str = "min_resources",
    requirement: str = "agents_with_shrinkage",
    max_search_s: float = MAX_SEARCH_S,
) -> ShiftSchedule:
    """Cover ``plan_rows[requirement]`` (per ``at``, a local ISO instant) with ``patterns``."""
    if method not in METHODS:
        raise InputError(f"unknown shift method {method!r}; use {' or '.join(METHODS)}")
    _check_slot(slot_minutes)
    solver = _solver(method)
    columns = list(plan_rows.columns)
    # A forecast row is ``metric, at, <dims>, value, ...``: the dimensions name the series.
    series_keys = columns[columns.index("at") + 1 : columns.index("value")]
    at = pd.Series([pd.Timestamp(t) for t in plan_rows["at"]], index=plan_rows.index)
    frame = plan_rows.assign(
        _day=[t.date() for t in at],
        _slot=[(t.hour * 60 + t.minute) // slot_minutes for t in at],
        required=plan_rows[requirement].astype(int),
    )
    coverage = {p.name: p.covers(slot_minutes) for p in patterns}
    covered = np.array(list(coverage.values())).max(axis=0).astype(bool)
    groups = frame.groupby(series_keys, sort=False, dropna=False) if series_keys else [((), frame)]
    rows, shifts, short = [], [], 0
    for key, part in groups:
        days = sorted(part["_day"].unique())
        need = np.zeros((len(days), 1440 // slot_minutes), dtype=int)
        day_index = {d: i for i, d in enumerate(days)}
        need[part["_day"].map(day_index), part["_slot"]] = part["required"]
        solvable = np.where(covered[None, :], need, 0)
        agents = _solve(solver, solvable, coverage, max_search_s)
        scheduled = agents @ np.array(list(coverage.values()))
        values = scheduled[part["_day"].map(day_index), part["_slot"]]
        short += int((need * ~covered[None, :]).sum())
        rows.append(
            part.drop(columns=["_day", "_slot"]).assign(
                scheduled=values,
                over=np.maximum(values - part["required"], 0),
                under=np.maximum(part["required"] - values, 0),
            )
        )
        names = dict(zip(series_keys, key if isinstance(key, tuple) else (key,), strict=True))
        for d, day in enumerate(days):
            for s, pattern in enumerate(patterns):
                shifts.append({**names, "day": day.isoformat(), "shift": pattern.name,
                               "agents": int(agents[d, s])})  # fmt: skip
    out = pd.concat(rows, ignore_index=True)
    notes = []
    if short:
        notes.append(
            f"{short} agent-interval(s) of requirement fall outside every shift pattern and "
            "stay under-staffed; add a pattern covering them"
        )
    return ShiftSchedule(out, pd.DataFrame(shifts), notes)


def _check_slot(slot_minutes: int) -> None:
    if slot_minutes >= 1440 or 1440 % slot_minutes:
        raise InputError("shift scheduling needs intervals within a day (15m, 30m or 60m)")


def _solver(method: str) -> Any:
    try:
        from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources
    except ImportError:
        raise UnsupportedError(
            "shift scheduling needs the shifts extra: pip install 'supportkpi[shifts]'"
        ) from None
    return MinRequiredResources if method == "min_resources" else MinAbsDifference


def _solve(
    solver: Any, need: np.ndarray, coverage: dict[str, list[int]], max_search_s: float
) -> np.ndarray:
    """Agents starting each pattern (columns) on each day (rows)."""
    if not need.any():  # nothing to cover: the solver has nothing to decide
        return np.zeros((need.shape[0], len(coverage)), dtype=int)
    # The bounds only have to admit the optimum: no pattern needs more agents than the
    # largest requirement, no interval more than every pattern's worth of them.
    peak = int(need.max())
    scheduler = solver(
        num_days=need.shape[0],
        periods=need.shape[1],
        shifts_coverage=coverage,
        required_resources=need.tolist(),
        max_period_concurrency=peak * len(coverage),
        max_shift_concurrency=peak,
        max_search_time=float(max_search_s),
        num_search_workers=1,
    )
    solution = scheduler.solve()
    if solution["status"] not in ("OPTIMAL", "FEASIBLE"):
        raise DataError(
            f"the shift scheduler found no schedule ({solution['status']}); "
            "try more shift patterns or a longer search"
        )
    agents = np.zeros((need.shape[0], len(coverage)), dtype=int)
    names = list(coverage)
    for item in solution["resources_shifts"]:
        agents[item["day"], names.index(item["shift"])] = item["resources"]
    return agents
