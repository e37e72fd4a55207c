"""Customers and cost: retention, churn, lifetime value, the cost KPIs and the value-vs-cost
view (each customer's support cost against the revenue it brings)."""

from __future__ import annotations

from supportkpi.report.format import format_value
from supportkpi.report.value_vs_cost import value_vs_cost
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import Chart, Column, PageView, Section, Table
from supportkpi.web.dashboard.pages.common import csv_url, frame_rows, period_table, trend_chart
from supportkpi.web.dashboard.tiles import build_tiles

TILES = (
    "customer_retention_rate",
    "customer_churn_rate",
    "customer_lifetime_value",
    "repurchase_rate",
    "cost_per_resolution",
    "cost_per_conversation",
    "support_cost_to_revenue",
    "conversion_rate",
    "cases_per_customer",
)
SCATTER_POINTS = 2000


def build(ctx: PageContext) -> PageView:
    view = PageView("customers", "Customers and cost")
    empty = ctx.empty_state("customers")
    if empty:
        view.sections.append(Section("Customers", empty=empty))
        return view
    series = ctx.kpi(TILES, grain=ctx.filters.grain)
    notes = ctx.missing_notes(
        {
            "orders": "Revenue, lifetime value, repurchase and conversion",
            "costs": "Support costs from invoices (without them: logged-in hours × hourly cost)",
        }
    )
    tiles = build_tiles(ctx, TILES, series=series)
    view.sections.append(Section("Headline", id="headline", tiles=tiles, notes=notes))
    trends = Section("Retention and value over time", id="trends")
    table = period_table(
        ctx,
        series,
        TILES[:4],
        "customers-trend",
        f"Customers per {ctx.filters.grain}",
        intervals=True,
    )
    trends.charts = [
        c
        for c in (
            trend_chart(
                ctx,
                series,
                ["customer_retention_rate"],
                "retention-chart",
                "Customer retention",
                table.id,
                interval=True,
            ),
            trend_chart(
                ctx,
                series,
                ["customer_churn_rate"],
                "churn-chart",
                "Customer churn",
                table.id,
                interval=True,
            ),
            trend_chart(
                ctx,
                series,
                ["customer_lifetime_value"],
                "clv-chart",
                "Customer lifetime value",
                table.id,
            ),
            trend_chart(
                ctx,
                series,
                ["cost_per_resolution", "cost_per_conversation"],
                "cost-chart",
                "Cost per resolution and per conversation",
                table.id,
            ),
        )
        if c
    ]
    trends.tables = [table]
    view.sections.append(trends)
    view.sections.append(_value_vs_cost(ctx))
    return view


def _value_vs_cost(ctx: PageContext) -> Section:
    section = Section(
        "Value vs cost",
        id="value-vs-cost",
        intro=(
            "Each customer's support cost (the range's support costs shared evenly per contact: "
            "tickets plus answered calls) against the revenue of its orders in the range."
        ),
    )
    f = ctx.filters
    found = ctx.cached(
        ("dashboard-value-vs-cost", f.start, f.end),
        lambda: value_vs_cost(ctx.reader.con, start=f.start, end=f.end),
    )
    ignored = [dim for dim, _ in f.where if dim != "segment"]
    if f.value("segment"):
        found = found[found["segment"] == f.value("segment")]
    if ignored:
        section.notes.append(f"This view is not split by {', '.join(ignored)}.")
    columns = [
        Column("customer_id", "customer"),
        Column("segment", "segment"),
        Column("tickets", "tickets", "int", numeric=True),
        Column("calls", "calls", "int", numeric=True),
        Column("support_cost", "support cost", "money", numeric=True),
        Column("revenue", "revenue", "money", numeric=True),
        Column("cost_to_revenue", "cost / revenue", "ratio", numeric=True),
    ]
    table = Table(
        "value-vs-cost",
        "Customers by support cost",
        columns,
        frame_rows(found),
        csv_url=csv_url(ctx, "value-vs-cost"),
        display_limit=200,
    )
    points = found.head(SCATTER_POINTS)
    data = [
        {
            "x": r["support_cost"],
            "y": r["revenue"],
            "series": r["segment"] or "(none)",
            "customer": r["customer_id"],
            "contacts": int(r["contacts"]),
            "cost_shown": format_value(r["support_cost"], "money"),
            "revenue_shown": format_value(r["revenue"], "money"),
        }
        for r in points.to_dict("records")
    ]
    if data:
        description = (
            f"Scatter of {len(data):,} customers: support cost across, revenue up, coloured by "
            "segment; points low and to the right cost more than they bring."
        )
        tooltip = [
            {"field": "customer", "title": "customer"},
            {"field": "series", "title": "segment"},
            {"field": "contacts", "title": "contacts"},
            {"field": "cost_shown", "title": "support cost"},
            {"field": "revenue_shown", "title": "revenue"},
        ]
        spec = charts.scatter(data, "support cost", "revenue", description, tooltip)
        section.charts = [
            Chart(
                "value-vs-cost-chart",
                "Value vs cost per customer",
                spec,
                description,
                table.id,
                340,
            )
        ]
    section.tables = [table]
    return section
