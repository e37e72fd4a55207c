"""The KPI runner: a validated :class:`~supportkpi.query.request.KpiRequest` in, rows out.

The runner asks each metric's builder for its rows, then applies filters, dating, bucketing and
the aggregation the metric declares, always in Ibis.

A metric whose inputs the whole source lacks (``Metric.needs``: no message events for a reply
KPI, no surveys of its kind, no calls) is not computed: its one row has a null value, n = 0
and a ``note`` saying what is missing. :func:`run_kpi_partial` also keeps going past a metric
that cannot be computed at all (e.g. SLA compliance without ``[[sla]]`` policies) and reports
it in ``errors``.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine import periods
from supportkpi.engine.backends import Backend
from supportkpi.errors import CancelledError, SupportKpiError
from supportkpi.metrics.basis import Basis
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.registry import Metric
from supportkpi.metrics.selector import Selector
from supportkpi.query.aggregate import aggregate_frame, cumulative_frame, open_intervals_frame
from supportkpi.query.filters import keep_filtered
from supportkpi.query.request import KpiRequest
from supportkpi.query.shapes import Values, run_shaped


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


def computed(result: KpiResult) -> KpiResult:
    """``result``, unless no metric could be computed: then the first metric's error."""
    if not result.computed:
        raise result.errors[0].error
    return result


def run_kpi(backend: Backend, query: KpiRequest) -> pd.DataFrame:
    """Compute every selector of ``query``; one row per metric, period and dimension values.

    The first metric that cannot be computed raises its error.
    """
    return _run(backend, query, partial=False).rows


def run_kpi_partial(backend: Backend, query: KpiRequest) -> KpiResult:
    """Compute what can be computed: a metric failing with a :class:`SupportKpiError` (say,
    SLA compliance without policies) goes to ``errors`` and the others still run. An invalid
    query (unknown metric, grain, dimension, ...) still raises."""
    return _run(backend, query, partial=True)


def _run(backend: Backend, query: KpiRequest, partial: bool) -> KpiResult:
    selectors = query.validate()
    lo, hi = periods.range_bounds(query.start, query.end, query.tz)
    ctx = query.context(backend, lo, hi)
    frames, errors, done = [], [], []
    for sel in selectors:
        try:
            frames.append(_run_one(backend, ctx, sel, query))
        except SupportKpiError as exc:
            if not partial or isinstance(exc, CancelledError):  # cancelled: the rest is too
                raise
            errors.append(MetricError(sel.label, exc))
        else:
            done.append(sel.label)
    kind_keys = (k for sel in selectors for k in sel.metric.aggregation_kind.extra_keys(sel))
    extra = [
        key
        for key in dict.fromkeys(kind_keys)
        if key not in query.by and any(key in f.columns for f in frames)
    ]
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


def _run_one(
    backend: Backend,
    ctx: MetricContext,
    sel: Selector,
    query: KpiRequest,
) -> pd.DataFrame:
    missing = missing_basis(backend, sel.metric)
    if missing is not None:
        # One row whatever the grain or breakdown: there is no period or value to list.
        return pd.DataFrame([{"metric": sel.label, "value": None, "n": 0, "note": missing.note}])
    return _finish(_run_shaped(backend, ctx, sel, query), sel, query)


def _run_shaped(
    backend: Backend, ctx: MetricContext, sel: Selector, query: KpiRequest
) -> pd.DataFrame:
    """One metric's values, through a statement compiled once per shape where it can be."""
    values = Values(ctx.range_start, ctx.range_end, ctx.as_of, query.where)

    def build(v: Values, as_literals: bool) -> ir.Table:
        # The request's own context, or a fresh one for other values (a context caches the
        # expressions it built, with its values in them).
        c = ctx if v is values else query.context(backend, v.lo, v.hi, as_of=v.as_of)
        return _expression(backend, c, sel, query, v, as_literals)

    return run_shaped(backend, _shape(sel, query), values, build)


def _expression(
    backend: Backend,
    ctx: MetricContext,
    sel: Selector,
    query: KpiRequest,
    values: Values,
    as_literals: bool,
) -> ir.Table:
    """The Ibis expression of one metric's values per period and dimension."""
    built = sel.metric.build(ctx)
    keys, lo, hi = list(query.by), values.lo, values.hi
    frame = sel.metric.aggregation_kind.frame
    if frame == "level":
        rows = keep_filtered(built, values.where, as_literals)
        return cumulative_frame(backend, rows, keys, query, lo, hi)
    if frame == "open_intervals":
        rows = keep_filtered(built, values.where, as_literals)
        return open_intervals_frame(backend, rows, keys, query, lo, hi, sel)
    parts = built if isinstance(built, tuple) else (built,)
    parts = tuple(_in_range(keep_filtered(p, values.where, as_literals), lo, hi) for p in parts)
    return aggregate_frame(parts, keys, query, sel)


def _shape(sel: Selector, query: KpiRequest) -> Hashable:
    """Everything but the values that a metric's statement depends on."""
    return (
        sel,
        tuple(query.by),
        query.grain,
        query.tz,
        query.cohort,
        query.business_hours,
        query.calendar,
        query.sla_policies,
        query.options,
    )


def _in_range(frame: ir.Table, lo: int | None, hi: int | None) -> ir.Table:
    if lo is not None:
        frame = frame.filter(frame.at >= lo)
    if hi is not None:
        frame = frame.filter(frame.at < hi)
    return frame


def _finish(result: pd.DataFrame, sel: Selector, query: KpiRequest) -> pd.DataFrame:
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
    """95% intervals, as the metric's kind computes them (none for counts, sums, ...)."""
    bounds = sel.metric.aggregation_kind.intervals(result)
    if bounds is None:
        return
    result["ci_low"] = [b[0] for b in bounds]
    result["ci_high"] = [b[1] for b in bounds]
