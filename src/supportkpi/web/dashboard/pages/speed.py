"""Speed: first response and resolution times — their trends (median and p90) and their
distributions by channel (p25, median, p75, p90)."""

from __future__ import annotations

from typing import Any

from supportkpi.metrics.selector import parse_selector
from supportkpi.report.format import format_value
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import Frame, PageContext
from supportkpi.web.dashboard.model import Chart, Column, PageView, Section, Table
from supportkpi.web.dashboard.pages.common import (
    csv_url,
    number,
    period_table,
    trend_chart,
    unavailable_note,
)
from supportkpi.web.dashboard.tiles import build_tiles

TILES = (
    "first_response_time:median",
    "first_response_time:p90",
    "resolution_time:median",
    "resolution_time:p90",
    "response_time:median",
    "first_resolution_time:median",
    "unanswered_tickets",
)
QUANTILES = ("p25", "median", "p75", "p90")
DURATIONS = (("first_response_time", "First response time"), ("resolution_time", "Resolution time"))


def build(ctx: PageContext) -> PageView:
    view = PageView("speed", "Speed")
    empty = ctx.empty_state("tickets")
    if empty:
        view.sections.append(Section("Speed", empty=empty))
        return view
    series = ctx.kpi(TILES, grain=ctx.filters.grain)
    view.sections.append(
        Section("Headline", id="headline", tiles=build_tiles(ctx, TILES, series=series))
    )
    spread = ctx.kpi([f"{m}:{q}" for m, _ in DURATIONS for q in QUANTILES], by=["channel"])
    for metric, title in DURATIONS:
        section = Section(title, id=metric)
        pair = (f"{metric}:median", f"{metric}:p90")
        table = period_table(
            ctx, series, pair, f"{metric}-trend", f"{title} per {ctx.filters.grain}"
        )
        chart = trend_chart(
            ctx, series, pair, f"{metric}-trend-chart", f"{title}: median and p90", table.id
        )
        chart_spread, table_spread = _distribution(ctx, spread, metric, title)
        section.charts = [c for c in (chart, chart_spread) if c]
        section.tables = [table, table_spread]
        view.sections.append(section)
    return view


def _distribution(
    ctx: PageContext, frame: Frame, metric: str, title: str
) -> tuple[Chart | None, Table]:
    """Quartiles and p90 per channel: where most tickets fall and how long the tail is."""
    unit = parse_selector(metric).metric.unit
    rows: dict[str, dict[str, Any]] = {}
    if len(frame.rows):
        for record in frame.rows.to_dict("records"):
            name, _, stat = str(record["metric"]).partition(":")
            if name != metric:
                continue
            channel = record.get("channel") or "(none)"
            row = rows.setdefault(channel, {"channel": channel, "n": 0})
            row[stat] = number(record["value"])
            row["n"] = max(row["n"], int(record["n"] or 0))
    ordered = sorted(rows.values(), key=lambda r: (r.get("median") is None, r.get("median") or 0))
    columns = (
        [Column("channel", "channel")]
        + [Column(q, q, str(unit), numeric=True) for q in QUANTILES]
        + [Column("n", "n", "int", numeric=True)]
    )
    table_id = f"{metric}-by-channel"
    table = Table(table_id, f"{title} by channel", columns, ordered, csv_url=csv_url(ctx, table_id))
    table.note = unavailable_note(frame)
    for i, row in enumerate(ordered):
        url = ctx.drill_url(f"{metric}:median", where={"channel": row["channel"]})
        if url and row["channel"] != "(none)":
            table.links[(i, "median")] = url
    values = [r.get(q) for r in ordered for q in QUANTILES]
    if not any(v is not None for v in values):
        return None, table
    divisor, _, suffix = charts.value_scale(str(unit), values)
    data = []
    for i, r in enumerate(ordered):
        if r.get("median") is None:
            continue
        point: dict[str, Any] = {"category": r["channel"], "drill": table.links.get((i, "median"))}
        for q in QUANTILES:
            point[q] = None if r.get(q) is None else r[q] / divisor
            point[f"{q}_shown"] = format_value(r.get(q), unit)
        data.append(point)
    description = (
        f"{title} by channel: bars span the middle half of tickets (p25 to p75), a tick marks "
        f"the median and a line reaches p90; {ctx.filters.describe()}."
    )
    chart = Chart(
        f"{metric}-spread",
        f"{title}: spread by channel",
        charts.ranges(data, f"{title} ({suffix})", description),
        description,
        table_id=table_id,
    )
    return chart, table
