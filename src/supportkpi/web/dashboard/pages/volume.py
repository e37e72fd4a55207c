"""Volume and backlog: tickets created by channel, the backlog over time and its age bands."""

from __future__ import annotations

from typing import Any

from supportkpi.metrics import kinds
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import Frame, PageContext
from supportkpi.web.dashboard.model import Chart, Column, PageView, Section, Table
from supportkpi.web.dashboard.pages import forecast_view
from supportkpi.web.dashboard.pages.common import (
    breakdown,
    csv_url,
    number,
    period_table,
    trend_chart,
    unavailable_note,
)
from supportkpi.web.dashboard.tiles import build_tiles

TILES = (
    "ticket_volume",
    "tickets_solved",
    "backlog",
    "backlog_change",
    "unanswered_tickets",
    "resolution_rate",
)
AGE_BANDS = tuple(band for band, _ in kinds.AGE_BANDS)


def build(ctx: PageContext) -> PageView:
    view = PageView("volume", "Volume and backlog")
    empty = ctx.empty_state("tickets")
    if empty:
        view.sections.append(Section("Volume and backlog", empty=empty))
        return view
    series = ctx.kpi(TILES, grain=ctx.filters.grain)
    tiles = build_tiles(ctx, TILES, series=series)
    view.sections.append(Section("Headline", id="headline", tiles=tiles))

    by_channel = ctx.kpi(["ticket_volume"], grain=ctx.filters.grain, by=["channel"])
    volume = Section("Volume by channel", id="volume")
    chart, table = _volume_by_channel(ctx, by_channel)
    volume.charts = [chart] if chart else []
    volume.tables = [table]
    view.sections.append(volume)

    backlog = Section(
        "Backlog over time",
        id="backlog",
        intro="The backlog is the tickets not solved or closed at the end of each period.",
    )
    flows = ("ticket_volume", "tickets_solved", "backlog", "backlog_change")
    table = period_table(
        ctx, series, flows, "flow", f"Created, solved and backlog per {ctx.filters.grain}"
    )
    backlog.charts = [
        c
        for c in (
            trend_chart(
                ctx, series, ["backlog"], "backlog-chart", "Backlog at period end", table.id
            ),
            trend_chart(
                ctx,
                series,
                ["ticket_volume", "tickets_solved"],
                "flow-chart",
                "Created and solved",
                table.id,
            ),
        )
        if c
    ]
    backlog.tables = [table]
    view.sections.append(backlog)
    view.sections.append(forecast_view.section(ctx, "ticket_volume", "tickets"))

    ages = ctx.kpi(["backlog_age:count"], by=["age_band"])
    aging = Section(
        "Backlog age",
        id="aging",
        intro="Open tickets at the end of the range, by how long they have been open.",
    )
    chart, table = breakdown(
        ctx,
        ages,
        "backlog_age:count",
        "age_band",
        "aging-chart",
        "Open tickets by age",
        "aging",
        sort=AGE_BANDS,
    )
    _drill_to_backlog(ctx, chart, table)
    aging.charts = [chart] if chart else []
    aging.tables = [table]
    view.sections.append(aging)
    return view


def _volume_by_channel(ctx: PageContext, frame: Frame) -> tuple[Chart | None, Table]:
    """Periods down, channels across; each count drills to its tickets."""
    cells: dict[str, dict[str, Any]] = {}
    channels: set[str] = set()
    if len(frame.rows):
        for r in frame.rows.to_dict("records"):
            channel = r.get("channel") or "(none)"
            channels.add(channel)
            row = cells.setdefault(str(r["period"]), {"period": str(r["period"]), "total": 0})
            row[channel] = number(r["value"]) or 0
            row["total"] += row[channel]
    names = sorted(channels)
    columns = [Column("period", "period", "date")]
    columns += [Column(c, c, "int", numeric=True) for c in names]
    columns.append(Column("total", "total", "int", numeric=True))
    rows = [cells[p] for p in sorted(cells)]
    table = Table(
        "volume",
        f"Tickets created per {ctx.filters.grain} and channel",
        columns,
        rows,
        csv_url=csv_url(ctx, "volume"),
    )
    table.note = unavailable_note(frame)
    data = []
    for i, row in enumerate(rows):
        for c in names:
            if not row.get(c) or c == "(none)":
                continue
            url = ctx.drill_url("ticket_volume", period=row["period"], where={"channel": c})
            if url:
                table.links[(i, c)] = url
            data.append(
                {
                    "period": row["period"],
                    "series": c,
                    "y": row[c],
                    "shown": f"{row[c]:,.0f} tickets",
                    "drill": url,
                }
            )
        if row["total"]:
            url = ctx.drill_url("ticket_volume", period=row["period"])
            if url:
                table.links[(i, "total")] = url
    if not data:
        return None, table
    description = (
        f"Stacked bars of tickets created per {ctx.filters.grain}, one colour per channel; "
        f"{ctx.filters.describe()}."
    )
    spec = charts.stacked_bars(data, ctx.filters.grain, "channel", "tickets", description)
    return Chart("volume-chart", "Tickets created by channel", spec, description, "volume"), table


def _drill_to_backlog(ctx: PageContext, chart: Chart | None, table: Table) -> None:
    """Age bands are not a filter of the row list: each band opens the whole open backlog."""
    url = ctx.drill_url("backlog")
    for index in range(len(table.rows)):
        if url:
            table.links[(index, "backlog_age:count")] = url
    if chart is not None:
        for datum in chart.spec["data"]["values"]:
            datum["drill"] = url
