"""The forecasting models, all from statsforecast: one chosen model and the baseline.

- daily slots: AutoETS with a weekly season (7), the error, trend and season forms chosen by
  AICc;
- 15/30/60-minute slots: MSTL with a daily and a weekly season, its trend by AutoETS without
  a season (the seasons are MSTL's);
- the baseline, always: seasonal naive with a weekly season (the same slot last week).

Prediction intervals are the models' own (80% and 95%), widened by the factor the
backtest measured (`widened`), and cut at 0: a count is never negative.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from supportkpi.errors import DataError
from supportkpi.forecast.intervals import Interval

SEASONAL_NAIVE = "seasonal_naive"
LEVELS = (80, 95)
#: Output columns of a forecast, per series and slot.
VALUE_COLUMNS = ("value", "lo80", "hi80", "lo95", "hi95")


def chosen_model_name(interval: Interval) -> str:
    """The model tried against the baseline for this slot length."""
    return "auto_ets" if interval.minutes == 1440 else "mstl"


def _models(interval: Interval, names: tuple[str, ...]) -> list[Any]:
    from statsforecast.models import MSTL, AutoETS, SeasonalNaive

    built = {
        "auto_ets": lambda: AutoETS(season_length=7, alias="auto_ets"),
        "mstl": lambda: MSTL(
            season_length=[interval.per_day, interval.per_week],
            trend_forecaster=AutoETS(model="ZZN"),
            alias="mstl",
        ),
        SEASONAL_NAIVE: lambda: SeasonalNaive(
            season_length=interval.per_week, alias=SEASONAL_NAIVE
        ),
    }
    return [built[name]() for name in names]


def _engine(interval: Interval, names: tuple[str, ...]) -> Any:
    from statsforecast import StatsForecast

    return StatsForecast(models=_models(interval, names), freq=interval.freq, n_jobs=1)


def _long(wide: pd.DataFrame, names: tuple[str, ...], keep: tuple[str, ...]) -> pd.DataFrame:
    """statsforecast's one-column-per-model output as one row per series, slot and model."""
    parts = []
    for name in names:
        part = wide[list(keep)].copy()
        part["model"] = name
        part["value"] = wide[name]
        for level in LEVELS:
            part[f"lo{level}"] = wide[f"{name}-lo-{level}"]
            part[f"hi{level}"] = wide[f"{name}-hi-{level}"]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    values = out[list(VALUE_COLUMNS)].to_numpy(dtype=float)
    out[list(VALUE_COLUMNS)] = np.nan_to_num(values, nan=0.0)
    return out


def widened(predicted: pd.DataFrame, factors: dict[int, float]) -> pd.DataFrame:
    """The intervals of ``predicted`` with each level's half-width times its factor (the
    backtest's calibration, see `supportkpi.forecast.backtest`), then everything cut at 0."""
    out = predicted.copy()
    for level in LEVELS:
        factor = factors.get(level, 1.0)
        half = (out[f"hi{level}"] - out[f"lo{level}"]) / 2.0
        out[f"lo{level}"] = out["value"] - factor * half
        out[f"hi{level}"] = out["value"] + factor * half
    out[list(VALUE_COLUMNS)] = np.clip(out[list(VALUE_COLUMNS)].to_numpy(dtype=float), 0.0, None)
    return out


@contextmanager
def _fitting() -> Iterator[None]:
    """statsforecast's warnings silenced, and a model that cannot be fitted (a degenerate
    series) one sentence instead of a traceback."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            raise DataError(
                f"the forecasting model could not be fitted to this history: {exc}"
            ) from None


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={"key": "unique_id"})[["unique_id", "ds", "y"]]


def predict(
    frame: pd.DataFrame, interval: Interval, horizon: int, names: tuple[str, ...]
) -> pd.DataFrame:
    """Forecasts ``horizon`` slots past the end of ``frame`` (``key, ds, y``) by each model:
    columns ``key, ds, model`` and `VALUE_COLUMNS`."""
    with _fitting():
        wide = _engine(interval, names).forecast(df=_prepare(frame), h=horizon, level=list(LEVELS))
    out = _long(wide, names, ("unique_id", "ds"))
    return out.rename(columns={"unique_id": "key"})


def cross_validate(
    frame: pd.DataFrame, interval: Interval, horizon: int, folds: int, names: tuple[str, ...]
) -> pd.DataFrame:
    """Rolling-origin forecasts: ``folds`` origins ``horizon`` slots apart, the last one
    ``horizon`` slots before the end; each model refitted on the data before its origin.
    Columns ``key, ds, cutoff, model``, `VALUE_COLUMNS`, and ``y`` (the actual count)."""
    with _fitting():
        wide = _engine(interval, names).cross_validation(
            df=_prepare(frame),
            h=horizon,
            step_size=horizon,
            n_windows=folds,
            level=list(LEVELS),
            refit=True,
        )
    out = _long(wide, names, ("unique_id", "ds", "cutoff", "y"))
    return out.rename(columns={"unique_id": "key"})
