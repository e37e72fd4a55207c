"""KPI tiles: the value, its 95% interval, the target's status, the change against the previous
period of equal length (flagged only when a test finds it significant) and a sparkline.

A page asks for all its tiles at once: one ``kpi()`` call for the values, one with the grain for
the sparklines and, on the overview, one :func:`~supportkpi.report.changes.compare_periods` for
the changes (which runs the same rows as ``kpi()`` through the test suited to each KPI).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from supportkpi.metrics.registry import Unit
from supportkpi.metrics.selector import Selector, parse_selector
from supportkpi.report.changes import KpiChange, compare_periods
from supportkpi.report.format import format_value, humanize_seconds
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import Frame, PageContext
from supportkpi.web.dashboard.model import Chart, Tile


def build_tiles(
    ctx: PageContext,
    selectors: Sequence[str],
    change: bool = False,
    series: Frame | None = None,
) -> list[Tile]:
    """One tile per selector, in order; ``series`` (the same selectors by period) draws the
    sparklines and is fetched here when not given."""
    totals = ctx.kpi(selectors)
    if series is None:
        series = ctx.kpi(selectors, grain=ctx.filters.grain)
    changes = _changes(ctx, selectors, totals) if change else {}
    targets = {parse_selector(t.selector).label: t for t in ctx.settings.targets}
    tiles = []
    for text in selectors:
        sel = parse_selector(text)
        tile = Tile(
            selector=sel.label,
            title=title_of(sel),
            definition=sel.metric.definition,
        )
        reason = totals.unavailable.get(sel.label)
        if reason:
            tile.unavailable = reason
            tiles.append(tile)
            continue
        row = totals.total(sel.label) or {"value": None, "n": 0}
        tile.value = _number(row.get("value"))
        tile.n = int(row.get("n") or 0)
        tile.note = totals.notes.get(sel.label)
        tile.shown = format_value(tile.value, sel.metric.unit, sel.stat)
        tile.interval = interval_text(row, sel)
        if tile.n:
            tile.drill_url = ctx.drill_url(sel.label)
        target = targets.get(sel.label)
        if target is not None:
            tile.target = target.text
            verdict = target.passes(tile.value)
            tile.target_status = "no_data" if verdict is None else ("pass" if verdict else "miss")
        if sel.label in changes:
            _apply_change(tile, sel, changes[sel.label])
        tile.sparkline = sparkline_chart(series, sel, tile.title)
        tiles.append(tile)
    return tiles


def title_of(sel: Selector) -> str:
    """The metric's title, with the statistic when it is not the obvious one."""
    if sel.stat is None or sel.stat == sel.metric.default_stat:
        return sel.metric.title
    return f"{sel.metric.title} ({sel.stat})"


def interval_text(row: dict[str, Any], sel: Selector) -> str | None:
    """``"76.6% – 87.0%"`` for a row with a 95% interval, else ``None``."""
    low, high = _number(row.get("ci_low")), _number(row.get("ci_high"))
    if low is None or high is None:
        return None
    unit = sel.metric.unit
    return f"{format_value(low, unit, sel.stat)} – {format_value(high, unit, sel.stat)}"


def format_delta(delta: float | None, unit: Unit | str, stat: str | None = None) -> str | None:
    """A change for people: ``+2.3 pts`` for rates, ``-12m`` for durations."""
    if delta is None or math.isnan(delta):
        return None
    unit = Unit(unit)
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    size = abs(delta)
    if stat == "count" or unit is Unit.COUNT:
        body = f"{size:,.0f}" if float(size).is_integer() else f"{size:,.2f}"
    elif unit is Unit.SECONDS:
        body = humanize_seconds(size)
    elif unit is Unit.RATIO:
        body = f"{size * 100:.1f} pts"
    elif unit is Unit.NPS:
        body = f"{size:.1f}"
    elif unit is Unit.MONEY:
        body = f"{size:,.2f}"
    else:
        body = f"{size:.2f}"
    return f"{sign}{body}"


def tone(delta: float | None, good: str | None) -> str:
    """``better``/``worse`` by the metric's good direction; ``neutral`` otherwise."""
    if delta is None or delta == 0 or good not in ("higher", "lower"):
        return "neutral"
    return "better" if (delta > 0) == (good == "higher") else "worse"


def sparkline_chart(series: Frame, sel: Selector, title: str) -> Chart | None:
    rows = series.for_metric(sel.label)
    values = [_number(v) for v in rows["value"]] if len(rows) else []
    if sum(v is not None for v in values) < 2:
        return None
    divisor, _, _ = charts.value_scale(str(sel.metric.unit), values)
    points = [
        {
            "period": str(p),
            "y": None if v is None else v / divisor,
            "shown": format_value(v, sel.metric.unit, sel.stat),
        }
        for p, v in zip(rows["period"], values, strict=True)
    ]
    description = f"Trend of {title} per period, {len(points)} points"
    return Chart(
        id=f"spark-{sel.label.replace(':', '-')}",
        title=f"{title} trend",
        spec=charts.sparkline(points, description),
        description=description,
        height=36,
    )


def _changes(ctx: PageContext, selectors: Sequence[str], totals: Frame) -> dict[str, KpiChange]:
    usable = [parse_selector(s).label for s in selectors]
    # Neither a metric left out nor one without a value to compare (its note says why).
    usable = [x for x in usable if x not in totals.unavailable and x not in totals.notes]
    if not usable:
        return {}
    f = ctx.filters
    previous = f.previous()
    key = ("dashboard-changes", tuple(usable), f.start, f.end, f.where, f.business_hours)
    found: list[KpiChange] = ctx.cached(
        key,
        lambda: compare_periods(
            ctx.reader.con,
            usable,
            current=(f.start, f.end),
            previous=previous,
            where=f.where_dict(),
            business_hours=f.business_hours,
        ),
    )
    return {c.metric: c for c in found}


def _apply_change(tile: Tile, sel: Selector, change: KpiChange) -> None:
    tile.change_sentence = change.sentence
    tile.delta = format_delta(change.delta, sel.metric.unit, sel.stat)
    tile.delta_tone = tone(change.delta, sel.metric.good)
    if change.test is None:
        tile.significance = "no test"
    elif change.p_value is None:
        tile.significance = "too little data"
    else:
        tile.significance = "significant" if change.significant else "not significant"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
