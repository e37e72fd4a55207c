"""The models on synthetic series whose daily and weekly pattern is known.

The hourly series is a base of 8 plus 2 × hour profile × weekday factor, plus Gaussian
noise (sd 2; the base keeps counts above 0, where the intervals are cut), so
the best possible point forecast is the pattern itself; the noise a held-out week adds is
fresh, so a 95% interval should hold about 95% of its points. The intervals are those a
forecast shows: the model's own, calibrated by a rolling-origin backtest on the history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from supportkpi.forecast.backtest import run_backtest
from supportkpi.forecast.intervals import parse_interval
from supportkpi.forecast.models import SEASONAL_NAIVE, predict, widened

HOURLY = parse_interval("60m")
#: A morning and an afternoon peak; quiet nights.
HOUR_PROFILE = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 15, 14, 11, 12, 14, 13, 11, 9, 7, 5, 4, 3, 2, 1], float
)
WEEKDAY_FACTOR = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.4])
NOISE_SD = 2.0
WEEKS = 6


def pattern(hours: int) -> np.ndarray:
    """The noise-free series from a Monday 00:00, ``hours`` long."""
    t = np.arange(hours)
    return 8.0 + 2.0 * HOUR_PROFILE[t % 24] * WEEKDAY_FACTOR[(t // 24) % 7]


def history(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Six weeks of history and the next week's actuals (noise from ``seed``)."""
    rng = np.random.default_rng(seed)
    total = (WEEKS + 1) * 168
    truth = pattern(total)
    observed = truth + rng.normal(0.0, NOISE_SD, total)
    frame = pd.DataFrame(
        {
            "key": "s",
            "ds": pd.date_range("2024-01-01", periods=WEEKS * 168, freq="h"),
            "y": observed[: WEEKS * 168],
        }
    )
    return frame, observed[WEEKS * 168 :]


@pytest.fixture(scope="module")
def forecasts() -> list[tuple[pd.DataFrame, np.ndarray]]:
    runs = []
    for seed in range(4):
        frame, actual = history(seed)
        scored = frame.rename(columns={"y": "actual"}).assign(score=True)
        test = run_backtest(frame, scored, HOURLY, 168, 2, "mstl")
        predicted = predict(frame, HOURLY, 168, ("mstl", SEASONAL_NAIVE))
        mstl = widened(predicted[predicted["model"] == "mstl"], test.candidate.factors)
        naive = widened(predicted[predicted["model"] == SEASONAL_NAIVE], test.baseline.factors)
        runs.append((pd.concat([mstl, naive]), actual))
    return runs


def test_mstl_recovers_the_daily_and_weekly_pattern(forecasts) -> None:
    truth = pattern((WEEKS + 1) * 168)[WEEKS * 168 :]
    for predicted, _ in forecasts:
        mstl = predicted[predicted["model"] == "mstl"]["value"].to_numpy()
        # Tolerance: mean error within half the noise sd (1.0 an hour, where the pattern
        # ranges from 8.8 to 44), and the shape of every day matched.
        assert np.abs(mstl - truth).mean() < NOISE_SD / 2
        assert np.corrcoef(mstl, truth)[0, 1] > 0.98
        night, peak = mstl[2], mstl[10]  # Monday 02:00 (true 10.4) and 10:00 (true 44)
        assert abs(night - 10.4) < 2.0 and abs(peak - 44.0) < 3.0


def test_mstl_beats_last_weeks_repeat_on_a_clean_pattern(forecasts) -> None:
    # Seasonal naive carries last week's noise (error sd 2·√2 on top of the noise), the
    # pattern model does not.
    for predicted, actual in forecasts:
        errors = {
            name: np.abs(group["value"].to_numpy() - actual).mean()
            for name, group in predicted.groupby("model")
        }
        assert errors["mstl"] < errors[SEASONAL_NAIVE]


def test_95_percent_intervals_cover_about_95_percent(forecasts) -> None:
    shares80, shares95 = [], []
    for predicted, actual in forecasts:
        mstl = predicted[predicted["model"] == "mstl"]
        shares80.append(((actual >= mstl["lo80"]) & (actual <= mstl["hi80"])).mean())
        shares95.append(((actual >= mstl["lo95"]) & (actual <= mstl["hi95"])).mean())
    # 4 seeds × 168 held-out hours, errors correlated within a week: the band allows a few
    # points of sampling error each way, and the calibration's slight caution (its folds fit
    # on fewer weeks than the final model, so their errors are a little larger).
    assert 0.90 <= float(np.mean(shares95)) <= 0.99
    assert 0.72 <= float(np.mean(shares80)) <= 0.90
    assert min(shares95) >= 0.85
