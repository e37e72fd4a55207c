"""What the models learn from, and which slots a backtest scores.

Closed slots count 0 (the calendar says nobody works then). The slots of holidays (closed
only because of the holiday) and of excluded outlier days are filled with the median count of
the same weekly slot in the other weeks, so that an outage or a holiday does not drag next
week's pattern down; neither is scored in a backtest.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd

from supportkpi.calendar.schedule import BusinessHours
from supportkpi.forecast.closed import open_slots, schedule_for
from supportkpi.forecast.series import History


def fit_frames(
    history: History, hours: BusinessHours | None, excluded: frozenset[date]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """What the models learn from, which slots count in the backtest, and notes."""
    notes: list[str] = []
    parts, scored_parts = [], []
    closed_arrivals = 0.0
    for key, frame in history.frame.groupby("key", sort=False):
        frame = frame.reset_index(drop=True)
        slots = pd.DatetimeIndex(frame["ds"])
        schedule = schedule_for(hours, history.by, str(key))
        is_open = open_slots(schedule, slots, history.interval, history.tz)
        usual = (
            is_open
            if schedule is None
            else open_slots(
                dataclasses.replace(schedule, holidays_country=None, extra_holidays=frozenset()),
                slots,
                history.interval,
                history.tz,
            )
        )
        out_day = np.array([d in excluded for d in slots.date], dtype=bool)
        actual = frame["y"].to_numpy(dtype=float)
        closed_arrivals += float(actual[~is_open].sum())
        y = np.where(is_open, actual, 0.0)
        fill = (usual & ~is_open) | out_day  # holidays and excluded days
        y = fill_from_other_weeks(y, fill, history.interval.per_week)
        parts.append(pd.DataFrame({"key": key, "ds": slots, "y": y}))
        scored_parts.append(
            pd.DataFrame({"key": key, "ds": slots, "actual": actual, "score": is_open & ~out_day})
        )
    if closed_arrivals:
        notes.append(
            f"{closed_arrivals:,.0f} arrival(s) fell in closed hours of the business calendar; "
            "closed hours count and are forecast as 0"
        )
    if excluded:
        notes.append(f"{len(excluded)} excluded day(s) filled from the same weekday's slots")
    return pd.concat(parts, ignore_index=True), pd.concat(scored_parts, ignore_index=True), notes


def fill_from_other_weeks(y: np.ndarray, fill: np.ndarray, period: int) -> np.ndarray:
    """``y`` with the ``fill`` slots replaced by the median of the same weekly slot over the
    weeks where it is not filled (0 when no week has it)."""
    if not fill.any():
        return y
    out = y.copy()
    phase = np.arange(len(y)) % period
    for p in np.unique(phase[fill]):
        same = (phase == p) & ~fill
        out[(phase == p) & fill] = float(np.median(y[same])) if same.any() else 0.0
    return out
