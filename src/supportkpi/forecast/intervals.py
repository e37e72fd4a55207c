"""Forecast intervals and horizons: ``15m``, ``30m``, ``60m`` or ``1d``; a horizon like ``7d``.

A series is laid out on a grid of local wall-clock slots in the report timezone, so a day
always has the same number of slots and the daily and weekly seasons have fixed lengths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd

from supportkpi.engine.periods import MAX_DATE, MIN_DATE, zone
from supportkpi.errors import InputError

#: The interval names a forecast accepts, with their length in minutes.
INTERVALS = {"15m": 15, "30m": 30, "60m": 60, "1h": 60, "1d": 1440}
#: The longest horizon: a year ahead is as far as a weekly pattern says anything.
MAX_HORIZON_DAYS = 366
_HORIZON = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNIT_MINUTES = {"h": 60, "d": 1440, "w": 7 * 1440}


@dataclass(frozen=True)
class Interval:
    """The length of one forecast slot, and the seasons it implies."""

    name: str
    minutes: int

    @property
    def per_day(self) -> int:
        """Slots per local day (1 for daily forecasts)."""
        return 1440 // self.minutes

    @property
    def per_week(self) -> int:
        return 7 * self.per_day

    @property
    def freq(self) -> str:
        """The pandas frequency of the slot grid."""
        return "D" if self.minutes == 1440 else f"{self.minutes}min"

    @property
    def seconds(self) -> int:
        return self.minutes * 60


def parse_interval(value: str) -> Interval:
    """``"30m"`` → an :class:`Interval`; anything else is one sentence naming the choices."""
    key = str(value).strip().lower()
    if key not in INTERVALS:
        raise InputError(f"unknown interval {value!r}; use one of 15m, 30m, 60m or 1d")
    return Interval("60m" if key == "1h" else key, INTERVALS[key])


def parse_horizon(value: str, interval: Interval) -> int:
    """A horizon such as ``7d``, ``2w`` or ``48h``, as a whole number of slots (1 or more)."""
    match = _HORIZON.match(str(value).lower())
    if not match:
        raise InputError(f"invalid horizon {value!r}; use a length such as 7d, 2w or 48h")
    minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2)]
    if minutes == 0:
        raise InputError(f"the horizon {value!r} is zero; forecast at least one interval ahead")
    if minutes > MAX_HORIZON_DAYS * 1440:
        raise InputError(f"the horizon {value!r} is too long; at most {MAX_HORIZON_DAYS} days")
    if minutes % interval.minutes:
        raise InputError(
            f"the horizon {value!r} is not a whole number of {interval.name} intervals"
        )
    return minutes // interval.minutes


def parse_as_of(value: str | date | datetime | None, tz: str) -> pd.Timestamp | None:
    """The instant a forecast starts from, as a naive local wall-clock time in ``tz``.

    A date means its local midnight; a datetime without an offset is read in ``tz``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0))
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(
                f"invalid as-of instant {value!r}; use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
            ) from None
    if not MIN_DATE <= moment.date() <= MAX_DATE:
        raise InputError(f"the as-of instant {value!r} is outside {MIN_DATE} … {MAX_DATE}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone(tz)).replace(tzinfo=None)
    return pd.Timestamp(moment)


def floor_slot(moment: pd.Timestamp, interval: Interval) -> pd.Timestamp:
    """The start of the slot holding local ``moment``."""
    return moment.floor(interval.freq) if interval.minutes < 1440 else moment.normalize()


def floor_slots(moments: pd.Series, interval: Interval) -> pd.Series:
    """:func:`floor_slot` of every local (naive) moment of ``moments``, vectorised."""
    return moments.dt.floor(interval.freq) if interval.minutes < 1440 else moments.dt.normalize()


def slot_grid(first: pd.Timestamp, slots: int, interval: Interval) -> pd.DatetimeIndex:
    """``slots`` consecutive local slot starts from ``first``."""
    return pd.date_range(first, periods=slots, freq=interval.freq)


def day_after(moment: pd.Timestamp) -> pd.Timestamp:
    """Local midnight after ``moment``'s day: where a history ending at ``moment`` stops."""
    return moment.normalize() + timedelta(days=1)
