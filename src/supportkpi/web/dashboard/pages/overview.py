"""Overview: a tile per headline KPI, the configured targets, and what changed in plain words."""

from __future__ import annotations

from supportkpi.metrics.selector import parse_selector
from supportkpi.report.format import format_value
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import Column, PageView, Section, Table, Tile
from supportkpi.web.dashboard.pages.common import csv_url, number
from supportkpi.web.dashboard.tiles import build_tiles, title_of

HEADLINE = (
    "first_response_time:median",
    "resolution_time:median",
    "fcr_rate",
    "csat",
    "nps",
    "ces",
    "backlog",
    "sla_compliance",
    "ticket_volume",
    "reopen_rate",
    "escalation_rate",
    "service_level",
    "abandonment_rate",
    "average_handle_time:mean",
    "cost_per_resolution",
)


def build(ctx: PageContext) -> PageView:
    view = PageView("overview", "Overview")
    headline = Section(
        "Headline KPIs",
        id="headline",
        intro=(
            "Each tile compares the range with the previous period of equal length; a change "
            "is called significant only when a two-sided test at 95% says so."
        ),
    )
    view.sections.append(headline)
    if not ctx.facts.has("tickets") and not ctx.facts.has("calls"):
        headline.empty = ctx.empty_state("tickets")
        return view
    headline.tiles = build_tiles(ctx, HEADLINE, change=True)
    view.sections.append(_targets(ctx))
    view.sections.append(_changes(headline.tiles))
    return view


def _targets(ctx: PageContext) -> Section:
    section = Section("Targets", id="targets")
    targets = ctx.settings.targets
    if not targets:
        section.notes.append(
            "No targets configured: add a [targets] section to the config file "
            '(e.g. csat = ">= 0.85") and start the server with --config FILE.'
        )
        return section
    # Most targets are headline KPIs, already computed (and cached) for the tiles.
    headline = ctx.kpi(HEADLINE)
    others = [t.selector for t in targets if parse_selector(t.selector).label not in HEADLINE]
    extra = ctx.kpi(others) if others else None
    columns = [
        Column("kpi", "KPI"),
        Column("target", "target"),
        Column("shown", "value"),
        Column("n", "n", "int", numeric=True),
        Column("status", "status"),
        Column("value", "raw value", "number", numeric=True),
    ]
    rows = []
    for target in targets:
        sel = parse_selector(target.selector)
        frame = headline if sel.label in HEADLINE or extra is None else extra
        reason = frame.unavailable.get(sel.label)
        row = frame.total(sel.label) or {}
        value = number(row.get("value"))
        verdict = target.passes(value) if not reason else None
        status = reason or ("no data" if verdict is None else ("met" if verdict else "missed"))
        rows.append(
            {
                "kpi": title_of(sel),
                "target": target.text,
                "shown": format_value(value, sel.metric.unit, sel.stat),
                "n": int(row.get("n") or 0),
                "status": status,
                "value": value,
            }
        )
    section.tables.append(
        Table("targets", "Targets in this range", columns, rows, csv_url=csv_url(ctx, "targets"))
    )
    return section


def _changes(tiles: list[Tile]) -> Section:
    section = Section("What changed", id="changes")
    ranked = sorted(
        (t for t in tiles if t.change_sentence),
        key=lambda t: (t.significance != "significant", t.title),
    )
    section.notes = [t.change_sentence for t in ranked if t.change_sentence]
    if not section.notes:
        section.notes.append("No KPI has data in both periods to compare.")
    return section
