"""Staffing on the contact-centre page: next week's plan from the calls before the range end
(Erlang C per weekday × 30 minutes) and a one-interval Erlang C / A calculator form."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from supportkpi.engine.periods import range_bounds
from supportkpi.errors import InputError, SupportKpiError
from supportkpi.report.call_history import calls_before
from supportkpi.staffing import plan_matrix, staffing_plan, staffing_summary
from supportkpi.staffing.forecast import WEEKDAYS
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import Chart, Column, Section, Table, display
from supportkpi.web.dashboard.pages.common import csv_url, frame_rows

PLAN_WEEKS = 4
PLAN_INTERVAL_MIN = 30
PLAN_TARGET_SL = 0.8
#: Calculator fields: URL name, label, default, unit shown, scale from the form to the library.
FIELDS = (
    ("calls", "Calls in the interval", "100", "", 1.0),
    ("interval_min", "Interval (minutes)", "30", "", 1.0),
    ("aht_s", "Average handle time (s)", "", "", 1.0),
    ("target_sl", "Service-level target (%)", "80", "%", 0.01),
    ("target_s", "Answered within (s)", "", "", 1.0),
    ("shrinkage", "Shrinkage (%)", "30", "%", 0.01),
    ("max_occupancy", "Max occupancy (%)", "", "%", 0.01),
    ("patience_s", "Caller patience (s, adds Erlang A)", "", "", 1.0),
)
RESULTS = (
    ("agents", "Agents on the phones", "int"),
    ("agents_with_shrinkage", "Agents to schedule", "int"),
    ("service_level", "Service level", "ratio"),
    ("probability_wait", "Probability of waiting", "ratio"),
    ("asa_s", "Average speed of answer", "seconds"),
    ("occupancy", "Occupancy", "ratio"),
    ("traffic_erlangs", "Traffic (Erlangs)", "number"),
    ("agents_erlang_a", "Agents (Erlang A)", "int"),
    ("abandonment", "Abandonment at Erlang C staffing (Erlang A)", "ratio"),
)


def plan(ctx: PageContext) -> Section:
    """Agents to schedule per weekday and half hour for the week after the range's data."""
    section = Section(
        "Staffing plan",
        id="staffing-plan",
        intro=(
            f"Erlang C agents on the phones (before shrinkage) per weekday × "
            f"{PLAN_INTERVAL_MIN} min for the week after the last full week before the range "
            f"end, from the mean of the {PLAN_WEEKS} weeks before it; target "
            f"{PLAN_TARGET_SL:.0%} answered within {_threshold(ctx):g} s. All queues together."
        ),
    )
    _, hi = range_bounds(ctx.filters.start, ctx.filters.end, ctx.reader.con.default_tz)
    key = ("dashboard-staffing-plan", hi)
    try:
        found = ctx.cached(key, lambda: _plan(ctx, hi))
    except SupportKpiError as exc:
        section.notes.append(f"No plan: {exc}")
        return section
    grid = plan_matrix(found, "agents")
    data = [
        {"x": day, "y": str(interval), "value": int(grid.loc[interval, day])}
        for interval in grid.index
        for day in grid.columns
    ]
    week = found["date"].iloc[0]
    description = (
        f"Heat map of agents needed per weekday (columns) and half hour (rows) for the week "
        f"of {week}; darker means more agents. The table below lists every slot."
    )
    section.charts = [
        Chart(
            "plan-chart",
            f"Agents needed, week of {week}",
            charts.heatmap(data, WEEKDAYS, description),
            description,
            "staffing-plan",
            520,
        )
    ]
    shown = found[found["calls_forecast"] > 0]
    columns = [
        Column("date", "date", "date"),
        Column("weekday", "day"),
        Column("interval_start", "interval"),
        Column("calls_forecast", "calls (forecast)", "number", numeric=True),
        Column("aht_s", "AHT", "seconds", numeric=True),
        Column("agents", "agents", "int", numeric=True),
        Column("service_level", "service level", "ratio", numeric=True),
        Column("asa_s", "ASA", "seconds", numeric=True),
        Column("occupancy", "occupancy", "ratio", numeric=True),
    ]
    table = Table(
        "staffing-plan",
        "Slots with calls",
        columns,
        frame_rows(shown),
        csv_url=csv_url(ctx, "staffing-plan"),
    )
    section.tables = [table]
    return section


def _threshold(ctx: PageContext) -> float:
    """The service-level threshold of the config (``[options] service_level_s``)."""
    return float(ctx.reader.con.default_options.service_level_s)


def _plan(ctx: PageContext, hi: int | None) -> pd.DataFrame:
    calls = calls_before(ctx.reader.con, hi)
    if calls.empty:
        raise InputError("no calls before the end of the range")
    return staffing_plan(
        calls,
        weeks=PLAN_WEEKS,
        tz=ctx.reader.con.default_tz,
        interval_min=PLAN_INTERVAL_MIN,
        target_sl=PLAN_TARGET_SL,
        target_s=_threshold(ctx),
    )


def calculator(ctx: PageContext, observed_aht: float | None) -> Section:
    """The Erlang form; its answer when the form was sent (``erlang=1``)."""
    defaults = {
        "aht_s": f"{round(observed_aht)}" if observed_aht else "300",
        "target_s": f"{_threshold(ctx):g}",
    }
    values = {
        name: ctx.extra_params.get(name, defaults.get(name, default))
        for name, _, default, _, _ in FIELDS
    }
    section = Section(
        "Erlang calculator",
        id="erlang",
        intro="Agents needed for one interval: Erlang C, and Erlang A when a caller patience "
        "is given. The handle time starts at the range's observed AHT.",
    )
    section.partial = "_erlang.html"
    section.data = {"fields": FIELDS, "values": values, "result": None, "error": None}
    if ctx.extra_params.get("erlang") != "1":
        return section
    try:
        arguments = {
            name: _number(values[name], label, scale) for name, label, _, _, scale in FIELDS
        }
        labels = {name: label for name, label, _, _, _ in FIELDS}
        needed = {}
        for name in ("calls", "interval_min", "aht_s", "target_sl", "target_s"):
            value = arguments[name]
            if value is None:
                raise InputError(f"fill in {labels[name]!r}")
            needed[name] = value
        summary = staffing_summary(
            **needed,
            max_occupancy=arguments["max_occupancy"],
            shrinkage=arguments["shrinkage"] or 0.0,
            patience_s=arguments["patience_s"],
        )
    except SupportKpiError as exc:
        section.data["error"] = str(exc)
        return section
    section.data["result"] = [
        (label, _shown(summary.get(key), unit)) for key, label, unit in RESULTS if key in summary
    ]
    return section


def _number(text: str, label: str, scale: float) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{label!r} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise InputError(f"{label!r} must be a finite number")
    return value * scale


def _shown(value: Any, unit: str) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return display(value, unit)
