"""The report as a document (issue 16): one period against the previous equal period.

A :class:`ReportDocument` holds everything a reader of the report sees — headline KPIs with
their targets, the delta, the significance test and its sentence, a breakdown and the series
the charts draw — as plain data. The renderers (terminal, Markdown, JSON and HTML here; the
charts in the dashboard's layer, PDF in :mod:`supportkpi.delivery`) only lay it out, so every
format says the same.

>>> import supportkpi                                                    # doctest: +SKIP
>>> with supportkpi.connect("demo.duckdb") as con:                       # doctest: +SKIP
...     doc = build_document(con, report_period("last-week", date(2024, 6, 5)))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from supportkpi.engine.periods import bucket_start, parse_date
from supportkpi.errors import InputError
from supportkpi.metrics.registry import Unit
from supportkpi.metrics.selector import parse_selector
from supportkpi.report.changes import KpiChange, compare_periods
from supportkpi.report.format import format_value

if TYPE_CHECKING:
    from supportkpi.query.session import Session

#: The KPIs of a report, in reading order; the config's [targets] are added after them.
DOCUMENT_KPIS = (
    "ticket_volume",
    "tickets_solved",
    "first_response_time:median",
    "resolution_time:median",
    "fcr_rate",
    "reopen_rate",
    "csat",
    "backlog",
)
#: The KPIs drawn over the period (one chart each: they have different units).
CHART_KPIS = ("ticket_volume", "first_response_time:median")
PERIOD_GRAINS = {
    "last-day": "day",
    "last-week": "week",
    "last-month": "month",
    "last-quarter": "quarter",
}


@dataclass(frozen=True)
class ReportPeriod:
    """``[start, end)`` and the previous period of the same length, as local dates."""

    name: str
    start: date
    end: date
    previous_start: date
    previous_end: date

    def describe(self) -> str:
        last = self.end - timedelta(days=1)
        return f"{self.start:%d %b %Y}" + ("" if last == self.start else f" – {last:%d %b %Y}")


def report_period(
    name: str | None, today: date, start: str | None = None, end: str | None = None
) -> ReportPeriod:
    """``last-day`` … ``last-quarter``: the last full one before ``today``; or ``[start, end)``."""
    if start or end:
        lo, hi = parse_date(start, "--from"), parse_date(end, "--to")
        if lo is None or hi is None or hi <= lo:
            raise InputError("give both --from and --to, with --to after --from")
        return ReportPeriod("custom", lo, hi, lo - (hi - lo), lo)
    if name not in PERIOD_GRAINS:
        raise InputError(f"unknown period {name!r}; use {', '.join(PERIOD_GRAINS)} or --from/--to")
    grain = PERIOD_GRAINS[name]
    end_ = bucket_start(today, grain)
    current = bucket_start(end_ - timedelta(days=1), grain)
    previous = bucket_start(current - timedelta(days=1), grain)
    return ReportPeriod(name, current, end_, previous, current)


@dataclass(frozen=True)
class DocumentKpi:
    """One headline KPI: both periods, the delta, the target and the test's verdict."""

    metric: str
    title: str
    unit: str
    good: str | None
    current: float | None
    previous: float | None
    delta: float | None
    shown_current: str
    shown_previous: str
    shown_delta: str
    n_current: int
    n_previous: int
    target: str | None
    target_status: str | None  # "pass", "miss", "no_data", or None without a target
    test: str | None
    p_value: float | None
    significant: bool
    sentence: str


@dataclass(frozen=True)
class Series:
    """One KPI over the report's days (or weeks): what a trend chart draws."""

    metric: str
    title: str
    unit: str
    grain: str
    points: list[dict[str, Any]]  # {"period": "YYYY-MM-DD", "value": float | None, "n": int}


@dataclass(frozen=True)
class Breakdown:
    """The headline KPIs of the current period by one dimension (``--by``)."""

    dimension: str
    metrics: list[str]
    titles: list[str]
    rows: list[dict[str, str]]  # {dimension value, metric label → shown value}
    values: list[dict[str, Any]]  # the same as numbers, for the bar chart


@dataclass(frozen=True)
class ReportDocument:
    title: str
    period: ReportPeriod
    timezone: str
    generated_at: str
    kpis: list[DocumentKpi]
    series: list[Series] = field(default_factory=list)
    breakdown: Breakdown | None = None

    @property
    def what_changed(self) -> list[str]:
        """The sentences of the significant changes, else a line saying there were none."""
        changed = [k.sentence for k in self.kpis if k.significant]
        return changed or ["No KPI changed significantly at 95% against the previous period."]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["period"] = {k: str(v) for k, v in asdict(self.period).items()}
        out["what_changed"] = self.what_changed
        return out


def build_document(
    con: Session,
    period: ReportPeriod,
    by: str | None = None,
    metrics: tuple[str, ...] = DOCUMENT_KPIS,
    now: datetime | None = None,
) -> ReportDocument:
    """The report of ``period`` against the previous equal period, from one connection."""
    targets = {t.selector: t for t in con.settings.targets}
    selectors = list(dict.fromkeys([*metrics, *targets]))
    changes = compare_periods(
        con,
        selectors,
        current=(period.start, period.end),
        previous=(period.previous_start, period.previous_end),
    )
    kpis = [_kpi(change, targets.get(change.metric)) for change in changes]
    stamp = (now or datetime.now().astimezone()).isoformat(timespec="seconds")
    return ReportDocument(
        title=f"Support report, {period.describe()}",
        period=period,
        timezone=con.default_tz,
        generated_at=stamp,
        kpis=kpis,
        series=_series(con, period),
        breakdown=None if not by else _breakdown(con, period, by, selectors),
    )


def _kpi(change: KpiChange, target: Any) -> DocumentKpi:
    sel = parse_selector(change.metric)
    stat = sel.stat or None
    status = None
    if target is not None:
        verdict = target.passes(change.current)
        status = "no_data" if verdict is None else ("pass" if verdict else "miss")
    return DocumentKpi(
        metric=change.metric,
        title=change.title,
        unit=change.unit,
        good=sel.metric.good,
        current=change.current,
        previous=change.previous,
        delta=change.delta,
        shown_current=format_value(change.current, sel.metric.unit, stat),
        shown_previous=format_value(change.previous, sel.metric.unit, stat),
        shown_delta=shown_delta(change.delta, sel.metric.unit, stat),
        n_current=change.n_current,
        n_previous=change.n_previous,
        target=None if target is None else target.text,
        target_status=status,
        test=change.test,
        p_value=change.p_value,
        significant=change.significant,
        sentence=change.sentence,
    )


def shown_delta(delta: float | None, unit: Unit | str, stat: str | None = None) -> str:
    """``+1.5 pts`` for rates, ``−2h 5m`` for durations, ``+12`` for counts; ``–`` for none."""
    if delta is None:
        return "–"
    sign = "+" if delta >= 0 else "−"
    if Unit(unit) is Unit.RATIO and stat != "count":
        return f"{sign}{abs(delta) * 100:.1f} pts"
    return sign + format_value(abs(delta), unit, stat)


def _series(con: Session, period: ReportPeriod) -> list[Series]:
    days = (period.end - period.start).days
    if days < 2:
        return []  # one day has no trend worth drawing
    grain = "day" if days <= 62 else "week"
    frame = con.kpi(list(CHART_KPIS), start=period.start, end=period.end, grain=grain)
    out = []
    for label in CHART_KPIS:
        sel = parse_selector(label)
        rows = frame[(frame.metric == label) & frame["period"].notna()]
        points = [
            {"period": str(r["period"]), "value": _number(r["value"]), "n": int(r["n"] or 0)}
            for r in rows.to_dict("records")
        ]
        if any(p["value"] is not None for p in points):
            title = sel.metric.title + (f" ({sel.stat})" if sel.stat else "")
            out.append(Series(label, title, str(sel.metric.unit), grain, points))
    return out


def _breakdown(con: Session, period: ReportPeriod, by: str, selectors: list[str]) -> Breakdown:
    frame = con.kpi(selectors, start=period.start, end=period.end, by=[by])
    titles = []
    groups: dict[str, dict[str, str]] = {}
    values: list[dict[str, Any]] = []
    for label in selectors:
        sel = parse_selector(label)
        titles.append(sel.metric.title + (f" ({sel.stat})" if sel.stat else ""))
        if by not in frame.columns:
            continue
        for r in frame[frame.metric == label].to_dict("records"):
            key = "(none)" if r[by] is None or r[by] != r[by] else str(r[by])
            value = _number(r["value"])
            groups.setdefault(key, {by: key})[label] = format_value(
                value, sel.metric.unit, sel.stat or None
            )
            values.append({"metric": label, "category": key, "value": value})
    rows = [groups[k] for k in sorted(groups)]
    return Breakdown(by, selectors, titles, rows, values)


def _number(value: Any) -> float | None:
    if value is None or value != value:
        return None
    return float(value)
