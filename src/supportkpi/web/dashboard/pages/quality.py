"""Quality: CSAT, NPS and CES with their 95% intervals, the survey response rate, and the
sentiment of customer messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from supportkpi.metrics.selector import parse_selector
from supportkpi.report.format import format_value
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import Frame, PageContext
from supportkpi.web.dashboard.model import Chart, PageView, Section, Table
from supportkpi.web.dashboard.pages.common import (
    FILTERABLE,
    breakdown,
    interval_label,
    number,
    period_table,
    trend_chart,
)
from supportkpi.web.dashboard.tiles import build_tiles, title_of

TILES = (
    "csat",
    "nps",
    "ces",
    "survey_response_rate",
    "csat_mean",
    "asat",
    "customer_sentiment",
    "angry_customer_rate",
)
TRENDS = ("csat", "nps", "ces", "survey_response_rate", "customer_sentiment")
BY_CHANNEL = ("csat", "nps", "ces")


def build(ctx: PageContext) -> PageView:
    view = PageView("quality", "Quality")
    empty = ctx.empty_state("surveys")
    series = ctx.kpi(TILES, grain=ctx.filters.grain)
    if empty:
        view.sections.append(Section("Surveys", id="surveys", empty=empty))
    else:
        tiles = build_tiles(ctx, TILES, series=series)
        view.sections.append(
            Section(
                "Headline",
                id="headline",
                tiles=tiles,
                intro="Shaded bands and ranges are 95% intervals.",
            )
        )
        trends = Section("Survey scores over time", id="trends")
        table = period_table(
            ctx, series, TRENDS[:4], "scores", f"Scores per {ctx.filters.grain}", intervals=True
        )
        for selector in TRENDS[:4]:
            title = title_of(parse_selector(selector))
            chart = trend_chart(
                ctx, series, [selector], f"{selector}-trend", title, table.id, interval=True
            )
            if chart:
                trends.charts.append(chart)
        trends.tables = [table]
        view.sections.append(trends)
        view.sections.append(_by_channel(ctx))
    view.sections.append(_sentiment(ctx, series))
    return view


def _by_channel(ctx: PageContext) -> Section:
    section = Section("By channel", id="by-channel")
    frame = ctx.kpi(BY_CHANNEL, by=["channel"])
    for selector in BY_CHANNEL:
        chart = interval_chart(ctx, frame, selector, "channel")
        if chart:
            section.charts.append(chart)
    _, table = breakdown(
        ctx,
        frame,
        "csat",
        "channel",
        "unused",
        "Scores by channel",
        "by-channel",
        extra=BY_CHANNEL[1:],
    )
    section.tables = [table]
    return section


def interval_chart(
    ctx: PageContext,
    frame: Frame,
    selector: str,
    dim: str,
    order: Sequence[str] | None = None,
    dim_title: str | None = None,
) -> Chart | None:
    """Dots with 95% intervals per ``dim`` value, best first unless ``order`` is given."""
    sel = parse_selector(selector)
    rows = frame.for_metric(sel.label)
    if not len(rows) or rows["value"].notna().sum() == 0:
        return None
    records = [r for r in rows.to_dict("records") if number(r["value"]) is not None]
    if order:
        rank = {v: i for i, v in enumerate(order)}
        records.sort(key=lambda r: rank.get(str(r.get(dim)), len(rank)))
    else:
        records.sort(
            key=lambda r: -(number(r["value"]) or 0) * (1 if sel.metric.good != "lower" else -1)
        )
    divisor, axis_format, suffix = charts.value_scale(
        str(sel.metric.unit), [number(r["value"]) for r in records]
    )
    drillable = dim in FILTERABLE

    def url(category: str) -> str | None:
        return ctx.drill_url(sel.label, where={dim: category})

    data: list[dict[str, Any]] = []
    for r in records:
        value, low, high = number(r["value"]), number(r.get("ci_low")), number(r.get("ci_high"))
        category = str(r.get(dim) or "(none)")
        data.append(
            {
                "category": category,
                "y": (value or 0) / divisor,
                "lo": (low if low is not None else value or 0) / divisor,
                "hi": (high if high is not None else value or 0) / divisor,
                "shown": format_value(value, sel.metric.unit, sel.stat),
                "interval": interval_label(low, high, sel.metric.unit),
                "n": int(r["n"] or 0),
                "drill": (drillable and category != "(none)" and url(category)) or None,
            }
        )
    title = title_of(sel)
    description = (
        f"{title} by {dim}: a dot per {dim} with a line for its 95% interval; overlapping "
        f"lines mean the difference may be noise. {ctx.filters.describe()}."
    )
    spec = charts.interval_dots(data, dim_title or dim, suffix or title, axis_format, description)
    return Chart(
        f"{sel.label.replace(':', '-')}-by-{dim}",
        f"{title} by {dim}",
        spec,
        description,
        table_id=f"by-{dim}",
    )


def _sentiment(ctx: PageContext, series: Frame) -> Section:
    section = Section(
        "Sentiment",
        id="sentiment",
        intro="Mean sentiment of customer messages (−1 … 1) and the share of "
        "customers with at least one angry message.",
    )
    empty = ctx.empty_state("ticket_events")
    if empty:
        section.empty = empty
        return section
    pair = ("customer_sentiment", "angry_customer_rate")
    table: Table = period_table(
        ctx, series, pair, "sentiment", f"Sentiment per {ctx.filters.grain}", intervals=True
    )
    for selector in pair:
        chart = trend_chart(
            ctx,
            series,
            [selector],
            f"{selector}-trend",
            title_of(parse_selector(selector)),
            table.id,
            interval=True,
        )
        if chart:
            section.charts.append(chart)
    section.tables = [table]
    return section
