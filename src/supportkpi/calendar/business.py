"""Business time in Ibis: a precomputed calendar joined by equality on the UTC day.

For every calendar (the default schedule and each team's) and every UTC day, the table holds
the cumulative business seconds before the day (``cum``) and the day's open segments as UTC
epoch instants ``[a_i, b_i)``. The business seconds before an instant ``t`` of that day are

    B(t) = cum + sum_i clamp(t - a_i, 0, b_i - a_i)

and a business duration is ``B(end) - B(start)``. Holidays, split shifts, weekends and DST are
all resolved in Python when the table is built (``zoneinfo`` turns each local opening into its
UTC instants), so the engine only does integer arithmetic after two equality joins on a small
table, which DuckDB and Spark both broadcast. No ASOF or range join is needed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from supportkpi.calendar.schedule import MAX_INTERVALS_PER_DAY, BusinessHours, Schedule
from supportkpi.engine.periods import zone

#: Segments per UTC day: a local day's intervals, plus the tail of the previous local day.
SEGMENTS = MAX_INTERVALS_PER_DAY + 2
FIRST_YEAR, LAST_YEAR = 2000, 2045
DEFAULT_CALENDAR = "default"


def _local_instant(day: date, minutes: int, tz_name: str) -> int:
    """Epoch seconds of local ``day`` at ``minutes`` past midnight (24:00 = next midnight)."""
    tz = zone(tz_name)
    if minutes >= 24 * 60:
        day, minutes = day + timedelta(days=1), minutes - 24 * 60
    naive = datetime.combine(day, time(minutes // 60, minutes % 60))
    # A time inside a DST gap does not exist; zoneinfo's fold=0 maps it past the gap.
    return int(naive.replace(tzinfo=tz).timestamp())


def open_intervals(schedule: Schedule, first: date, last: date) -> list[tuple[int, int]]:
    """Every opening ``[start, end)`` in epoch seconds for local dates ``first..last``."""
    closed = schedule.closed_dates(range(first.year, last.year + 1))
    out = []
    day = first
    while day <= last:
        if day not in closed:
            for start, end in schedule.week[day.weekday()]:
                a = _local_instant(day, start, schedule.timezone)
                b = _local_instant(day, end, schedule.timezone)
                if b > a:
                    out.append((a, b))
        day += timedelta(days=1)
    return out


def calendar_frame(calendar_id: str, schedule: Schedule) -> pd.DataFrame:
    """The per-UTC-day table of one calendar (see the module docstring)."""
    first, last = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
    intervals = open_intervals(schedule, first - timedelta(days=1), last + timedelta(days=1))
    first_day = (first - date(1970, 1, 1)).days
    last_day = (last - date(1970, 1, 1)).days
    segments: dict[int, list[tuple[int, int]]] = {}
    for a, b in intervals:
        # Split each opening at UTC midnights so every segment lies inside one UTC day.
        while a < b:
            day = a // 86400
            cut = min(b, (day + 1) * 86400)
            segments.setdefault(day, []).append((a, cut))
            a = cut
    rows = []
    cum = 0
    for day in range(first_day, last_day + 1):
        todays = segments.get(day, [])
        if len(todays) > SEGMENTS:
            raise ValueError(f"calendar {calendar_id}: more than {SEGMENTS} openings in a UTC day")
        row: list[object] = [calendar_id, day, cum]
        for i in range(SEGMENTS):
            a, b = todays[i] if i < len(todays) else (0, 0)
            row += [a, b]
        rows.append(row)
        cum += sum(b - a for a, b in todays)
    columns = ["calendar", "utc_day", "cum"]
    for i in range(SEGMENTS):
        columns += [f"a{i}", f"b{i}"]
    return pd.DataFrame(rows, columns=columns)


@lru_cache(maxsize=8)
def _calendars_frame(hours: BusinessHours) -> pd.DataFrame:
    frames = [calendar_frame(cid, schedule) for cid, schedule in hours.calendars.items()]
    frame = pd.concat(frames, ignore_index=True)
    # One integer join key per (calendar, UTC day): a single-column equality join is the
    # cheapest join on both engines.
    numbers = {cid: i for i, cid in enumerate(hours.calendars)}
    frame.insert(0, "key", frame["calendar"].map(numbers) * KEY_STRIDE + frame["utc_day"])
    return frame


#: Calendar number × KEY_STRIDE + UTC day number is the join key (days stay below 10^6).
KEY_STRIDE = 1_000_000


def calendar_number(hours: BusinessHours, team: ir.StringValue) -> ir.IntegerValue:
    """The calendar of a row as a number: its team's own schedule, else the default (0)."""
    if not hours.teams:
        return ibis.literal(0, "int64")
    cases = [(team == name, i + 1) for i, name in enumerate(hours.team_names)]
    return ibis.cases(*cases, else_=0).cast("int64")


def _business_before(row: ir.Table, t: ir.IntegerValue, prefix: str) -> ir.IntegerValue:
    total = row[f"{prefix}cum"]
    for i in range(SEGMENTS):
        a, b = row[f"{prefix}a{i}"], row[f"{prefix}b{i}"]
        total = total + ibis.greatest(0, ibis.least(t - a, b - a))
    return total


@lru_cache(maxsize=8)
def _calendars_memtable(hours: BusinessHours) -> ir.Table:
    """The calendars as one in-memory table per calendar: registered once per connection,
    and the same table (same name) in every statement, which lets a statement be compiled
    once per shape (:mod:`supportkpi.query.shapes`)."""
    return ibis.memtable(_calendars_frame(hours).drop(columns=["calendar", "utc_day"]))


def with_business_seconds(
    rows: ir.Table, hours: BusinessHours, start: str, end: str, team: str = "team", out: str = "x"
) -> ir.Table:
    """Add ``out`` = business seconds between the instants in columns ``start`` and ``end``.

    Instants outside the calendar's years (2000-2045) give null.
    """
    cal = _calendars_memtable(hours)
    base = calendar_number(hours, rows[team]) * KEY_STRIDE
    rows = rows.mutate(
        _k0=base + (rows[start] / 86400).floor().cast("int64"),
        _k1=base + (rows[end] / 86400).floor().cast("int64"),
    )
    names = [c for c in cal.columns if c != "key"]
    c0 = cal.select(_j0=cal.key, **{f"s_{c}": cal[c] for c in names})
    c1 = cal.select(_j1=cal.key, **{f"e_{c}": cal[c] for c in names})
    joined = rows.join(c0, rows._k0 == c0._j0)
    joined = joined.join(c1, joined._k1 == c1._j1)
    seconds = _business_before(joined, joined[end], "e_") - _business_before(
        joined, joined[start], "s_"
    )
    drop = ["_k0", "_k1", "_j0", "_j1"]
    drop += [f"s_{c}" for c in names] + [f"e_{c}" for c in names]
    return joined.mutate(**{out: seconds.cast("float64")}).drop(*drop)


def calendar_for_team(hours: BusinessHours, team: str | None) -> str:
    """The calendar id a ticket of ``team`` uses (the Python twin of :func:`calendar_number`)."""
    return f"team:{team}" if team in hours.team_names else DEFAULT_CALENDAR


def add_business_seconds(hours: BusinessHours, calendar: str, start: int, seconds: float) -> int:
    """The instant ``seconds`` of business time after ``start`` (for due times in listings)."""
    days, cum, opens, closes = _calendar_arrays(hours, calendar)
    day = int(np.searchsorted(days, start // 86400))
    if day >= len(days) or days[day] != start // 86400:
        raise ValueError("instant outside the business calendar's range")
    lengths = closes - opens
    before = cum[day] + np.clip(start - opens[day], 0, lengths[day]).sum()
    goal = before + seconds
    # The last day whose cumulative total at its start is below the goal holds the instant.
    index = max(int(np.searchsorted(cum, goal, side="left")) - 1, day)
    left = goal - cum[index]
    for a, length in zip(opens[index], lengths[index], strict=True):
        if length > 0 and left <= length:
            return int(a + left)
        left -= length
    raise ValueError("due time beyond the business calendar's range")


@lru_cache(maxsize=16)
def _calendar_arrays(
    hours: BusinessHours, calendar: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    frame = _calendars_frame(hours)
    frame = frame[frame.calendar == calendar]
    opens = frame[[f"a{i}" for i in range(SEGMENTS)]].to_numpy(dtype="int64")
    closes = frame[[f"b{i}" for i in range(SEGMENTS)]].to_numpy(dtype="int64")
    return (
        frame["utc_day"].to_numpy(dtype="int64"),
        frame["cum"].to_numpy(dtype="int64"),
        opens,
        closes,
    )
