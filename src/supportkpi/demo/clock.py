"""The demo's time window and an hourly calendar of the support desk (local time, holidays).

Times inside the generator are whole epoch seconds (UTC) in ``int64`` arrays; the hourly grid
answers "is the desk staffed at this instant?" and "when does it open next?" for millions of
instants at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from supportkpi.demo import parameters as p

HOUR = 3_600
DAY = 86_400
YEAR = 365.25 * DAY
#: Hours past the window's end the grid still covers (late replies, closes, callbacks).
_MARGIN_HOURS = 60 * 24


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, 1) + timedelta(days=day.day - 1)


def epoch(day: date) -> int:
    """Epoch seconds of a day's midnight, UTC."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Clock:
    """The window ``[start, end)`` in epoch seconds and the desk's hourly calendar."""

    start: int
    end: int  # exclusive; also the moment the data set is "exported"
    first_day: date
    last_day: date
    local_hour: np.ndarray  # per grid hour
    weekday: np.ndarray  # per grid hour, Monday = 0
    holiday: np.ndarray  # per grid hour
    open: np.ndarray  # per grid hour: the desk is staffed
    next_open: np.ndarray  # per grid hour: start of the next staffed hour (-1 = none)
    utc_offset_noon: np.ndarray  # per window day: local offset in seconds at local noon
    day_holiday: np.ndarray  # per window day

    @classmethod
    def ending(cls, last_day: date, months: int = p.WINDOW_MONTHS) -> Clock:
        """The ``months`` months ending on ``last_day`` (inclusive), e.g. 2025-05-01…2026-10-31."""
        first_day = _months_before(last_day + timedelta(days=1), months)
        start, end = epoch(first_day), epoch(last_day + timedelta(days=1))
        zone = ZoneInfo(p.DEMO_TIMEZONE)
        years = range(first_day.year, last_day.year + 2)
        closed_days = set(holidays.country_holidays(p.DEMO_HOLIDAYS_COUNTRY, years=years))
        n_hours = (end - start) // HOUR + _MARGIN_HOURS
        local_hour = np.empty(n_hours, np.int8)
        weekday = np.empty(n_hours, np.int8)
        holiday = np.empty(n_hours, bool)
        for h in range(n_hours):
            local = datetime.fromtimestamp(start + h * HOUR, zone)
            local_hour[h], weekday[h] = local.hour, local.weekday()
            holiday[h] = local.date() in closed_days
        is_open = ~holiday
        opening = np.zeros((7, 2), np.int8)
        for day, (frm, to) in p.OPENING_HOURS.items():
            opening[day] = frm, to
        is_open &= (local_hour >= opening[weekday, 0]) & (local_hour < opening[weekday, 1])
        hour_index = np.where(is_open, np.arange(n_hours), n_hours)
        following = np.minimum.accumulate(hour_index[::-1])[::-1]
        next_open = np.where(following < n_hours, start + following.astype(np.int64) * HOUR, -1)
        n_days = (last_day - first_day).days + 1
        days = [first_day + timedelta(days=d) for d in range(n_days)]
        offset_noon = np.array(
            [
                int(datetime(d.year, d.month, d.day, 12, tzinfo=zone).utcoffset().total_seconds())  # type: ignore[union-attr]
                for d in days
            ],
            np.int64,
        )
        day_holiday = np.array([d in closed_days for d in days])
        return cls(
            start,
            end,
            first_day,
            last_day,
            local_hour,
            weekday,
            holiday,
            is_open,
            next_open,
            offset_noon,
            day_holiday,
        )

    @property
    def window_hours(self) -> int:
        return (self.end - self.start) // HOUR

    @property
    def n_days(self) -> int:
        return len(self.utc_offset_noon)

    def hour_of(self, at: np.ndarray) -> np.ndarray:
        """Grid index of each instant (clipped to the grid)."""
        return np.clip((at - self.start) // HOUR, 0, len(self.open) - 1)

    def staffed(self, rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
        """Move instants that fall outside opening hours to shortly after the next opening.

        Agents act only while the desk is staffed; work queued overnight is picked up in the
        first 45 minutes of the morning.
        """
        at = np.asarray(at, np.int64)
        grid = self.hour_of(at)
        jitter = rng.integers(60, 2_700, size=at.shape)
        closed = (
            ~self.open[grid]
            & (self.next_open[grid] >= 0)
            & (at < self.start + len(self.open) * HOUR)
        )
        return np.where(closed, np.maximum(self.next_open[grid] + jitter, at), at)

    def arrival_intensity(self) -> np.ndarray:
        """Relative ticket intensity per hour of the window: seasonality times growth."""
        hours = self.window_hours
        profile = np.asarray(p.HOUR_PROFILE)[self.local_hour[:hours]]
        weekly = np.asarray(p.WEEKDAY_FACTOR)[self.weekday[:hours]]
        holiday = np.where(self.holiday[:hours], p.HOLIDAY_FACTOR, 1.0)
        years = np.arange(hours) * HOUR / YEAR
        return profile * weekly * holiday * np.power(p.GROWTH_PER_YEAR, years)

    def sample_instants(
        self, rng: np.random.Generator, count: int, intensity: np.ndarray
    ) -> np.ndarray:
        """``count`` sorted instants in the window, drawn with the given hourly intensity."""
        per_hour = rng.multinomial(count, intensity / intensity.sum())
        hour = np.repeat(np.arange(len(per_hour), dtype=np.int64), per_hour)
        at = self.start + hour * HOUR + rng.integers(0, HOUR, size=count)
        return np.sort(at)

    def local_to_utc(self, day_index: np.ndarray, local_seconds: np.ndarray) -> np.ndarray:
        """Epoch seconds of a local wall-clock time on a window day (valid from 04:00 on)."""
        day_start = self.start + day_index.astype(np.int64) * DAY
        return day_start + local_seconds.astype(np.int64) - self.utc_offset_noon[day_index]

    def day_weekday(self) -> np.ndarray:
        """Weekday (Monday = 0) of each window day."""
        return (np.arange(self.n_days) + self.first_day.weekday()) % 7

    def month_starts(self) -> list[date]:
        """First day of each calendar month touching the window, then the day after it."""
        months, day = [], self.first_day.replace(day=1)
        while day <= self.last_day:
            months.append(day)
            day = (day + timedelta(days=32)).replace(day=1)
        return [*months, day]
