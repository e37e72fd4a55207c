"""SLA: compliance overall, by policy and target type, over time, and the at-risk list."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from supportkpi.engine.periods import range_bounds
from supportkpi.errors import InputError
from supportkpi.report.at_risk import at_risk
from supportkpi.report.format import format_value
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import Frame, PageContext
from supportkpi.web.dashboard.model import (
    Chart,
    Column,
    EmptyState,
    PageView,
    Section,
    Table,
    Tile,
)
from supportkpi.web.dashboard.pages.common import csv_url, frame_rows, number
from supportkpi.web.dashboard.pages.quality import interval_chart
from supportkpi.web.dashboard.tiles import build_tiles

HORIZONS_H = (1, 4, 8, 24, 72)
DEFAULT_HORIZON_H = 8
TARGET_ORDER = ("first_response", "next_response", "resolution")


def build(ctx: PageContext) -> PageView:
    view = PageView("sla", "SLA")
    empty = ctx.empty_state("tickets")
    if empty:
        view.sections.append(Section("SLA", empty=empty))
        return view
    if not ctx.settings.sla:
        empty = EmptyState(
            "No SLA policies configured: add [[sla]] policies (the targets per priority, "
            "segment or channel) to a config file; examples/config/supportkpi.toml has some.",
            f"supportkpi serve --db {ctx.db_path} --config FILE",
            action="Then start the server with",
        )
        view.sections.append(Section("SLA policies", id="policies", empty=empty))
        return view
    tiles = build_tiles(ctx, ["sla_compliance"])
    by_target = ctx.kpi(["sla_compliance"], by=["sla_target"])
    tiles += _target_tiles(ctx, by_target)
    view.sections.append(
        Section(
            "Compliance",
            id="headline",
            tiles=tiles,
            intro="Targets met / targets due; a running target counts only once it is due.",
        )
    )

    section = Section("By policy and target", id="by-policy")
    frame = ctx.kpi(["sla_compliance"], by=["sla_policy", "sla_target"])
    section.charts = [c for c in [_policy_chart(ctx, frame)] if c]
    section.tables = [_policy_table(ctx, frame)]
    view.sections.append(section)

    over_time = ctx.kpi(["sla_compliance"], grain=ctx.filters.grain, by=["sla_target"])
    trend = Section("Over time", id="trend")
    chart = _trend_by_target(ctx, over_time)
    trend.charts = [chart] if chart else []
    trend.tables = [_trend_table(ctx, over_time)]
    view.sections.append(trend)
    view.sections.append(_at_risk(ctx))
    return view


def _target_tiles(ctx: PageContext, frame: Frame) -> list[Tile]:
    out = []
    for target in TARGET_ORDER:
        rows = frame.rows[frame.rows["sla_target"] == target] if len(frame.rows) else frame.rows
        if not len(rows):
            continue
        r = rows.iloc[0]
        value = number(r["value"])
        tile = Tile(
            selector=f"sla_compliance-{target}",
            title=f"SLA compliance: {target.replace('_', ' ')}",
            definition="SLA targets of this type met / due (see the SLA policies in the config).",
            value=value,
            shown=format_value(value, "ratio"),
            n=int(r["n"] or 0),
        )
        low, high = number(r["ci_low"]), number(r["ci_high"])
        if low is not None and high is not None:
            tile.interval = f"{format_value(low, 'ratio')} – {format_value(high, 'ratio')}"
        tile.drill_url = ctx.drill_url("sla_compliance", where={"sla_target": target})
        out.append(tile)
    return out


def _policy_chart(ctx: PageContext, frame: Frame) -> Chart | None:
    rows = frame.rows
    if not len(rows):
        return None
    joined = rows.copy()
    joined["policy_target"] = (
        joined["sla_policy"].astype(str) + " / " + joined["sla_target"].astype(str)
    )
    chart = interval_chart(
        ctx,
        Frame(joined, frame.unavailable),
        "sla_compliance",
        "policy_target",
        order=sorted(joined["policy_target"]),
        dim_title="policy / target",
    )
    if chart is None:
        return None
    for datum in chart.spec["data"]["values"]:
        policy, _, target = str(datum["category"]).partition(" / ")
        datum["drill"] = ctx.drill_url(
            "sla_compliance", where={"sla_policy": policy, "sla_target": target}
        )
    chart.title = "Compliance by policy / target"
    chart.table_id = "by-policy"
    return chart


def _policy_table(ctx: PageContext, frame: Frame) -> Table:
    columns = [
        Column("sla_policy", "policy"),
        Column("sla_target", "target"),
        Column(
            "value", "compliance", "ratio", numeric=True, info="SLA targets met / SLA targets due."
        ),
        Column("n", "targets due", "int", numeric=True),
        Column("ci_low", "95% low", "ratio", numeric=True),
        Column("ci_high", "95% high", "ratio", numeric=True),
    ]
    rows = []
    if len(frame.rows):
        data = frame.rows.sort_values(["sla_policy", "sla_target"])
        rows = frame_rows(data[["sla_policy", "sla_target", "value", "n", "ci_low", "ci_high"]])
    table = Table(
        "by-policy",
        "Compliance by policy and target",
        columns,
        rows,
        csv_url=csv_url(ctx, "by-policy"),
    )
    for i, row in enumerate(rows):
        url = ctx.drill_url(
            "sla_compliance",
            where={"sla_policy": row["sla_policy"], "sla_target": row["sla_target"]},
        )
        if url:
            table.links[(i, "value")] = url
    return table


def _trend_by_target(ctx: PageContext, frame: Frame) -> Chart | None:
    rows = frame.rows
    if not len(rows) or rows["value"].notna().sum() == 0:
        return None
    data = []
    for r in rows.to_dict("records"):
        value = number(r["value"])
        if value is None:
            continue
        data.append(
            {
                "period": str(r["period"]),
                "series": str(r["sla_target"]).replace("_", " "),
                "y": value,
                "lo": number(r.get("ci_low")),
                "hi": number(r.get("ci_high")),
                "n": int(r["n"] or 0),
                "shown": format_value(value, "ratio"),
                "drill": ctx.drill_url(
                    "sla_compliance",
                    period=str(r["period"]),
                    where={"sla_target": str(r["sla_target"])},
                ),
            }
        )
    description = (
        f"Lines of SLA compliance per {ctx.filters.grain}, one per target type; "
        f"{ctx.filters.describe()}."
    )
    spec = charts.trend(data, ctx.filters.grain, "", ".0%", description)
    return Chart("sla-trend-chart", "Compliance by target type", spec, description, "sla-trend")


def _trend_table(ctx: PageContext, frame: Frame) -> Table:
    """Periods down, one compliance and one n column per target type."""
    targets = [t for t in TARGET_ORDER if len(frame.rows) and (frame.rows["sla_target"] == t).any()]
    columns = [Column("period", "period", "date")]
    for t in targets:
        columns.append(Column(t, t.replace("_", " "), "ratio", numeric=True))
        columns.append(Column(f"{t}:n", "n", "int", numeric=True))
    rows: dict[str, dict[str, object]] = {}
    for r in frame.rows.to_dict("records") if len(frame.rows) else []:
        row = rows.setdefault(str(r["period"]), {"period": str(r["period"])})
        row[str(r["sla_target"])] = number(r["value"])
        row[f"{r['sla_target']}:n"] = int(r["n"] or 0)
    ordered = [rows[p] for p in sorted(rows)]
    table = Table(
        "sla-trend",
        f"Compliance per {ctx.filters.grain}",
        columns,
        ordered,
        csv_url=csv_url(ctx, "sla-trend"),
    )
    for i, row in enumerate(ordered):
        for t in targets:
            if row.get(f"{t}:n"):
                url = ctx.drill_url(
                    "sla_compliance", period=str(row["period"]), where={"sla_target": t}
                )
                if url:
                    table.links[(i, t)] = url
    return table


def _at_risk(ctx: PageContext) -> Section:
    horizon_h = _horizon(ctx.extra_params.get("horizon", ""))
    _, hi = range_bounds(ctx.filters.start, ctx.filters.end, ctx.reader.con.default_tz)
    # As of the range end, but never past now or past the latest data (a store loaded last
    # month has nothing running "now").
    as_of = min(int(time.time()), ctx.facts.last_instant or int(time.time()))
    if hi is not None:
        as_of = min(as_of, hi)
    section = Section(
        "At risk",
        id="at-risk",
        intro=(
            f"Open tickets whose SLA target falls due within {horizon_h} h of "
            f"{datetime.fromtimestamp(as_of, UTC):%Y-%m-%d %H:%M} UTC (the end of the range, the "
            "latest data or now, whichever is earliest), soonest first."
        ),
    )
    section.partial = "_horizon.html"
    section.data = {"horizons": HORIZONS_H, "horizon": horizon_h}
    key = ("dashboard-at-risk", horizon_h, as_of)
    found = ctx.cached(
        key,
        lambda: at_risk(
            ctx.reader.con, horizon_h * 3600.0, as_of=datetime.fromtimestamp(as_of, UTC)
        ),
    )
    for dim, value in ctx.filters.where:
        if dim in found.columns:
            found = found[found[dim] == value]
    columns = [
        Column("ticket_id", "ticket"),
        Column("sla_policy", "policy"),
        Column("sla_target", "target"),
        Column("due_at", "due at", "datetime"),
        Column("remaining_s", "time left", "seconds", numeric=True),
        Column("channel", "channel"),
        Column("team", "team"),
        Column("agent", "agent"),
        Column("priority", "priority"),
        Column("segment", "segment"),
    ]
    table = Table(
        "at-risk",
        f"{len(found):,} targets at risk",
        columns,
        frame_rows(found),
        csv_url=csv_url(ctx, "at-risk"),
    )
    section.tables = [table]
    return section


def _horizon(text: str) -> int:
    if not text:
        return DEFAULT_HORIZON_H
    if not text.isdigit() or int(text) not in HORIZONS_H:
        raise InputError(
            f"the at-risk horizon must be one of {', '.join(map(str, HORIZONS_H))} hours, "
            f"got {text!r}"
        )
    return int(text)
