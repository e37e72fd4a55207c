"""Building blocks most pages share: a trend (chart + table per period) and a breakdown (chart +
table per dimension value), both from one ``kpi()`` answer, with drill-down links.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from supportkpi.metrics.selector import Selector, parse_selector
from supportkpi.report.format import format_value
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import Frame, PageContext
from supportkpi.web.dashboard.model import Chart, Column, Table
from supportkpi.web.dashboard.tiles import title_of


def number(value: Any) -> float | None:
    """A float, or ``None`` for missing values (None, NaN, NA)."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out


def interval_label(low: float | None, high: float | None, unit: Any) -> str:
    """``"74.3% – 86.5%"``, or ``"–"`` without an interval."""
    if low is None or high is None:
        return "–"
    return f"{format_value(low, unit)} – {format_value(high, unit)}"


def unit_of(sel: Selector) -> str:
    """The unit of a selector's numbers: a ``count`` statistic counts, whatever the metric."""
    return "count" if sel.stat == "count" else str(sel.metric.unit)


def metric_columns(sel: Selector, intervals: bool = False) -> list[Column]:
    """The value column of ``sel`` (with its definition as info), its n and its interval."""
    unit = "int" if sel.stat == "count" else str(sel.metric.unit)
    title = title_of(sel)
    cols = [Column(sel.label, title, unit, info=sel.metric.definition, numeric=True)]
    cols.append(Column(f"{sel.label}:n", f"n ({title})", "int", numeric=True))
    if intervals and sel.metric.has_interval:
        cols.append(Column(f"{sel.label}:ci_low", "95% low", unit, numeric=True))
        cols.append(Column(f"{sel.label}:ci_high", "95% high", unit, numeric=True))
    return cols


def period_table(
    ctx: PageContext,
    frame: Frame,
    selectors: Sequence[str],
    table_id: str,
    title: str,
    intervals: bool = False,
) -> Table:
    """Periods down, one value (and n) column per selector; each value drills to its rows."""
    sels = [
        parse_selector(s) for s in selectors if parse_selector(s).label not in frame.unavailable
    ]
    columns = [Column("period", "period", "date")]
    for sel in sels:
        columns += metric_columns(sel, intervals)
    by_period: dict[str, dict[str, Any]] = {}
    rows = frame.rows
    wanted = {s.label for s in sels}
    if len(rows):
        for record in rows.to_dict("records"):
            label = record["metric"]
            if label not in wanted:
                continue
            row = by_period.setdefault(str(record["period"]), {"period": str(record["period"])})
            row[label] = number(record["value"])
            row[f"{label}:n"] = int(record["n"] or 0)
            row[f"{label}:ci_low"] = number(record.get("ci_low"))
            row[f"{label}:ci_high"] = number(record.get("ci_high"))
    ordered = [by_period[p] for p in sorted(by_period)]
    table = Table(table_id, title, columns, ordered, csv_url=csv_url(ctx, table_id))
    for index, row in enumerate(ordered):
        for sel in sels:
            if row.get(f"{sel.label}:n"):
                url = ctx.drill_url(sel.label, period=row["period"])
                if url:
                    table.links[(index, sel.label)] = url
    table.note = unavailable_note(frame)
    return table


def trend_chart(
    ctx: PageContext,
    frame: Frame,
    selectors: Sequence[str],
    chart_id: str,
    title: str,
    table_id: str,
    interval: bool = False,
) -> Chart | None:
    """Lines per selector over the periods (one unit per chart); ``None`` without data."""
    sels = [parse_selector(s) for s in selectors]
    sels = [s for s in sels if s.label not in frame.unavailable]
    rows = frame.rows
    if len(rows):
        rows = rows[rows["metric"].isin([s.label for s in sels])]
    if not sels or not len(rows) or rows["value"].notna().sum() == 0:
        return None
    unit = unit_of(sels[0])
    divisor, axis_format, suffix = charts.value_scale(unit, [number(v) for v in rows["value"]])
    data = []
    for record in rows.to_dict("records"):
        sel = next((s for s in sels if s.label == record["metric"]), None)
        value = number(record["value"])
        if sel is None or value is None:
            continue
        low, high = number(record.get("ci_low")), number(record.get("ci_high"))
        data.append(
            {
                "period": str(record["period"]),
                "series": title_of(sel),
                "y": value / divisor,
                "lo": None if low is None else low / divisor,
                "hi": None if high is None else high / divisor,
                "n": int(record["n"] or 0),
                "shown": format_value(value, sel.metric.unit, sel.stat),
                "drill": ctx.drill_url(sel.label, period=str(record["period"])),
            }
        )
    names = ", ".join(title_of(s) for s in sels)
    description = (
        f"Line chart of {names} per {ctx.filters.grain}, {ctx.filters.describe()}. "
        "The table below holds the same numbers."
    )
    y_title = suffix or ("" if unit == "ratio" else unit)
    zero = unit not in ("ratio", "score", "nps")
    spec = charts.trend(
        data, ctx.filters.grain, y_title, axis_format, description, interval, zero=zero
    )
    return Chart(chart_id, title, spec, description, table_id=table_id)


def breakdown(
    ctx: PageContext,
    frame: Frame,
    selector: str,
    dim: str,
    chart_id: str,
    title: str,
    table_id: str,
    extra: Sequence[str] = (),
    sort: Sequence[str] | None = None,
) -> tuple[Chart | None, Table]:
    """Bars of ``selector`` by ``dim`` and a table (with ``extra`` selectors as columns)."""
    sel = parse_selector(selector)
    sels = [sel] + [parse_selector(e) for e in extra]
    sels = [s for s in sels if s.label not in frame.unavailable]
    rows = frame.rows
    if len(rows):
        rows = rows[rows["metric"].isin([s.label for s in sels])]
    columns = [Column(dim, label_of(dim))]
    for s in sels:
        columns += metric_columns(s, intervals=s.metric.has_interval)
    table_rows: dict[str, dict[str, Any]] = {}
    if len(rows):
        for record in rows.to_dict("records"):
            key = record.get(dim)
            key = "(none)" if key is None or key != key else str(key)
            row = table_rows.setdefault(key, {dim: key})
            label = record["metric"]
            row[label] = number(record["value"])
            row[f"{label}:n"] = int(record["n"] or 0)
            row[f"{label}:ci_low"] = number(record.get("ci_low"))
            row[f"{label}:ci_high"] = number(record.get("ci_high"))
    order = list(sort) if sort else sorted(table_rows)
    ordered = [table_rows[k] for k in order if k in table_rows]
    ordered += [r for k, r in table_rows.items() if k not in order]
    table = Table(table_id, title, columns, ordered, csv_url=csv_url(ctx, table_id))
    for index, row in enumerate(ordered):
        for s in sels:
            if row.get(f"{s.label}:n") and row[dim] != "(none)":
                url = ctx.drill_url(s.label, where={dim: row[dim]}) if dim in FILTERABLE else None
                if url:
                    table.links[(index, s.label)] = url
    table.note = unavailable_note(frame)
    chart = None
    values = [r.get(sel.label) for r in ordered]
    if sel.label not in frame.unavailable and any(v is not None for v in values):
        divisor, axis_format, suffix = charts.value_scale(unit_of(sel), values)
        data = [
            {
                "category": r[dim],
                "y": None if v is None else v / divisor,
                "shown": format_value(v, sel.metric.unit, sel.stat),
                "drill": table.links.get((i, sel.label)),
            }
            for i, (r, v) in enumerate(zip(ordered, values, strict=True))
        ]
        description = (
            f"Bar chart of {title_of(sel)} by {label_of(dim)}, {ctx.filters.describe()}. "
            "The table below holds the same numbers."
        )
        y_title = suffix or title_of(sel)
        spec = charts.bars(data, label_of(dim), y_title, axis_format, description, sort=sort)
        chart = Chart(chart_id, title, spec, description, table_id=table_id)
    return chart, table


FILTERABLE = (
    "channel",
    "team",
    "agent",
    "priority",
    "segment",
    "sla_policy",
    "sla_target",
    "queue",
)
_DIM_LABELS = {"sla_policy": "SLA policy", "sla_target": "SLA target", "age_band": "age band"}


def label_of(dim: str) -> str:
    return _DIM_LABELS.get(dim, dim)


def unavailable_note(frame: Frame) -> str | None:
    """What the table leaves out or cannot show, and why (a filter, the config, the data)."""
    parts = [f"{label} ({reason})" for label, reason in frame.unavailable.items()]
    parts += [f"{label} ({note})" for label, note in frame.notes.items()]
    return "No values for: " + "; ".join(parts) + "." if parts else None


def csv_url(ctx: PageContext, table_id: str) -> str:
    """The URL that downloads table ``table_id`` of this page as CSV, with the same filters."""
    return ctx.filters.url(ctx.path, **ctx.extra_params, download=table_id)


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A pandas frame as row dicts with missing values as ``None``."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in r.items()} for r in records]
