"""Staffing plan: Erlang C agents per weekday × interval for a coming week.

The forecast for each slot is the seasonal average of the last N weeks (see
`supportkpi.staffing.forecast`): mean call volume, and AHT pooled over those weeks' calls.

>>> import pandas as pd
>>> calls = pd.DataFrame({
...     "offered_at": pd.to_datetime(["2024-01-01 09:05", "2024-01-08 09:10"], utc=True),
...     "handle_s": [300.0, 240.0],
... })
>>> plan = staffing_plan(calls, weeks=2, week_start="2024-01-15", target_sl=0.8, target_s=20)
>>> row = plan[(plan.weekday == "Mon") & (plan.interval_start == "09:00")].iloc[0]
>>> float(row.calls_forecast), float(row.aht_s), int(row.agents)
(1.0, 270.0, 1)
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from supportkpi.errors import InputError
from supportkpi.staffing import inputs
from supportkpi.staffing.erlang_c import erlang_c_requirements
from supportkpi.staffing.forecast import (
    WEEKDAYS,
    check_interval,
    last_complete_week,
    local_calls,
    require_every_week,
    seasonal_forecast,
    slot_history,
)

PLAN_COLUMNS = (
    "date",
    "weekday",
    "interval_start",
    "calls_forecast",
    "aht_s",
    "traffic_erlangs",
    "agents",
    "agents_with_shrinkage",
    "service_level",
    "probability_wait",
    "asa_s",
    "occupancy",
)


def _week_start(value: date | str) -> date:
    try:
        monday = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"week_start must be a date like 2024-01-15, got {value!r}.") from None
    if monday.weekday() != 0:
        raise InputError(f"week_start must be a Monday, got {monday.isoformat()}.")
    return monday


def staffing_plan(
    calls: pd.DataFrame,
    *,
    weeks: int = 4,
    tz: str = "UTC",
    week_start: date | str | None = None,
    interval_min: int = 30,
    target_sl: float = 0.8,
    target_s: float = 20.0,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> pd.DataFrame:
    """Required agents per weekday × interval for the week starting ``week_start``.

    ``calls`` has one row per offered call: ``offered_at`` (UTC timestamps) and ``handle_s``
    (or ``talk_s``/``hold_s``/``acw_s``; empty for unanswered calls). Every call counts
    toward volume; calls with a handle time give the AHT. The forecast is the mean of the
    ``weeks`` weeks before ``week_start`` (a Monday in ``tz``; default: the week after the
    last complete week of data), each of which must hold at least one call.

    Returns one row per slot (7 × 1440 / ``interval_min`` rows) with the columns of
    `PLAN_COLUMNS`; ``plan.to_csv(path, index=False)`` writes it as CSV and `plan_matrix`
    pivots it to intervals × weekdays.
    """
    if isinstance(weeks, bool) or int(weeks) != weeks or weeks < 1:
        raise InputError(f"weeks must be a whole number of 1 or more, got {weeks!r}.")
    weeks = int(weeks)
    interval_min = check_interval(interval_min)
    shrinkage = inputs.shrinkage_fraction(shrinkage)
    local = local_calls(calls, tz)
    if week_start is None:
        monday = last_complete_week(local) + timedelta(weeks=1)
    else:
        monday = _week_start(week_start)
    history = slot_history(local, monday - timedelta(weeks=weeks), weeks, interval_min)
    require_every_week(history)
    volume, aht = seasonal_forecast(history)

    traffic = volume * aht / (interval_min * 60.0)
    plan = erlang_c_requirements(traffic, aht, target_sl, target_s, max_occupancy)
    slot = np.arange(volume.size)
    per_day = history.slots_per_day
    minute = (slot % per_day) * interval_min
    plan.insert(0, "date", [monday + timedelta(days=int(d)) for d in slot // per_day])
    plan.insert(1, "weekday", [WEEKDAYS[int(d)] for d in slot // per_day])
    plan.insert(2, "interval_start", [f"{m // 60:02d}:{m % 60:02d}" for m in minute])
    plan.insert(3, "calls_forecast", volume)
    plan.insert(4, "aht_s", aht)
    plan["agents_with_shrinkage"] = [
        inputs.agents_after_shrinkage(int(n), shrinkage) for n in plan["agents"]
    ]
    return plan[list(PLAN_COLUMNS)]


def plan_matrix(plan: pd.DataFrame, value: str = "agents_with_shrinkage") -> pd.DataFrame:
    """The plan as a grid: one row per interval start, one column per weekday."""
    if value not in plan.columns:
        raise InputError(f"the plan has no column {value!r}; use one of {list(plan.columns)}.")
    grid = plan.pivot(index="interval_start", columns="weekday", values=value)
    return grid[[day for day in WEEKDAYS if day in grid.columns]]
