"""Parsing of intervals, horizons and as-of instants; filling holidays from other weeks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from supportkpi.calendar.schedule import BusinessHours, Schedule
from supportkpi.errors import InputError
from supportkpi.forecast.backtest import calibration, possible_folds
from supportkpi.forecast.closed import open_slots
from supportkpi.forecast.fitting import fill_from_other_weeks, fit_frames
from supportkpi.forecast.intervals import parse_as_of, parse_horizon, parse_interval
from supportkpi.forecast.series import History


@pytest.mark.parametrize(
    ("interval", "horizon", "slots"),
    [
        ("15m", "1d", 96),
        ("30m", "7d", 336),
        ("60m", "48h", 48),
        ("1h", "2w", 336),
        ("1d", "2w", 14),
    ],
)
def test_horizon_in_slots(interval: str, horizon: str, slots: int) -> None:
    assert parse_horizon(horizon, parse_interval(interval)) == slots


@pytest.mark.parametrize(
    ("interval", "horizon", "message"),
    [
        ("5m", "1d", "unknown interval '5m'"),
        ("1d", "0d", "is zero"),
        ("1d", "36h", "not a whole number of 1d intervals"),
        ("60m", "soon", "invalid horizon"),
        ("1d", "400d", "at most 366 days"),
    ],
)
def test_bad_interval_or_horizon(interval: str, horizon: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_horizon(horizon, parse_interval(interval))


def test_as_of_is_local_wall_clock_time() -> None:
    assert parse_as_of("2025-03-01", "Europe/Berlin") == pd.Timestamp("2025-03-01 00:00")
    # 09:00 UTC is 10:00 in Berlin in winter.
    assert parse_as_of("2025-03-01T09:00+00:00", "Europe/Berlin") == pd.Timestamp(
        "2025-03-01 10:00"
    )
    with pytest.raises(InputError, match="invalid as-of instant"):
        parse_as_of("yesterday", "UTC")


def test_holidays_are_filled_with_the_median_of_other_weeks() -> None:
    # A "week" of 3 slots; slot 0 of the third week is filled: median of 1 and 5 is 3.
    y = np.array([1.0, 2, 3, 5, 6, 7, 100, 8, 9])
    fill = np.zeros(9, dtype=bool)
    fill[6] = True
    assert fill_from_other_weeks(y, fill, 3).tolist() == [1, 2, 3, 5, 6, 7, 3, 8, 9]


def test_a_slot_is_open_when_any_minute_of_it_is() -> None:
    # Open 09:30–10:00 on Mondays: of the hours 08:00, 09:00 and 10:00 only 09:00 is open.
    week = (((570, 600),), (), (), (), (), (), ())
    slots = pd.date_range("2025-01-06 08:00", periods=3, freq="h")
    is_open = open_slots(Schedule(week=week), slots, parse_interval("60m"), "UTC")
    assert is_open.tolist() == [False, True, False]


def test_backtest_origins_leave_two_weeks_of_history() -> None:
    # 4 weeks of hourly slots with a 1-week horizon: 2 weeks of room, so 2 origins at most.
    assert possible_folds(4 * 168, 168, parse_interval("60m"), 3) == 2
    assert possible_folds(2 * 168, 24, parse_interval("60m"), 3) == 0


def test_an_excluded_outage_day_and_a_holiday_are_filled_and_not_scored() -> None:
    # Three weeks of daily counts, 10 on weekdays and 2 at weekends; the desk opens Mon–Fri.
    # The second Tuesday was an outage (0) and is excluded; the third Wednesday a holiday.
    days = pd.date_range("2025-01-06", periods=21, freq="D")
    y = np.where(days.weekday < 5, 10.0, 2.0)
    y[8] = 0.0
    frame = pd.DataFrame({"key": "ticket_volume", "ds": days, "y": y})
    history = History("ticket_volume", parse_interval("1d"), "UTC", None, days[0], days[-1], frame)
    week = (((540, 1020),),) * 5 + ((), ())
    hours = BusinessHours(Schedule(week=week, extra_holidays=frozenset({date(2025, 1, 22)})))
    fit, scored, notes = fit_frames(history, hours, frozenset({date(2025, 1, 14)}))
    # Filled with the median of the other weeks' same weekday (10); weekends closed: 0.
    assert (
        fit["y"].tolist()
        == [10.0] * 5 + [0.0] * 2 + [10.0] * 5 + [0.0] * 2 + [10.0] * 5 + [0.0] * 2
    )
    assert not scored["score"].iloc[8] and not scored["score"].iloc[16]
    assert int(scored["score"].sum()) == 15 - 2
    # 6 weekend days × 2, and the 10 of the holiday.
    assert "22 arrival(s) fell in closed hours" in notes[0]


def test_interval_calibration_widens_but_never_narrows() -> None:
    # 25 points with half-width 2 at both levels; errors 0.2, 0.4, ..., 5.0 are 0.1 … 2.5
    # half-widths. The 95th percentile (linear, position 0.95 × 24 = 22.8) is 2.3 + 0.8 × 0.1.
    errors = 0.2 * np.arange(1, 26)
    rows = pd.DataFrame(
        {"value": 10.0, "actual": 10.0 + errors, "lo80": 8.0, "hi80": 12.0, "lo95": 8.0}
    ).assign(hi95=12.0)
    assert calibration(rows)[95] == pytest.approx(2.38)
    assert calibration(rows)[80] == pytest.approx(2.02)  # position 19.2: 2.0 + 0.2 × 0.1
    exact = rows.assign(actual=10.0)  # every error 0: the model's own band stays
    assert calibration(exact) == {80: 1.0, 95: 1.0}
