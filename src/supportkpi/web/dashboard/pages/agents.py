"""Agents and teams: a leaderboard that ranks by what the data can support (the lower end of
each CSAT interval) and says whether an agent is really above or below the overall rate."""

from __future__ import annotations

from typing import Any

from supportkpi.metrics.selector import parse_selector
from supportkpi.report.format import format_value
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import Frame, PageContext
from supportkpi.web.dashboard.model import Chart, Column, PageView, Section, Table
from supportkpi.web.dashboard.pages.common import (
    csv_url,
    metric_columns,
    number,
    unavailable_note,
)
from supportkpi.web.dashboard.tiles import title_of

BOARD = (
    "tickets_solved",
    "tickets_solved_per_hour",
    "first_response_time:median",
    "fcr_rate",
    "csat",
)
RANKED_BY = "csat"


def build(ctx: PageContext) -> PageView:
    view = PageView("agents", "Agents and teams")
    empty = ctx.empty_state("tickets")
    if empty:
        view.sections.append(Section("Agents", empty=empty))
        return view
    overall = ctx.kpi([RANKED_BY]).total(RANKED_BY) or {}
    reference = number(overall.get("value"))
    for dim, title in (("agent", "Agents"), ("team", "Teams")):
        frame = ctx.kpi(BOARD, by=[dim])
        table = leaderboard(ctx, frame, dim, reference)
        section = Section(
            title,
            id=f"{dim}s",
            intro=(
                f"Ranked by the lower end of the 95% CSAT interval, so a high score on a few "
                f"responses does not outrank a steady one. “vs overall” compares the interval "
                f"with the overall CSAT of {format_value(reference, 'ratio')}."
            ),
        )
        section.charts = [
            c
            for c in (_csat_chart(ctx, table, dim, reference), _per_hour_chart(ctx, table, dim))
            if c
        ]
        section.tables = [table]
        if ctx.empty_state("agent_activity"):
            section.notes.append(
                "Tickets solved per hour needs agent log-in times: load them with "
                f"`supportkpi ingest agent_activity FILE --db {ctx.db_path}`."
            )
        view.sections.append(section)
    return view


def leaderboard(ctx: PageContext, frame: Frame, dim: str, reference: float | None) -> Table:
    """One row per agent (or team) with every board KPI, ranked interval-aware."""
    rows: dict[str, dict[str, Any]] = {}
    if len(frame.rows):
        for r in frame.rows.to_dict("records"):
            key = r.get(dim)
            if key is None or key != key:
                continue
            row = rows.setdefault(str(key), {dim: str(key), "name": ctx.facts.label(dim, str(key))})
            label = r["metric"]
            row[label] = number(r["value"])
            row[f"{label}:n"] = int(r["n"] or 0)
            row[f"{label}:ci_low"] = number(r.get("ci_low"))
            row[f"{label}:ci_high"] = number(r.get("ci_high"))
    ranked = sorted(rows.values(), key=lambda r: (-(r.get(f"{RANKED_BY}:ci_low") or -1), r[dim]))
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position if row.get(f"{RANKED_BY}:ci_low") is not None else None
        row["versus"] = _versus(row, reference)
    sels = [parse_selector(s) for s in BOARD if parse_selector(s).label not in frame.unavailable]
    columns = [Column("rank", "rank", "int", numeric=True), Column(dim, dim)]
    if dim == "agent":
        columns.append(Column("name", "name"))
    for sel in sels:
        columns += metric_columns(sel, intervals=sel.metric.id == RANKED_BY)
    columns.append(
        Column(
            "versus",
            "vs overall CSAT",
            info="above / below: the whole 95% interval is above / below the "
            "overall CSAT; otherwise the difference may be noise.",
        )
    )
    table = Table(
        f"{dim}-board",
        f"{dim.capitalize()} leaderboard",
        columns,
        ranked,
        csv_url=csv_url(ctx, f"{dim}-board"),
    )
    table.note = unavailable_note(frame)
    for index, row in enumerate(ranked):
        for sel in sels:
            if row.get(f"{sel.label}:n"):
                url = ctx.drill_url(sel.label, where={dim: row[dim]})
                if url:
                    table.links[(index, sel.label)] = url
    return table


def _label(row: dict[str, Any], dim: str) -> str:
    """A unique axis label: two agents may share a name, never an id."""
    name = row.get("name")
    return f"{name} ({row[dim]})" if name and name != row[dim] else str(row[dim])


def _versus(row: dict[str, Any], reference: float | None) -> str:
    low, high = row.get(f"{RANKED_BY}:ci_low"), row.get(f"{RANKED_BY}:ci_high")
    if reference is None or low is None or high is None:
        return "no responses"
    if low > reference:
        return "above"
    if high < reference:
        return "below"
    return "within noise"


def _csat_chart(ctx: PageContext, table: Table, dim: str, reference: float | None) -> Chart | None:
    data = []
    for index, row in enumerate(table.rows):
        value = row.get(RANKED_BY)
        if value is None:
            continue
        low, high = row.get(f"{RANKED_BY}:ci_low"), row.get(f"{RANKED_BY}:ci_high")
        data.append(
            {
                "category": _label(row, dim),
                "y": value,
                "lo": low if low is not None else value,
                "hi": high if high is not None else value,
                "shown": format_value(value, "ratio"),
                "interval": "–"
                if low is None or high is None
                else f"{format_value(low, 'ratio')} – {format_value(high, 'ratio')}",
                "n": row.get(f"{RANKED_BY}:n", 0),
                "drill": table.links.get((index, RANKED_BY)),
            }
        )
    if not data:
        return None
    description = (
        f"CSAT per {dim}, in rank order, with its 95% interval as a line; the dashed line is "
        f"the overall CSAT. {ctx.filters.describe()}."
    )
    spec = charts.interval_dots(data, dim, "CSAT", ".0%", description, reference=reference)
    return Chart(f"{dim}-csat", f"CSAT by {dim} (95% intervals)", spec, description, table.id)


def _per_hour_chart(ctx: PageContext, table: Table, dim: str) -> Chart | None:
    label = "tickets_solved_per_hour"
    data = [
        {
            "category": _label(row, dim),
            "y": row[label],
            "shown": f"{row[label]:.2f} per hour",
            "drill": None,
        }
        for row in table.rows
        if row.get(label) is not None
    ]
    if not data:
        return None
    title = title_of(parse_selector(label))
    description = f"Bars of {title.lower()} per {dim}, highest first. {ctx.filters.describe()}."
    spec = charts.bars(
        data,
        dim,
        "tickets per hour",
        ".2f",
        description,
        horizontal=True,
        height=max(120, 18 * len(data)),
    )
    return Chart(f"{dim}-per-hour", title, spec, description, table.id)
