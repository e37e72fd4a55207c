"""Rolling-origin backtests: the chosen model against seasonal naive, on held-out slots.

For each of ``folds`` origins (``horizon`` slots apart, the last ``horizon`` slots before the
as-of instant) both models are refitted on the history before the origin and forecast the
next ``horizon`` slots. Scored on the open slots that were not excluded:

- MASE: the mean absolute error divided by the in-sample mean absolute error of the weekly
  seasonal-naive forecast (|y_t − y_{t−week}|) over the history before the first origin;
  below 1 beats last week's repeat in sample, and the baseline's own MASE is the bar;
- coverage: the share of actual counts inside the model's own 80% and 95% intervals;
- calibration: per level L, the factor by which the model's half-widths must be multiplied
  for L% of the backtest's errors to fall inside (the L-th percentile of |error| / half-width),
  at least 1.
  Decomposition models understate their uncertainty (the seasonal estimates absorb part of the
  noise they are fitted on), so forecasts use intervals widened by these factors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from supportkpi.forecast.intervals import Interval
from supportkpi.forecast.models import LEVELS, SEASONAL_NAIVE, cross_validate


@dataclass(frozen=True)
class ModelScore:
    """One model's accuracy over every fold and series of a backtest."""

    model: str
    mase: float | None
    coverage80: float | None
    coverage95: float | None
    points: int
    #: Per level: the half-width factor giving nominal coverage in the backtest.
    factors: dict[int, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "mase": self.mase,
            "coverage80": self.coverage80,
            "coverage95": self.coverage95,
            "points": self.points,
            "interval_factors": {str(k): v for k, v in self.factors.items()},
        }


@dataclass(frozen=True)
class Backtest:
    """The scores of the candidate and the baseline, and which of them a forecast uses."""

    folds: int
    horizon: int
    candidate: ModelScore
    baseline: ModelScore

    @property
    def candidate_wins(self) -> bool:
        """Whether the candidate's MASE is below seasonal naive's (strictly)."""
        ours, theirs = self.candidate.mase, self.baseline.mase
        return ours is not None and theirs is not None and ours < theirs

    def as_dict(self) -> dict[str, Any]:
        return {
            "folds": self.folds,
            "horizon": self.horizon,
            "scores": [self.candidate.as_dict(), self.baseline.as_dict()],
            "candidate_beats_seasonal_naive": self.candidate_wins,
        }


def possible_folds(slots: int, horizon: int, interval: Interval, wanted: int) -> int:
    """How many origins fit: each must leave two weekly seasons of history before it."""
    room = slots - 2 * interval.per_week
    return max(0, min(wanted, room // horizon))


def seasonal_scale(fit: pd.DataFrame, before: pd.Timestamp, interval: Interval) -> pd.Series:
    """Per series: the mean |y_t − y_{t−week}| over the history before ``before``."""
    past = fit[fit["ds"] < before]

    def scale(y: pd.Series) -> float:
        values = y.to_numpy(dtype=float)
        diffs = np.abs(values[interval.per_week :] - values[: -interval.per_week])
        return float(diffs.mean()) if diffs.size else float("nan")

    return past.groupby("key")["y"].apply(scale)


def run_backtest(
    fit: pd.DataFrame,
    scored: pd.DataFrame,
    interval: Interval,
    horizon: int,
    folds: int,
    candidate: str,
) -> Backtest:
    """Backtest ``candidate`` against seasonal naive.

    ``fit`` (``key, ds, y``) is what the models learn from (closed hours 0, holidays and
    excluded days filled in); ``scored`` (``key, ds, actual, score``) holds the actual counts
    and whether a slot counts in the scores (open and not excluded).
    """
    names = (candidate, SEASONAL_NAIVE)
    cv = cross_validate(fit, interval, horizon, folds, names)
    cv = cv.drop(columns="y").merge(scored, on=["key", "ds"], how="left")
    cv = cv[cv["score"].fillna(False).astype(bool)]
    scale = seasonal_scale(fit, pd.Timestamp(cv["cutoff"].min()), interval)
    cv = cv.assign(scale=cv["key"].map(scale))
    return Backtest(folds, horizon, _score(cv, candidate), _score(cv, SEASONAL_NAIVE))


def _score(cv: pd.DataFrame, model: str) -> ModelScore:
    rows = cv[cv["model"] == model]
    usable = rows[rows["scale"].notna() & (rows["scale"] > 0)]
    if rows.empty:
        return ModelScore(model, None, None, None, 0)
    # A count forecast is never below 0: scored as it is shown.
    error = np.abs(usable["value"].clip(lower=0.0) - usable["actual"])
    mase = float(error.sum() / usable["scale"].sum()) if len(usable) else None
    actual = rows["actual"]
    inside80 = ((actual >= rows["lo80"]) & (actual <= rows["hi80"])).mean()
    inside95 = ((actual >= rows["lo95"]) & (actual <= rows["hi95"])).mean()
    return ModelScore(model, mase, float(inside80), float(inside95), len(rows), calibration(rows))


def calibration(rows: pd.DataFrame) -> dict[int, float]:
    """Per level: the percentile of |error| / half-width at that level (see module doc)."""
    factors = {}
    for level in LEVELS:
        half = ((rows[f"hi{level}"] - rows[f"lo{level}"]) / 2.0).to_numpy(dtype=float)
        error = np.abs((rows["actual"] - rows["value"]).to_numpy(dtype=float))
        usable = half > 1e-9
        if usable.sum() >= 20:  # fewer points say little about a tail
            # Never narrower than the model's own: on sparse counts most errors are exactly 0,
            # and a few folds are too little to trust a tighter band.
            ratio = float(np.quantile(error[usable] / half[usable], level / 100.0))
            factors[level] = max(1.0, ratio)
    return factors
