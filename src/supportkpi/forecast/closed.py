"""Which forecast slots the desk is open, from the config's business-hours calendar.

A slot is open when any minute of it falls in an opening of the schedule (holidays closed);
without a ``[business_hours]`` section every slot is open. A breakdown by team uses each
team's own schedule where the config gives one.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from supportkpi.calendar.business import calendar_for_team, open_intervals
from supportkpi.calendar.schedule import BusinessHours, Schedule
from supportkpi.forecast.intervals import Interval


def _epochs(slots: pd.DatetimeIndex, tz: str) -> np.ndarray:
    aware = slots.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return (aware.asi8 // 1_000_000_000).astype(np.int64)


def open_slots(
    schedule: Schedule | None, slots: pd.DatetimeIndex, interval: Interval, tz: str
) -> np.ndarray:
    """One boolean per local slot start in ``slots``: whether the desk is open in it."""
    if schedule is None or len(slots) == 0:
        return np.ones(len(slots), dtype=bool)
    first = slots[0].date() - timedelta(days=1)
    last = slots[-1].date() + timedelta(days=1)
    openings = np.array(open_intervals(schedule, first, last), dtype=np.int64).reshape(-1, 2)
    if openings.size == 0:
        return np.zeros(len(slots), dtype=bool)
    openings = openings[np.argsort(openings[:, 0])]
    starts = _epochs(slots, tz)
    ends = _epochs(slots + pd.Timedelta(minutes=interval.minutes), tz)
    # The first opening ending after the slot starts; the slot is open if it starts before
    # the slot ends (openings of one schedule never overlap).
    nxt = np.searchsorted(openings[:, 1], starts, side="right")
    inside = nxt < len(openings)
    result = np.zeros(len(slots), dtype=bool)
    result[inside] = openings[nxt[inside], 0] < ends[inside]
    return result


def schedule_for(hours: BusinessHours | None, by: str | None, key: str) -> Schedule | None:
    """The schedule of one series: its team's own when broken down by team, else the default."""
    if hours is None:
        return None
    if by == "team":
        return hours.calendars[calendar_for_team(hours, key)]
    return hours.default
