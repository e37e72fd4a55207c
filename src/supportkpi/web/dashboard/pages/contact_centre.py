"""Contact centre: calls offered, service level, abandonment, speed of answer and handle time,
by queue, plus the staffing plan and the Erlang calculator (:mod:`.staffing_view`)."""

from __future__ import annotations

from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import PageView, Section
from supportkpi.web.dashboard.pages import forecast_view, staffing_view
from supportkpi.web.dashboard.pages.common import breakdown, period_table, trend_chart
from supportkpi.web.dashboard.tiles import build_tiles

TILES = (
    "calls_offered",
    "answered_rate",
    "service_level",
    "abandonment_rate",
    "average_speed_of_answer:mean",
    "average_wait_time:mean",
    "average_handle_time:mean",
    "call_fcr_rate",
    "occupancy",
    "agent_utilization",
    "cost_per_call:mean",
)
BY_QUEUE = ("service_level", "abandonment_rate", "average_handle_time:mean")


def build(ctx: PageContext) -> PageView:
    view = PageView("contact-centre", "Contact centre")
    empty = ctx.empty_state("calls")
    if empty:
        view.sections.append(Section("Calls", id="calls", empty=empty))
        view.sections.append(staffing_view.calculator(ctx, observed_aht=None))
        return view
    series = ctx.kpi(TILES, grain=ctx.filters.grain)
    tiles = build_tiles(ctx, TILES, series=series)
    notes = ctx.missing_notes({"agent_activity": "Occupancy and agent utilization"})
    view.sections.append(Section("Headline", id="headline", tiles=tiles, notes=notes))

    trends = Section("Over time", id="trends")
    shown = (
        "calls_offered",
        "service_level",
        "abandonment_rate",
        "average_speed_of_answer:mean",
        "average_handle_time:mean",
    )
    table = period_table(ctx, series, shown, "calls-trend", f"Calls per {ctx.filters.grain}")
    for chart_id, selectors, title in (
        ("calls-chart", ["calls_offered"], "Calls offered"),
        ("sl-chart", ["service_level", "abandonment_rate"], "Service level and abandonment"),
        (
            "aht-chart",
            ["average_handle_time:mean", "average_speed_of_answer:mean"],
            "Handle time and speed of answer",
        ),
    ):
        chart = trend_chart(ctx, series, selectors, chart_id, title, table.id)
        if chart:
            trends.charts.append(chart)
    trends.tables = [table]
    view.sections.append(trends)

    queues = ctx.kpi(["calls_offered", *BY_QUEUE], by=["queue"])
    by_queue = Section("By queue", id="queues")
    chart, table = breakdown(
        ctx,
        queues,
        "calls_offered",
        "queue",
        "queue-chart",
        "Calls offered by queue",
        "by-queue",
        extra=BY_QUEUE,
    )
    by_queue.charts = [chart] if chart else []
    by_queue.tables = [table]
    view.sections.append(by_queue)

    aht = next((t.value for t in tiles if t.selector == "average_handle_time:mean"), None)
    view.sections.append(forecast_view.section(ctx, "calls_offered", "calls offered"))
    view.sections.append(staffing_view.plan(ctx))
    view.sections.append(staffing_view.calculator(ctx, observed_aht=aht))
    return view
