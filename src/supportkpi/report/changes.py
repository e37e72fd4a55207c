"""Did a KPI change between two periods, or is it noise? (SPEC §4 "Surveys", issue 5).

>>> import supportkpi                                                    # doctest: +SKIP
>>> con = supportkpi.connect("demo.duckdb")                              # doctest: +SKIP
>>> for c in compare_periods(con, ["csat", "nps", "ces"],                # doctest: +SKIP
...                          current=("2024-02-01", "2024-03-01"),
...                          previous=("2024-01-01", "2024-02-01")):
...     print(c.sentence)
Customer satisfaction (CSAT) fell 3.1 points, not significant at 95% (40 responses now, 38 before)

Each KPI is computed in both periods from the same rows ``supportkpi kpi`` uses, reduced to
the sufficient statistics of its test (:func:`supportkpi.stats.compare`):

- rates (ratio metrics): successes and n, pooled two-proportion z-test;
- NPS: promoters, passives and detractors, z-test with the multinomial variances;
- means (CES, csat_mean, customer_sentiment, any ``metric:mean``): n, mean and sample std
  (one Ibis aggregate over the metric's rows), Welch's t-test.

Other KPIs (counts, sums, quotients, medians, point-in-time levels) get their values and the
delta, but no test: the sentence says so. A KPI whose inputs the data lacks (see
:mod:`supportkpi.metrics.basis`) is not compared: its sentence is the note saying what is
missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine import periods
from supportkpi.errors import InputError
from supportkpi.metrics.kinds import TEST_INPUTS
from supportkpi.metrics.registry import Unit
from supportkpi.metrics.selector import Selector, parse_selector
from supportkpi.query.request import KpiRequest
from supportkpi.query.runner import missing_basis, run_kpi
from supportkpi.query.session import Session
from supportkpi.report.format import format_value
from supportkpi.stats import Change, compare

Period = tuple[str | date, str | date]
#: What n counts, by the id column of a metric's rows ("40 responses now").
NOUNS = {
    "response_id": "responses",
    "ticket_id": "tickets",
    "customer_id": "customers",
    "session_id": "sessions",
    "call_id": "calls",
}


@dataclass(frozen=True)
class KpiChange:
    """One KPI in two periods: values, delta, the test's verdict and the plain-words sentence."""

    metric: str
    title: str
    unit: str
    previous: float | None
    current: float | None
    delta: float | None
    n_previous: int
    n_current: int
    test: str | None  # "proportion", "nps", "mean", or None (no test for this KPI)
    p_value: float | None
    significant: bool
    sentence: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_periods(
    con: Session,
    metrics: Sequence[str] | str,
    current: Period,
    previous: Period,
    confidence: float = 0.95,
    **filters: Any,
) -> list[KpiChange]:
    """Each KPI of ``metrics`` in ``previous`` and ``current`` (half-open local date ranges).

    ``filters`` are :meth:`Session.kpi`'s keyword arguments other than the range, grain and
    breakdown: ``where``, ``tz``, ``cohort``, ``business_hours``, ``options``.
    ``business_hours`` applies to the metrics it changes (durations) and not to the others.
    """
    for key in ("grain", "by", "start", "end"):
        if filters.get(key):
            raise InputError(f"compare_periods compares whole periods; {key!r} is not allowed")
        filters.pop(key, None)
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    business_hours = bool(filters.pop("business_hours", False))
    out = []
    for name in names:
        sel = parse_selector(name)
        missing = missing_basis(con.backend, sel.metric)
        if missing is not None:
            out.append(_not_compared(sel, missing.note))
            continue
        own = {**filters, "business_hours": business_hours and sel.metric.business_hours}
        before = _period(con, name, sel, previous, own)
        now = _period(con, name, sel, current, own)
        out.append(_describe(sel, before, now, confidence))
    return out


@dataclass(frozen=True)
class _Summary:
    value: float | None
    n: int
    test: str | None
    stats: tuple[float | None, ...] | None
    noun: str


def _period(
    con: Session, name: str, sel: Selector, period: Period, filters: dict[str, Any]
) -> _Summary:
    query = con.query([name], start=period[0], end=period[1], **filters)
    test = sel.metric.aggregation_kind.test(sel)
    if test is None:
        row = run_kpi(con.backend, query).iloc[0]
        value = None if row["value"] is None else float(row["value"])
        return _Summary(value, int(row["n"]), None, None, "observations")
    rows = _rows(con, sel, query)
    noun = sel.metric.n_noun or next((NOUNS[c] for c in NOUNS if c in rows.columns), "observations")
    inputs = TEST_INPUTS[test]
    r = con.backend.execute(rows.aggregate(**inputs.aggregate(rows))).iloc[0]
    if _missing(r["n"]) or int(r["n"]) == 0:
        return _Summary(None, 0, test, None, noun)
    value, n, stats = inputs.summary(r)
    return _Summary(value, n, test, stats, noun)


def _rows(con: Session, sel: Selector, query: KpiRequest) -> ir.Table:
    """The metric's rows in the query's range and filters, as ``supportkpi kpi`` reads them."""
    lo, hi = periods.range_bounds(query.start, query.end, query.tz)
    rows = sel.metric.build(query.context(con.backend, lo, hi))
    for dim, values in query.where.items():
        rows = rows.filter(rows[dim].isin(list(values)))
    if lo is not None:
        rows = rows.filter(rows.at >= lo)
    if hi is not None:
        rows = rows.filter(rows.at < hi)
    return rows


def _describe(sel: Selector, before: _Summary, now: _Summary, confidence: float) -> KpiChange:
    metric = sel.metric
    label = metric.title if not sel.stat else f"{metric.title} ({sel.stat})"
    test = now.test
    if test is not None:
        change = compare(test, before.stats, now.stats, confidence=confidence)  # type: ignore[arg-type]
        sentence = change.describe(label, _unit_word(metric.unit, test), now.noun)
        return _kpi_change(sel, label, before, now, change.delta, change, sentence)
    delta = None if before.value is None or now.value is None else now.value - before.value
    if delta is None:
        sentence = f"{label}: no data for a period, so no comparison"
    elif delta == 0:
        sentence = f"{label} did not change ({format_value(now.value, metric.unit)})"
    else:
        direction = "rose" if delta > 0 else "fell"
        sentence = (
            f"{label} {direction} from {format_value(before.value, metric.unit, sel.stat)} "
            f"to {format_value(now.value, metric.unit, sel.stat)} (no significance test for "
            "this kind of KPI)"
        )
    return _kpi_change(sel, label, before, now, delta, None, sentence)


def _not_compared(sel: Selector, note: str) -> KpiChange:
    label = sel.metric.title if not sel.stat else f"{sel.metric.title} ({sel.stat})"
    empty = _Summary(None, 0, None, None, "observations")
    return _kpi_change(sel, label, empty, empty, None, None, f"{label}: {note}")


def _kpi_change(
    sel: Selector,
    label: str,
    before: _Summary,
    now: _Summary,
    delta: float | None,
    change: Change | None,
    sentence: str,
) -> KpiChange:
    return KpiChange(
        metric=sel.label,
        title=label,
        unit=str(sel.metric.unit),
        previous=before.value,
        current=now.value,
        delta=delta,
        n_previous=before.n,
        n_current=now.n,
        test=now.test,
        p_value=change.p_value if change else None,
        significant=change.significant if change else False,
        sentence=sentence,
    )


def _unit_word(unit: Unit, test: str) -> str | None:
    if test != "mean":
        return None  # "points" for rates and NPS
    return {Unit.SECONDS: "seconds", Unit.MONEY: "", Unit.SCORE: ""}.get(unit, "")


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))
