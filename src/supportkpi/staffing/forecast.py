"""Call volume and handle time per weekday × interval slot, and two simple forecasts.

A *slot* is a weekday and a wall-clock interval in the report timezone (Monday 09:00–09:30).
The seasonal-average forecast for a slot is its mean over the last N weeks (weeks without a
call in the slot count as zero); the naive forecast repeats last week. `backtest_forecasts`
compares the two on held-out weeks.

Calls are bucketed by local wall-clock time, so on a DST change the repeated hour's calls
land in one slot (twice the volume that night) and the skipped hour's slot stays empty.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from supportkpi.errors import DataError, InputError

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Handle time = the sum of these when the frame has no `handle_s` column (SPEC §4 AHT).
HANDLE_PARTS = ("talk_s", "hold_s", "acw_s")


@dataclass(frozen=True)
class SlotHistory:
    """Per-week, per-slot call counts and handle-time sums for consecutive weeks."""

    first_week: date  # the Monday that starts week 0
    interval_min: int
    volume: np.ndarray  # shape (weeks, slots): calls offered
    handle_sum: np.ndarray  # shape (weeks, slots): seconds over calls with a handle time
    handle_count: np.ndarray  # shape (weeks, slots): calls with a handle time

    @property
    def slots_per_day(self) -> int:
        return 1440 // self.interval_min


def check_interval(interval_min: int) -> int:
    """An interval length in whole minutes that divides a day (15, 30, 60, ...)."""
    if isinstance(interval_min, bool) or int(interval_min) != interval_min or interval_min < 1:
        raise InputError(f"interval_min must be a whole number of minutes, got {interval_min!r}.")
    if 1440 % int(interval_min):
        raise InputError(f"interval_min must divide a day (1440 minutes), got {interval_min}.")
    return int(interval_min)


def check_timezone(tz: str) -> str:
    """An IANA timezone name such as ``Europe/Berlin``."""
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(
            f"tz must be an IANA timezone name such as Europe/Berlin, got {tz!r}."
        ) from None
    return tz


def local_calls(calls: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The calls as local wall-clock times (naive) and handle seconds (NaN when unknown).

    ``offered_at`` must be timestamps; naive values are read as UTC, as the store keeps them.
    """
    tz = check_timezone(tz)
    if "offered_at" not in calls.columns:
        raise InputError("the calls frame needs an offered_at column (when each call arrived).")
    try:
        offered = pd.to_datetime(calls["offered_at"], utc=True)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"column offered_at holds a value that is not a timestamp: {exc}."
        ) from None
    if offered.isna().any():
        row = int(np.flatnonzero(offered.isna().to_numpy())[0])
        raise InputError(f"column offered_at is empty in row {row}; every call needs one.")
    if "handle_s" in calls.columns:
        handle = pd.to_numeric(calls["handle_s"], errors="coerce")
    elif any(part in calls.columns for part in HANDLE_PARTS):
        parts = [pd.to_numeric(calls[p], errors="coerce") for p in HANDLE_PARTS if p in calls]
        # A missing part counts as 0 s, but a call with no part at all has no handle time.
        handle = pd.concat(parts, axis=1).sum(axis=1, min_count=1)
    else:
        raise InputError(
            "the calls frame needs a handle_s column (or talk_s, hold_s, acw_s) for the AHT."
        )
    return pd.DataFrame(
        {
            "local": offered.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(),
            "handle_s": handle.to_numpy(dtype=float),
        }
    )


def slot_history(
    local: pd.DataFrame, first_week: date, weeks: int, interval_min: int
) -> SlotHistory:
    """Count calls and sum handle times per week × slot for ``weeks`` weeks from a Monday."""
    slots = 7 * 1440 // interval_min
    start = pd.Timestamp(first_week)
    days = (local["local"] - start).dt.days.to_numpy()
    in_range = (days >= 0) & (days < 7 * weeks)
    moments = local["local"][in_range]
    minute = (moments.dt.hour * 60 + moments.dt.minute).to_numpy()
    cell = (days[in_range] // 7) * slots + (days[in_range] % 7) * (1440 // interval_min)
    cell = cell + minute // interval_min
    handle = local["handle_s"].to_numpy()[in_range]
    known = ~np.isnan(handle)
    size = weeks * slots
    return SlotHistory(
        first_week=first_week,
        interval_min=interval_min,
        volume=np.bincount(cell, minlength=size).reshape(weeks, slots).astype(float),
        handle_sum=np.bincount(cell[known], weights=handle[known], minlength=size).reshape(
            weeks, slots
        ),
        handle_count=np.bincount(cell[known], minlength=size).reshape(weeks, slots).astype(float),
    )


def require_every_week(history: SlotHistory) -> None:
    """Raise when a history week has no call at all: that is missing data, not zero demand."""
    empty = np.flatnonzero(history.volume.sum(axis=1) == 0)
    if empty.size:
        monday = history.first_week + timedelta(weeks=int(empty[0]))
        raise DataError(
            f"the week starting {monday.isoformat()} has no calls; pass fewer weeks or "
            "load the missing data."
        )


def seasonal_forecast(history: SlotHistory) -> tuple[np.ndarray, np.ndarray]:
    """Calls and AHT per slot: the mean over the history weeks (AHT pooled over the calls).

    A slot with no handle times falls back to the AHT over the whole history.
    """
    calls = history.volume.mean(axis=0)
    counts = history.handle_count.sum(axis=0)
    sums = history.handle_sum.sum(axis=0)
    if counts.sum() == 0:
        raise DataError("no call in the history weeks has a handle time, so there is no AHT.")
    overall = sums.sum() / counts.sum()
    aht = np.where(counts > 0, sums / np.maximum(counts, 1.0), overall)
    return calls, aht


def backtest_forecasts(
    calls: pd.DataFrame,
    *,
    weeks: int = 4,
    holdout_weeks: int = 4,
    tz: str = "UTC",
    interval_min: int = 30,
    last_week: date | None = None,
) -> pd.DataFrame:
    """Seasonal average of ``weeks`` weeks vs last week's repeat, on held-out weeks.

    Each of the ``holdout_weeks`` weeks ending with ``last_week`` (default: the last complete
    week of data) is forecast from the weeks before it only. Per held-out week: the actual
    calls, and the mean absolute error per slot (MAE) and the weighted absolute percentage
    error (WAPE = Σ|error| / Σ actual) of each forecast.
    """
    interval_min = check_interval(interval_min)
    local = local_calls(calls, tz)
    if last_week is None:
        last_week = last_complete_week(local)
    first = last_week - timedelta(weeks=weeks + holdout_weeks - 1)
    history = slot_history(local, first, weeks + holdout_weeks, interval_min)
    require_every_week(history)
    rows = []
    for offset in range(holdout_weeks):
        target = weeks + offset
        actual = history.volume[target]
        seasonal = history.volume[offset:target].mean(axis=0)
        naive = history.volume[target - 1]
        total = actual.sum()
        rows.append(
            {
                "week_start": first + timedelta(weeks=target),
                "actual_calls": total,
                "mae_seasonal": float(np.abs(seasonal - actual).mean()),
                "mae_naive": float(np.abs(naive - actual).mean()),
                "wape_seasonal": float(np.abs(seasonal - actual).sum() / total),
                "wape_naive": float(np.abs(naive - actual).sum() / total),
            }
        )
    return pd.DataFrame(rows)


def monday_of(day: date) -> date:
    """The Monday starting ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def last_complete_week(local: pd.DataFrame) -> date:
    """The Monday of the last complete week of data.

    The latest call's week counts as complete when that call came on its Sunday; otherwise
    the week before it is the last complete one.
    """
    if local.empty:
        raise DataError("there are no calls to forecast from.")
    latest = pd.Timestamp(local["local"].max()).date()
    monday = monday_of(latest)
    return monday if latest.weekday() == 6 else monday - timedelta(weeks=1)
