"""Staffing: agents per hour and per day for the week ahead, from the calls forecast.

The hourly forecast of offered calls (docs/forecasting.md) starts at the range end (or the
day after the data); each hour's agents come from Erlang C at the observed handle time.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from supportkpi.errors import SupportKpiError
from supportkpi.forecast import StaffingInputs, forecast_volume, staffing_for_forecast
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import Chart, Column, PageView, Section, Table
from supportkpi.web.dashboard.pages.common import csv_url, frame_rows
from supportkpi.web.dashboard.pages.forecast_view import forecast_start

TARGET_SL = 0.8
SHRINKAGE = 0.3
MAX_OCCUPANCY = 0.85


def build(ctx: PageContext) -> PageView:
    view = PageView("staffing", "Staffing")
    empty = ctx.empty_state("calls")
    if empty:
        view.sections.append(Section("Staffing", id="staffing", empty=empty))
        return view
    target_s = float(ctx.settings.options.service_level_s)
    section = Section(
        "Agents per hour, next 7 days",
        id="staffing-forecast",
        intro=(
            f"Erlang C agents for {TARGET_SL:.0%} of calls answered within {target_s:g} s, "
            f"occupancy at most {MAX_OCCUPANCY:.0%}, scheduled with {SHRINKAGE:.0%} shrinkage, "
            "from the hourly forecast of calls offered (all queues) and the observed handle time."
        ),
    )
    view.sections.append(section)
    start = forecast_start(ctx)
    settings = StaffingInputs(
        kind="calls",
        target_sl=TARGET_SL,
        target_s=target_s,
        max_occupancy=MAX_OCCUPANCY,
        shrinkage=SHRINKAGE,
    )

    def compute() -> Any:
        result = forecast_volume(ctx.reader.con, "calls_offered", "60m", "7d", as_of=start)
        return result, staffing_for_forecast(ctx.reader.con, result, settings)

    try:
        result, plan = ctx.cached(("dashboard-staffing-forecast", start, target_s), compute)
    except SupportKpiError as exc:
        section.notes.append(f"No plan: {exc}")
        return view
    rows = plan.rows.copy()
    rows["date"] = rows["at"].str[:10]
    rows["hour"] = rows["at"].str[11:16]
    days = list(dict.fromkeys(rows["date"]))
    description = (
        "Heat map of agents to schedule per day (columns) and hour (rows) for the next 7 "
        "days; darker means more agents. The tables below list every hour and each day."
    )
    data = [
        {"x": r["date"], "y": r["hour"], "value": int(r["agents_with_shrinkage"])}
        for r in rows.to_dict("records")
    ]
    section.charts = [
        Chart(
            "staffing-heatmap",
            f"Agents to schedule from {days[0]}",
            charts.heatmap(data, days, description),
            description,
            "staffing-hours",
            520,
        )
    ]
    hours = [
        Column("date", "date", "date"),
        Column("hour", "hour"),
        Column("value", "calls (forecast)", "number", numeric=True),
        Column("aht_s", "AHT", "seconds", numeric=True),
        Column("agents", "agents", "int", numeric=True),
        Column("agents_with_shrinkage", "to schedule", "int", numeric=True),
        Column("service_level", "service level", "ratio", numeric=True),
        Column("occupancy", "occupancy", "ratio", numeric=True),
    ]
    section.tables = [
        Table(
            "staffing-days",
            "Per day",
            _day_columns(),
            _per_day(rows),
            csv_url=csv_url(ctx, "staffing-days"),
        ),
        Table(
            "staffing-hours",
            "Per hour",
            hours,
            frame_rows(rows),
            csv_url=csv_url(ctx, "staffing-hours"),
        ),
    ]
    section.notes.extend([f"Forecast model: {result.model}.", *result.notes, *plan.notes])
    return view


def _day_columns() -> list[Column]:
    return [
        Column("date", "date", "date"),
        Column("calls", "calls (forecast)", "number", numeric=True),
        Column("peak_agents", "peak agents to schedule", "int", numeric=True),
        Column("agent_hours", "agent-hours to schedule", "number", numeric=True),
    ]


def _per_day(rows: pd.DataFrame) -> list[dict[str, Any]]:
    days = rows.groupby("date", sort=True).agg(
        calls=("value", "sum"),
        peak_agents=("agents_with_shrinkage", "max"),
        agent_hours=("agents_with_shrinkage", "sum"),
    )
    return frame_rows(days.reset_index())
