"""The query model (SPEC §4 "Breakdowns, grains and filters", §6 `kpi`) and its runner.

A query names metric selectors (``NAME`` or ``NAME:STAT``), a half-open local date range, a
grain, dimensions and filters. The runner asks each metric's builder for its rows, then applies
filters, dating, bucketing and the aggregation the metric declares, always in Ibis.

A metric whose inputs the whole source lacks (``Metric.needs``: no message events for a reply
KPI, no surveys of its kind, no calls) is not computed: its one row has a null value, n = 0
and a ``note`` saying what is missing. :func:`run_kpi_partial` also keeps going past a metric
that cannot be computed at all (e.g. SLA compliance without ``[[sla]]`` policies) and reports
it in ``errors``.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from supportkpi.calendar.schedule import BusinessHours
from supportkpi.engine import periods
from supportkpi.engine.aggregate import aggregate_frame, cumulative_frame, open_intervals_frame
from supportkpi.engine.backends import Backend
from supportkpi.errors import InputError, SupportKpiError
from supportkpi.metrics.basis import Basis
from supportkpi.metrics.context import MetricContext, Options
from supportkpi.metrics.registry import Aggregation, Metric, get_metric
from supportkpi.sla.policy import SlaPolicy
from supportkpi.stats.intervals import mean_interval, nps_interval, wilson_interval

_STAT = re.compile(r"^(mean|median|count|sum|p(\d{1,2}(?:\.\d+)?))$")
KNOWN_DIMENSIONS = (
    "channel",
    "team",
    "agent",
    "priority",
    "segment",
    "queue",
    "sla_target",
    "sla_policy",
    "age_band",
)


@dataclass(frozen=True)
class Selector:
    """One requested number: a metric and, for distributions, a statistic."""

    metric: Metric
    stat: str | None

    @property
    def label(self) -> str:
        return f"{self.metric.id}:{self.stat}" if self.stat else self.metric.id

    @property
    def quantile(self) -> float | None:
        if self.stat == "median":
            return 0.5
        if self.stat and self.stat.startswith("p"):
            return float(self.stat[1:]) / 100.0
        return None


def parse_selector(text: str) -> Selector:
    """Parse ``NAME[:STAT]`` (``first_response_time:p90``) against the registry."""
    name, _, stat = text.strip().partition(":")
    metric = get_metric(name)
    if not stat:
        return Selector(metric, metric.default_stat)
    if not metric.stats:
        raise InputError(f"metric {name!r} takes no statistic (got {text!r})")
    match = _STAT.match(stat)
    if not match or (match.group(2) and not 0 < float(match.group(2)) < 100):
        raise InputError(
            f"unknown statistic {stat!r} in {text!r}; use mean, median, count, sum or pNN (p90)"
        )
    return Selector(metric, stat)


@dataclass
class KpiQuery:
    """Everything `supportkpi kpi` and ``Connection.kpi`` accept."""

    metrics: Sequence[str]
    start: date | None = None
    end: date | None = None
    grain: str | None = None
    by: Sequence[str] = ()
    where: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tz: str = "UTC"
    cohort: str = "event"
    business_hours: bool = False
    calendar: BusinessHours | None = None
    sla_policies: tuple[SlaPolicy, ...] = ()
    options: Options = field(default_factory=Options)

    def validate(self) -> list[Selector]:
        if not self.metrics:
            raise InputError("name at least one metric; run `supportkpi metrics` for the list")
        if self.grain is not None and self.grain not in periods.GRAINS:
            raise InputError(
                f"unknown grain {self.grain!r}; use one of {', '.join(periods.GRAINS)}"
            )
        if self.cohort not in ("event", "created"):
            raise InputError(f"unknown cohort {self.cohort!r}; use 'event' or 'created'")
        periods.zone(self.tz)
        for dim in (*self.by, *self.where):
            if dim not in KNOWN_DIMENSIONS:
                raise InputError(
                    f"unknown dimension {dim!r}; use one of {', '.join(KNOWN_DIMENSIONS[:-1])}"
                )
        if len(set(self.by)) != len(self.by):
            raise InputError("a dimension is repeated in 'by'")
        if self.business_hours and self.calendar is None:
            raise InputError(
                "business-hours durations need a [business_hours] schedule in the config "
                "(--config FILE)"
            )
        selectors = [parse_selector(m) for m in self.metrics]
        for sel in selectors:
            for dim in (*self.by, *self.where):
                if dim not in sel.metric.dimensions:
                    raise InputError(
                        f"metric {sel.metric.id!r} cannot be broken down by {dim!r}; "
                        f"its dimensions are {', '.join(sel.metric.dimensions)}"
                    )
        return selectors


def parse_where(items: Iterable[str]) -> dict[str, list[str]]:
    """``["channel=email,chat", "team=billing"]`` → ``{"channel": ["email", "chat"], ...}``."""
    where: dict[str, list[str]] = {}
    for item in items:
        dim, sep, values = item.partition("=")
        if not sep or not dim.strip() or not values:
            raise InputError(f"invalid filter {item!r}; use DIM=VALUE or DIM=V1,V2")
        where.setdefault(dim.strip(), []).extend(v.strip() for v in values.split(","))
    return where


@dataclass(frozen=True)
class MetricError:
    """A metric of a query that could not be computed, and the error saying why."""

    metric: str  # the selector's label, e.g. "sla_compliance"
    error: SupportKpiError

    def as_dict(self) -> dict[str, Any]:
        """``{"metric", "error", "status"}``: the API's one error shape, for one metric."""
        return {"metric": self.metric, "error": str(self.error), "status": self.error.status}


@dataclass
class KpiResult:
    """The rows of the metrics computed, and the metrics that could not be."""

    rows: pd.DataFrame
    errors: list[MetricError] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)  # labels of the metrics computed

    @property
    def computed(self) -> bool:
        """Whether any metric was computed (a query whose every metric failed was not)."""
        return bool(self.metrics) or not self.errors


def run_kpi(backend: Backend, query: KpiQuery) -> pd.DataFrame:
    """Compute every selector of ``query``; one row per metric, period and dimension values.

    The first metric that cannot be computed raises its error.
    """
    return _run(backend, query, partial=False).rows


def run_kpi_partial(backend: Backend, query: KpiQuery) -> KpiResult:
    """Compute what can be computed: a metric failing with a :class:`SupportKpiError` (say,
    SLA compliance without policies) goes to ``errors`` and the others still run. An invalid
    query (unknown metric, grain, dimension, ...) still raises."""
    return _run(backend, query, partial=True)


def _run(backend: Backend, query: KpiQuery, partial: bool) -> KpiResult:
    selectors = query.validate()
    lo, hi = periods.range_bounds(query.start, query.end, query.tz)
    ctx = MetricContext(
        backend=backend,
        options=query.options,
        cohort=query.cohort,
        range_end=hi,
        range_start=lo,
        grain=query.grain,
        tz=query.tz,
        business=query.calendar if query.business_hours else None,
        calendar=query.calendar,
        sla_policies=query.sla_policies,
        as_of=hi if hi is not None else int(time.time()),
    )
    frames, errors, done = [], [], []
    for sel in selectors:
        try:
            frames.append(_run_one(backend, ctx, sel, query, lo, hi))
        except SupportKpiError as exc:
            if not partial:
                raise
            errors.append(MetricError(sel.label, exc))
        else:
            done.append(sel.label)
    extra = (
        ["age_band"]
        if any("age_band" in f.columns for f in frames) and "age_band" not in query.by
        else []
    )
    columns = [
        "metric",
        "value",
        "n",
        *(["period"] if query.grain else []),
        *query.by,
        *extra,
        "ci_low",
        "ci_high",
        *(["note"] if any("note" in f and f["note"].notna().any() for f in frames) else []),
    ]
    frames = [f.dropna(axis=1, how="all") if len(f) else f for f in frames]
    out = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else pd.DataFrame(columns=columns)
    )
    for col in columns:
        if col not in out.columns:
            out[col] = None
    return KpiResult(out[columns], errors, done)


#: Per open backend, whether its source has each basis (a source does not change under a
#: read-only connection, and a reconnect after a load starts afresh).
_BASES_SEEN: weakref.WeakKeyDictionary[Backend, dict[str, bool]] = weakref.WeakKeyDictionary()


def missing_basis(backend: Backend, metric: Metric) -> Basis | None:
    """The first input ``metric`` needs that the whole source lacks, or ``None``."""
    seen = _BASES_SEEN.setdefault(backend, {})
    for basis in metric.needs:
        if basis.id not in seen:
            ctx = MetricContext(backend=backend)
            seen[basis.id] = any(_has_rows(backend, t) for t in basis.rows(ctx))
        if not seen[basis.id]:
            return basis
    return None


def _has_rows(backend: Backend, table: ir.Table) -> bool:
    first = table.limit(1)
    return int(backend.execute(first.aggregate(n=first.count()))["n"].iloc[0]) > 0


def _filtered(frame: ir.Table, where: Mapping[str, Sequence[str]]) -> ir.Table:
    for dim, values in where.items():
        frame = frame.filter(frame[dim].isin(list(values)))
    return frame


def _run_one(
    backend: Backend,
    ctx: MetricContext,
    sel: Selector,
    query: KpiQuery,
    lo: int | None,
    hi: int | None,
) -> pd.DataFrame:
    metric = sel.metric
    missing = missing_basis(backend, metric)
    if missing is not None:
        # One row whatever the grain or breakdown: there is no period or value to list.
        return pd.DataFrame([{"metric": sel.label, "value": None, "n": 0, "note": missing.note}])
    built = metric.build(ctx)
    keys = list(query.by)
    if metric.aggregation is Aggregation.CUMULATIVE:
        expr = cumulative_frame(backend, _filtered(built, query.where), keys, query, lo, hi)
    elif metric.aggregation is Aggregation.OPEN_INTERVALS:
        expr = open_intervals_frame(
            backend, _filtered(built, query.where), keys, query, lo, hi, sel
        )
    else:
        parts = built if isinstance(built, tuple) else (built,)
        parts = tuple(_in_range(_filtered(p, query.where), lo, hi) for p in parts)
        expr = aggregate_frame(parts, keys, query, sel)
    result = backend.execute(expr)
    return _finish(result, sel, query)


def _in_range(frame: ir.Table, lo: int | None, hi: int | None) -> ir.Table:
    if lo is not None:
        frame = frame.filter(frame.at >= lo)
    if hi is not None:
        frame = frame.filter(frame.at < hi)
    return frame


def _finish(result: pd.DataFrame, sel: Selector, query: KpiQuery) -> pd.DataFrame:
    """Label rows, render periods as local ISO dates, add intervals; n = 0 → value null."""
    result = result.copy()
    if result.empty and not query.grain and not query.by:
        result = pd.DataFrame([{"value": None, "n": 0}])
    result["metric"] = sel.label
    result["n"] = pd.to_numeric(result["n"], errors="coerce").fillna(0).astype("int64")
    result["value"] = result["value"].astype("object").where(result["n"] > 0, None)
    result["value"] = [None if v is None or pd.isna(v) else float(v) for v in result["value"]]
    if query.grain:
        result["period"] = [periods.from_day_number(int(k)).isoformat() for k in result["period"]]
    _add_intervals(result, sel)
    if sel.metric.null_note and len(result):
        result["note"] = [sel.metric.null_note if pd.isna(v) else None for v in result["value"]]
    for dim in query.by:
        result[dim] = result[dim].astype("object").where(result[dim].notna(), None)
    sort = (["period"] if query.grain else []) + list(query.by)
    if sort:
        result = result.sort_values(sort, na_position="last", kind="stable")
    return result.drop(columns=[c for c in result.columns if c.startswith("_")])


def _add_intervals(result: pd.DataFrame, sel: Selector) -> None:
    """95% intervals: Wilson for rates, multinomial for NPS, t for mean scores."""
    agg = sel.metric.aggregation

    def col(name: str) -> pd.Series:
        if name not in result.columns:
            return pd.Series(0.0, index=result.index)
        return pd.to_numeric(result[name], errors="coerce").astype("float64")

    if agg is Aggregation.RATIO:
        bounds = [
            wilson_interval(round(num), int(n)) if n else (None, None)
            for num, n in zip(col("_num").fillna(0), result["n"], strict=True)
        ]
    elif agg is Aggregation.NPS:
        bounds = [
            nps_interval(int(p), int(n - p - d), int(d)) if n else (None, None)
            for p, d, n in zip(
                col("_promoters").fillna(0),
                col("_detractors").fillna(0),
                result["n"],
                strict=True,
            )
        ]
    elif agg is Aggregation.MEAN:
        bounds = [
            mean_interval(
                int(n), None if pd.isna(v) else float(v), None if pd.isna(s) else float(s)
            )
            for v, s, n in zip(result["value"], col("_std"), result["n"], strict=True)
        ]
    else:
        return
    result["ci_low"] = [b[0] for b in bounds]
    result["ci_high"] = [b[1] for b in bounds]


def describe_query(query: KpiQuery) -> dict[str, Any]:
    return {
        "from": query.start.isoformat() if query.start else None,
        "to": query.end.isoformat() if query.end else None,
        "grain": query.grain,
        "by": list(query.by),
        "tz": query.tz,
    }
