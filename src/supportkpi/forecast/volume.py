"""Volume forecasts: a count metric per slot ahead, with 80% and 95% prediction intervals.

The steps, each in its own module: the history of counts per local slot (`series`), the
slots the desk is open (`closed`), the models (`models`), and a rolling-origin backtest
deciding whether the model beats seasonal naive (`backtest`); a model that does not is not
used, and the forecast says so in ``model`` and a note.

What the models learn from is in `fitting`. Closed slots of the horizon (nights, weekends,
holidays) are forecast 0, intervals included.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from supportkpi.calendar.schedule import BusinessHours
from supportkpi.errors import DataError, InputError
from supportkpi.forecast.backtest import Backtest, possible_folds, run_backtest
from supportkpi.forecast.closed import open_slots, schedule_for
from supportkpi.forecast.fitting import fit_frames
from supportkpi.forecast.intervals import Interval, parse_as_of, parse_horizon, parse_interval
from supportkpi.forecast.models import (
    SEASONAL_NAIVE,
    VALUE_COLUMNS,
    chosen_model_name,
    predict,
    widened,
)
from supportkpi.forecast.series import NO_VALUE, History, count_history
from supportkpi.query.session import Session

#: Two weekly seasons: the least history the seasonal models can separate a week from.
MIN_HISTORY_DAYS = 14
#: Rolling origins of the backtest that decides between the model and seasonal naive.
DEFAULT_FOLDS = 3
#: The most recent weeks the models learn from: the pattern of the last two months for
#: slots within a day (longer only slows MSTL down and lets old patterns in), two years
#: for daily slots.
FIT_WEEKS = {"subdaily": 8, "daily": 104}


@dataclass
class ForecastResult:
    """A forecast's rows, the model used, the backtest behind the choice and notes."""

    metric: str
    interval: str
    model: str
    rows: pd.DataFrame
    backtest: Backtest | None = None
    notes: list[str] = field(default_factory=list)
    #: The as-of slot: the first local slot forecast (naive local wall-clock time).
    start: pd.Timestamp | None = None
    interval_minutes: int = 60
    #: The filters the forecast was made under (the staffing plan reads AHT and backlog so).
    where: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """``{"model", "rows", "notes", "backtest"}`` (SPEC issue 17's JSON, plus context)."""
        return {
            "model": self.model,
            "interval": self.interval,
            "rows": [
                {k: None if isinstance(v, float) and np.isnan(v) else v for k, v in row.items()}
                for row in self.rows.to_dict(orient="records")
            ],
            "notes": list(self.notes),
            "backtest": self.backtest.as_dict() if self.backtest else None,
        }


def parse_days(values: Iterable[str | date]) -> frozenset[date]:
    """Dates to leave out of the history (``2025-03-14``), as a set."""
    days = set()
    for value in values:
        try:
            days.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise InputError(f"invalid excluded day {value!r}; use YYYY-MM-DD") from None
    return frozenset(days)


def forecast_volume(
    session: Session,
    metric: str,
    interval: str = "60m",
    horizon: str = "7d",
    by: str | None = None,
    as_of: str | date | None = None,
    tz: str | None = None,
    exclude_days: Iterable[str | date] = (),
    folds: int = DEFAULT_FOLDS,
    where: dict[str, list[str]] | None = None,
) -> ForecastResult:
    """Forecast ``metric`` (a count: ``ticket_volume``, ``calls_offered``) per ``interval``
    slot for ``horizon`` after ``as_of`` (default: the midnight after the last item's day),
    one series per value of ``by``; see the module docstring for the method."""
    slot = parse_interval(interval)
    steps = parse_horizon(horizon, slot)
    if isinstance(folds, bool) or int(folds) != folds or not 1 <= folds <= 20:
        raise InputError(f"folds must be a whole number from 1 to 20, got {folds!r}")
    excluded = parse_days(exclude_days)
    tz = tz or session.default_tz
    history = count_history(session, metric, slot, by, parse_as_of(as_of, tz), tz, where)
    days = (history.end - history.start).days
    if days < MIN_HISTORY_DAYS:
        raise DataError(
            f"too little history: {history.metric} has {days} day(s) before "
            f"{history.end.isoformat()}; a forecast needs at least {MIN_HISTORY_DAYS} days"
        )
    hours = session.settings.business_hours
    history = _recent(history, steps)
    fit, scored, notes = fit_frames(history, hours, excluded)
    if history.last_item is not None and history.end - history.last_item > pd.Timedelta(days=2):
        notes.append(
            f"the data ends at {history.last_item.isoformat()}, well before the as-of instant; "
            "the days between count as 0"
        )
    fold_count = possible_folds(history.slots, steps, slot, int(folds))
    model, backtest = _choose_model(fit, scored, slot, steps, fold_count, notes)
    candidate = chosen_model_name(slot)
    predicted = predict(fit, slot, steps, (model,))
    if backtest is not None:
        used = backtest.candidate if model == candidate else backtest.baseline
        predicted = widened(predicted, used.factors)
    else:
        predicted = widened(predicted, {})
        notes.append("the prediction intervals are the model's own, not calibrated by a backtest")
    rows = _rows(history, predicted, hours)
    return ForecastResult(
        history.metric,
        slot.name,
        model,
        rows,
        backtest,
        notes,
        history.end,
        slot.minutes,
        dict(where or {}),
    )


def _choose_model(
    fit: pd.DataFrame,
    scored: pd.DataFrame,
    slot: Interval,
    steps: int,
    folds: int,
    notes: list[str],
) -> tuple[str, Backtest | None]:
    """The candidate when it beats seasonal naive in the backtest, else seasonal naive (with
    a note saying why), and the backtest (none when the history is too short for one)."""
    candidate = chosen_model_name(slot)
    if folds == 0:
        notes.append(
            f"the history is too short to test {candidate} against seasonal naive over this "
            "horizon, so seasonal naive (the same slot last week) is used"
        )
        return SEASONAL_NAIVE, None
    backtest = run_backtest(fit, scored, slot, steps, folds, candidate)
    if backtest.candidate_wins:
        return candidate, backtest
    notes.append(
        f"{candidate} did not beat seasonal naive in the backtest "
        f"(MASE {_show(backtest.candidate.mase)} vs {_show(backtest.baseline.mase)}), "
        "so seasonal naive is used"
    )
    return SEASONAL_NAIVE, backtest


def _recent(history: History, steps: int) -> History:
    """``history`` cut to its last `FIT_WEEKS` weeks, or to two weeks more than the horizon
    when that is longer (room for one backtest origin)."""
    weeks = FIT_WEEKS["daily" if history.interval.minutes == 1440 else "subdaily"]
    weeks = max(weeks, 2 + math.ceil(steps / history.interval.per_week))
    start = max(history.start, history.end - pd.Timedelta(weeks=weeks))
    frame = history.frame[history.frame["ds"] >= start].reset_index(drop=True)
    return dataclasses.replace(history, start=start, frame=frame)


def _show(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _rows(history: History, predicted: pd.DataFrame, hours: BusinessHours | None) -> pd.DataFrame:
    """One row per series and horizon slot: closed slots 0, ``at`` as a local ISO instant."""
    frames = []
    for key, part in predicted.groupby("key", sort=False):
        part = part.sort_values("ds").reset_index(drop=True)
        slots = pd.DatetimeIndex(part["ds"])
        schedule = schedule_for(hours, history.by, str(key))
        is_open = open_slots(schedule, slots, history.interval, history.tz)
        values = part[list(VALUE_COLUMNS)].to_numpy(dtype=float)
        values[~is_open] = 0.0
        # A skipped DST hour has no instant: it is left out (the day has one slot fewer).
        aware = slots.tz_localize(history.tz, ambiguous=True, nonexistent="NaT")
        keep = ~np.asarray(aware.isna(), dtype=bool)
        row: dict[str, Any] = {"metric": history.metric, "at": [t.isoformat() for t in aware[keep]]}
        if history.by:
            row[history.by] = None if key == NO_VALUE else key
        frame = pd.DataFrame(row)
        for index, column in enumerate(VALUE_COLUMNS):
            frame[column] = np.round(values[keep, index], 4)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
