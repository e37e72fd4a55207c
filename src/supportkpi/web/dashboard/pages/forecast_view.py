"""Forecast against actual on the Volume and Contact-centre pages (docs/forecasting.md).

The daily forecast starts at the range end (or the day after the data, when the range runs
past it) and runs two weeks; the chart draws the actual daily counts of the four weeks before
and of any days after the start, the forecast, and its 95% interval as a band.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from supportkpi.errors import SupportKpiError
from supportkpi.forecast import ForecastResult, forecast_volume
from supportkpi.metrics.registry import get_metric
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import Chart, Column, Section, Table
from supportkpi.web.dashboard.pages.common import csv_url

HORIZON_DAYS = 14
ACTUAL_DAYS = 28
#: Two backtest origins, not the CLI's three: a page is rendered for each new filter set.
BACKTEST_FOLDS = 2


def forecast_start(ctx: PageContext) -> date | None:
    """The range end, unless it is past the data (then the forecast's own default)."""
    end = ctx.filters.end
    return end if end <= ctx.facts.last_day else None


def daily_forecast(ctx: PageContext, metric: str) -> ForecastResult:
    """The two-week daily forecast of ``metric`` under the page's filters (cached)."""
    where = ctx.filters.where_dict(get_metric(metric).dimensions)
    start = forecast_start(ctx)
    key = (
        "dashboard-forecast",
        metric,
        start,
        tuple((k, tuple(v)) for k, v in sorted(where.items())),
    )
    return ctx.cached(
        key,
        lambda: forecast_volume(
            ctx.reader.con,
            metric,
            "1d",
            f"{HORIZON_DAYS}d",
            as_of=start,
            where=where,
            folds=BACKTEST_FOLDS,
        ),
    )


def section(ctx: PageContext, metric: str, noun: str) -> Section:
    """A section with the forecast of ``metric`` against its actual daily counts."""
    slug = f"forecast-{metric.replace('_', '-')}"
    found = Section(
        f"Forecast: {noun} per day",
        id=slug,
        intro=(
            f"{noun.capitalize()} per day for the {HORIZON_DAYS} days from the range end, "
            "against the actual counts, with the 95% prediction interval as a band. The model "
            "is used only when it beats last week's repeat in a backtest."
        ),
    )
    try:
        result = daily_forecast(ctx, metric)
    except SupportKpiError as exc:
        found.notes.append(f"No forecast: {exc}")
        return found
    first = date.fromisoformat(str(result.rows["at"].iloc[0])[:10])
    actual = ctx.kpi(
        [metric],
        grain="day",
        period=(first - timedelta(days=ACTUAL_DAYS), first + timedelta(days=HORIZON_DAYS)),
    )
    actual_by_day = {
        str(r["period"]): r["value"] for r in actual.rows.to_dict("records") if r.get("period")
    }
    rows: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for day, value in sorted(actual_by_day.items()):
        points.append(_point(day, "actual", value))
    for record in result.rows.to_dict("records"):
        day = str(record["at"])[:10]
        point = _point(day, f"forecast ({result.model})", record["value"])
        point.update(lo=record["lo95"], hi=record["hi95"])
        points.append(point)
        rows.append({"date": day, **_values(record), "actual": actual_by_day.get(day)})
    description = (
        f"Line chart of {noun} per day: the actual counts, then the forecast with its 95% "
        "interval as a shaded band. The table below lists the forecast days."
    )
    table_id = f"{slug}-table"
    spec = charts.trend(points, "day", noun, None, description, interval=True)
    found.charts = [Chart(f"{slug}-chart", f"Forecast of {noun}", spec, description, table_id)]
    columns = [
        Column("date", "date", "date"),
        Column("value", "forecast", "number", numeric=True),
        Column("lo80", "80% low", "number", numeric=True),
        Column("hi80", "80% high", "number", numeric=True),
        Column("lo95", "95% low", "number", numeric=True),
        Column("hi95", "95% high", "number", numeric=True),
        Column("actual", "actual", "number", numeric=True),
    ]
    found.tables = [Table(table_id, "Forecast days", columns, rows, csv_url=csv_url(ctx, table_id))]
    found.notes.extend(result.notes)
    return found


def _values(record: Mapping[Any, Any]) -> dict[str, Any]:
    return {k: record[k] for k in ("value", "lo80", "hi80", "lo95", "hi95")}


def _point(day: str, series: str, value: Any) -> dict[str, Any]:
    shown = "–" if value is None else f"{float(value):,.1f}"
    return {"period": day, "series": series, "y": value, "n": None, "shown": shown}
