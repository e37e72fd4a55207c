"""Self-service and automation: knowledge-base usage and success, chatbot reach and
containment."""

from __future__ import annotations

from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import PageView, Section
from supportkpi.web.dashboard.pages.common import period_table, trend_chart
from supportkpi.web.dashboard.tiles import build_tiles

KB = ("kb_usage", "self_service_success_rate")
BOT = ("chatbot_interaction_rate", "bot_containment_rate")


def build(ctx: PageContext) -> PageView:
    view = PageView("self-service", "Self-service and automation")
    series = ctx.kpi(KB + BOT, grain=ctx.filters.grain)
    for title, anchor, selectors, table_name, needs in (
        ("Knowledge base", "kb", KB, "kb_sessions", "Knowledge-base deflection"),
        ("Chatbot", "bot", BOT, "ticket_events", "Bot reach and containment"),
    ):
        section = Section(title, id=anchor)
        empty = ctx.empty_state(table_name)
        if empty:
            section.empty = empty
            view.sections.append(section)
            continue
        section.tiles = build_tiles(ctx, selectors, series=series)
        table = period_table(
            ctx,
            series,
            selectors,
            f"{anchor}-trend",
            f"{title} per {ctx.filters.grain}",
            intervals=True,
        )
        chart = trend_chart(
            ctx, series, selectors[1:], f"{anchor}-chart", needs, table.id, interval=True
        )
        usage = trend_chart(
            ctx, series, selectors[:1], f"{anchor}-usage-chart", f"{title}: usage", table.id
        )
        section.charts = [c for c in (usage, chart) if c]
        section.tables = [table]
        view.sections.append(section)
    return view
