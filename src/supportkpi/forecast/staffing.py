"""Staffing from a volume forecast: required agents per slot, by kind of work.

- ``calls``: Erlang C (Erlang A with a caller patience) on traffic = forecast calls × AHT /
  slot length, the smallest number of agents meeting the service level and the occupancy cap;
- ``chat``: the same with each chat taking 1 / ``concurrency`` of an agent (AHT / concurrency),
  since an agent holds ``concurrency`` chats at once;
- ``async`` (e-mail, web forms): workload hours = forecast tickets × handle time; each slot
  needs the agents that finish the work arriving in the trailing SLA window within that window,
  ceil(work in the window / (window hours × occupancy cap)), and the backlog burn-down says in
  how many days today's backlog is gone at the current staffing.

Shrinkage is applied last, as in `supportkpi staffing`: ceil(agents / (1 − shrinkage)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from supportkpi.errors import InputError
from supportkpi.staffing import erlang_a_agents, erlang_c_requirements, inputs

KINDS = ("calls", "chat", "async")


@dataclass(frozen=True)
class StaffingInputs:
    """Targets and working assumptions of a plan (defaults as `supportkpi staffing`)."""

    kind: str = "calls"
    aht_s: float | None = None  # handle time per item; calls default to the observed AHT
    target_sl: float = 0.8
    target_s: float = 20.0
    max_occupancy: float | None = None
    shrinkage: float = 0.0
    patience_s: float | None = None  # calls only: Erlang A
    concurrency: int = 1  # chat only
    sla_hours: float = 24.0  # async only: the window work must be finished in
    agents_now: int | None = None  # async only: current staffing for the burn-down
    hours_per_day: float = 8.0  # async only: paid hours of one agent a day
    backlog: float | None = None  # async only: open tickets now

    def checked(self) -> StaffingInputs:
        if self.kind not in KINDS:
            raise InputError(f"unknown staffing kind {self.kind!r}; use calls, chat or async")
        if self.aht_s is not None:
            inputs.seconds("aht_s", self.aht_s)
        inputs.shrinkage_fraction(self.shrinkage)
        if self.max_occupancy is not None:
            inputs.fraction_up_to_one("max_occupancy", self.max_occupancy)
        if isinstance(self.concurrency, bool) or int(self.concurrency) != self.concurrency:
            raise InputError(f"concurrency must be a whole number, got {self.concurrency!r}")
        if not 1 <= self.concurrency <= 20:
            raise InputError(f"concurrency must be from 1 to 20, got {self.concurrency!r}")
        inputs.positive("sla_hours", self.sla_hours)
        inputs.at_most("hours_per_day", inputs.positive("hours_per_day", self.hours_per_day), 24)
        if self.agents_now is not None:
            inputs.agent_count(self.agents_now)
        if self.backlog is not None:
            inputs.non_negative("backlog", self.backlog)
        return self


@dataclass
class StaffingPlan:
    """Required agents per forecast row, and the backlog burn-down for async work."""

    rows: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def plan_from_forecast(
    forecast_rows: pd.DataFrame, interval_minutes: int, settings: StaffingInputs
) -> StaffingPlan:
    """Required agents for every row (``at``, dims, ``value``) of a forecast."""
    settings = settings.checked()
    if settings.aht_s is None:
        raise InputError(f"a {settings.kind} plan needs a handle time per item (aht_s)")
    slot_s = interval_minutes * 60.0
    rows = forecast_rows.drop(columns=["lo80", "hi80", "lo95", "hi95"], errors="ignore").copy()
    volume = rows["value"].to_numpy(dtype=float)
    if settings.kind == "async":
        return _async_plan(rows, volume, slot_s, settings)
    aht = settings.aht_s / (settings.concurrency if settings.kind == "chat" else 1)
    traffic = volume * aht / slot_s
    rows["aht_s"] = settings.aht_s
    if settings.patience_s is not None and settings.kind == "calls":
        figures = _erlang_a(traffic, aht, settings)
    else:
        figures = erlang_c_requirements(
            traffic, aht, settings.target_sl, settings.target_s, settings.max_occupancy
        )
    for column in figures.columns:
        rows[column] = figures[column].to_numpy()
    rows["agents_with_shrinkage"] = [
        inputs.agents_after_shrinkage(int(n), settings.shrinkage) for n in rows["agents"]
    ]
    return StaffingPlan(rows)


def _erlang_a(traffic: np.ndarray, aht: float, settings: StaffingInputs) -> pd.DataFrame:
    records = []
    for load in traffic:
        if load <= 0:
            records.append({"traffic_erlangs": 0.0, "agents": 0, "service_level": 1.0})
            continue
        result = erlang_a_agents(
            float(load),
            aht,
            float(settings.patience_s or 0),
            settings.target_sl,
            settings.target_s,
            settings.max_occupancy,
        )
        records.append(
            {
                "traffic_erlangs": float(load),
                "agents": result.agents,
                "service_level": result.service_level,
                "abandonment": result.abandonment,
                "asa_s": result.asa_s,
                "occupancy": result.occupancy,
            }
        )
    return pd.DataFrame(records)


def _async_plan(
    rows: pd.DataFrame, volume: np.ndarray, slot_s: float, settings: StaffingInputs
) -> StaffingPlan:
    aht = float(settings.aht_s or 0)
    occupancy = settings.max_occupancy or 1.0
    workload_h = volume * aht / 3600.0
    window = max(1, round(settings.sla_hours * 3600.0 / slot_s))
    series_keys = [c for c in rows.columns if c not in ("metric", "at", "value")]
    frame = rows.assign(workload_hours=workload_h)
    grouped = frame.groupby(series_keys, dropna=False) if series_keys else None
    trailing = (
        grouped["workload_hours"].transform(lambda w: w.rolling(window, min_periods=1).sum())
        if grouped is not None
        else frame["workload_hours"].rolling(window, min_periods=1).sum()
    )
    window_h = window * slot_s / 3600.0
    needed = trailing.to_numpy(dtype=float) / (window_h * occupancy)
    rows["aht_s"] = aht
    rows["workload_hours"] = workload_h
    rows["agents"] = inputs.ceil_tolerant_array(np.round(needed, 9))
    rows["agents_with_shrinkage"] = [
        inputs.agents_after_shrinkage(int(n), settings.shrinkage) for n in rows["agents"]
    ]
    series = rows.groupby(series_keys, dropna=False).ngroups if series_keys else 1
    horizon_days = len(rows) / max(1, series) * slot_s / 86400.0
    summary, notes = burn_down(float(volume.sum()) / horizon_days, settings)
    return StaffingPlan(rows, summary, notes)


def burn_down(
    incoming_per_day: float, settings: StaffingInputs
) -> tuple[dict[str, Any], list[str]]:
    """Days to clear the backlog at the current staffing: backlog / (capacity − incoming),
    capacity = agents × hours a day × (1 − shrinkage) × occupancy cap × 3600 / handle time."""
    summary: dict[str, Any] = {"incoming_per_day": incoming_per_day, "backlog": settings.backlog}
    notes: list[str] = []
    if settings.agents_now is None or settings.backlog is None:
        summary["days_to_clear_backlog"] = None
        notes.append("days to clear the backlog need the current agents and the backlog")
        return summary, notes
    capacity = (
        settings.agents_now
        * settings.hours_per_day
        * (1.0 - settings.shrinkage)
        * (settings.max_occupancy or 1.0)
        * 3600.0
        / float(settings.aht_s or 1.0)
    )
    summary["capacity_per_day"] = capacity
    spare = capacity - incoming_per_day
    if settings.backlog == 0:
        summary["days_to_clear_backlog"] = 0.0
    elif spare <= 0:
        summary["days_to_clear_backlog"] = None
        notes.append(
            f"the backlog never clears: {settings.agents_now} agents finish {capacity:,.1f} "
            f"tickets a day and {incoming_per_day:,.1f} arrive"
        )
    else:
        summary["days_to_clear_backlog"] = settings.backlog / spare
    return summary, notes
