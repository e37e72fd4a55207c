"""A staffing plan for a forecast, with the handle time and backlog read from the data.

Calls default to the observed AHT (`average_handle_time`) of the four weeks before the
forecast; async work defaults to the `backlog` at the forecast's start for its burn-down.
Chat and e-mail handle times are not in the canonical data, so they must be given.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from supportkpi.errors import DataError, InputError
from supportkpi.forecast.staffing import StaffingInputs, StaffingPlan, plan_from_forecast
from supportkpi.forecast.volume import ForecastResult
from supportkpi.metrics.registry import get_metric
from supportkpi.query.session import Session

#: Days of history the observed AHT is averaged over.
AHT_LOOKBACK_DAYS = 28


def staffing_for_forecast(
    session: Session, forecast: ForecastResult, settings: StaffingInputs
) -> StaffingPlan:
    """Required agents per slot of ``forecast`` (see `supportkpi.forecast.staffing`)."""
    settings = settings.checked()
    if forecast.start is None:
        raise InputError("the forecast has no start; make it with forecast_volume")
    day = forecast.start.date()
    notes = []
    if settings.aht_s is None:
        if settings.kind != "calls":
            raise InputError(
                f"the handle time of {settings.kind} work is not in the data; give it (aht_s)"
            )
        frame = session.kpi(
            "average_handle_time",
            start=day - timedelta(days=AHT_LOOKBACK_DAYS),
            end=day,
            where=_usable(forecast.where, "average_handle_time"),
        )
        value = frame["value"].iloc[0] if len(frame) else None
        if value is None:
            raise DataError(
                f"no answered call with a handle time in the {AHT_LOOKBACK_DAYS} days before "
                f"{day}; give the AHT (aht_s)"
            )
        settings = dataclasses.replace(settings, aht_s=float(value))
        notes.append(f"AHT {float(value):.0f} s: observed over the {AHT_LOOKBACK_DAYS} days before")
    if settings.kind == "async" and settings.backlog is None:
        frame = session.kpi("backlog", end=day, where=_usable(forecast.where, "backlog"))
        value = frame["value"].iloc[0] if len(frame) else None
        if value is not None:
            settings = dataclasses.replace(settings, backlog=float(value))
            notes.append(f"backlog {float(value):,.0f}: open tickets at {day}")
    plan = plan_from_forecast(forecast.rows, forecast.interval_minutes, settings)
    plan.notes[:0] = notes
    return plan


def _usable(where: dict[str, list[str]], metric: str) -> dict[str, list[str]]:
    """The forecast's filters on the dimensions ``metric`` has (a queue filter for AHT)."""
    dimensions = get_metric(metric).dimensions
    return {dim: values for dim, values in where.items() if dim in dimensions}
