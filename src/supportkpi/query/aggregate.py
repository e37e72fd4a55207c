"""Turn a metric builder's rows into values per period and dimension, in Ibis.

Each function returns an Ibis expression with ``value``, ``n``, the keys (``period`` when the
query has a grain, then each ``by`` dimension) and, for ratios, ``_num`` (successes for the
interval). Periods are local day numbers of the bucket start (see :mod:`periods`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from supportkpi.engine import periods
from supportkpi.engine.periods import with_period
from supportkpi.metrics.kinds import OpenIntervals

if TYPE_CHECKING:
    from supportkpi.engine.backends import Backend
    from supportkpi.metrics.selector import Selector
    from supportkpi.query.request import KpiRequest

#: Bucket key for everything before the range start (smaller than any real day number).
BEFORE = -(10**9)
#: Stands for a null dimension value inside the backlog's gap-filling grid.
NULL_KEY = "~null~"


def aggregate_frame(
    parts: Sequence[ir.Table], keys: list[str], query: KpiRequest, sel: Selector
) -> ir.Table:
    """Aggregate simple, ratio and quotient metrics per period and dimension."""
    if query.grain:
        parts = [with_period(p, query.tz, query.grain) for p in parts]
        keys = ["period", *keys]
    if sel.metric.aggregation_kind.frame == "quotient":
        return _quotient(parts, keys, count_denominator=sel.metric.n_counts == "denominator")
    (frame,) = parts
    measures = sel.metric.aggregation_kind.measures(frame, sel)
    if keys:
        return frame.group_by(keys).aggregate(**measures)
    return frame.aggregate(**measures)


def _hide_nulls(frame: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Null dimension values as ``NULL_KEY``, so that joins on the keys match them."""
    return frame.mutate(
        **{k: frame[k].cast("string").fill_null(NULL_KEY) for k in keys if k != "period"}
    )


def _restore_nulls(frame: ir.Table, keys: Sequence[str]) -> ir.Table:
    return frame.mutate(
        **{
            k: ibis.ifelse(frame[k] == NULL_KEY, ibis.null("string"), frame[k])
            for k in keys
            if k != "period"
        }
    )


def _quotient(parts: Sequence[ir.Table], keys: list[str], count_denominator: bool) -> ir.Table:
    """``sum(numerator x) / sum(denominator x)`` per key; n counts one side's rows."""
    num, den = parts
    a_n = {} if count_denominator else {"_na": num.x.count()}
    b_n = {"_nb": den.x.count()} if count_denominator else {}
    if not keys:
        a = num.aggregate(_a=num.x.sum(), **a_n)
        joined = a.cross_join(den.aggregate(_b=den.x.sum(), **b_n))
    else:
        num, den = _hide_nulls(num, keys), _hide_nulls(den, keys)
        a = num.group_by(keys).aggregate(_a=num.x.sum(), **a_n)
        b = den.group_by(keys).aggregate(_b=den.x.sum(), **b_n)
        joined = a.outer_join(b, keys)
        joined = joined.select(
            *[ibis.coalesce(joined[k], joined[f"{k}_right"]).name(k) for k in keys],
            "_a",
            "_b",
            *a_n,
            *b_n,
        )
        joined = _restore_nulls(joined, keys)
    n = joined._nb if count_denominator else joined._na
    return joined.select(*keys, value=joined._a / joined._b.nullif(0), n=n.fill_null(0))


def _data_bounds(
    backend: Backend, frame: ir.Table, columns: Sequence[str]
) -> tuple[int, int] | None:
    """The first instant of ``columns[0]`` and the last instant of any of ``columns``."""
    last = {f"hi{i}": frame[c].max() for i, c in enumerate(columns)}
    row = backend.execute(frame.aggregate(lo=frame[columns[0]].min(), **last))
    if row.empty or row["lo"].isna().iloc[0]:
        return None
    return int(row["lo"].iloc[0]), int(
        max(row[k].iloc[0] for k in last if not row[k].isna().iloc[0])
    )


def data_range(
    backend: Backend, frame: ir.Table, lo: int | None, hi: int | None, columns: Sequence[str]
) -> tuple[int, int] | None:
    """``[lo, hi)``, a missing start or end taken from the data (its first instant of
    ``columns[0]``, its last of any of ``columns`` + 1 s); None without data."""
    if lo is not None and hi is not None:
        return lo, hi
    bounds = _data_bounds(backend, frame, columns)
    if bounds is None:
        return None
    return (lo if lo is not None else bounds[0]), (hi if hi is not None else bounds[1] + 1)


def bucket_ends(query: KpiRequest, lo: int, hi: int) -> ir.Table:
    """``period, end_s``: each bucket of ``[lo, hi)`` and its end, clipped to the range."""
    if not query.grain:
        return periods.one_span(0, lo, hi).select("period", "end_s")
    return periods.range_spans(query.tz, query.grain, lo, hi).select("period", "end_s")


def cumulative_frame(
    backend: Backend,
    frame: ir.Table,
    keys: list[str],
    query: KpiRequest,
    lo: int | None,
    hi: int | None,
) -> ir.Table:
    """Point-in-time levels (the backlog): sum of ``delta`` over ``at < bucket end``."""
    span = data_range(backend, frame, lo, hi, ["at"])
    if span is None:  # no data at all: an empty result
        empty = frame.limit(0)
        measures = {"value": empty.delta.sum(), "n": empty.opened.sum()}
        return empty.group_by(keys).aggregate(**measures) if keys else empty.aggregate(**measures)
    lo, hi = span
    # The last bucket ends at the range end.
    frame = frame.filter(frame.at < hi)
    if not query.grain:
        # n is the population: tickets opened before the instant.
        measures = {"value": frame.delta.sum(), "n": frame.opened.sum()}
        return frame.group_by(keys).aggregate(**measures) if keys else frame.aggregate(**measures)
    # The gap-filling grid joins on the dimensions; a null value would never match itself.
    frame = with_period(_hide_nulls(frame, keys), query.tz, query.grain)
    # Everything before the range start only sets the opening level.
    frame = frame.mutate(period=ibis.ifelse(frame.at < lo, BEFORE, frame.period))
    sums = frame.group_by(["period", *keys]).aggregate(d=frame.delta.sum(), o=frame.opened.sum())
    before = periods.one_span(BEFORE, lo, lo).select("period")
    grid = ibis.union(before, bucket_ends(query, lo, hi).select("period"))
    if keys:
        grid = grid.cross_join(sums.select(*keys).distinct())
    full = grid.left_join(sums, ["period", *keys])
    full = full.select("period", *keys, d=full.d.fill_null(0), o=full.o.fill_null(0))
    w = ibis.window(
        group_by=[full[k] for k in keys] or None, order_by=full.period, preceding=None, following=0
    )
    level = full.mutate(value=full.d.sum().over(w), n=full.o.sum().over(w))
    level = level.filter(level.period != BEFORE)
    return _restore_nulls(level.select("period", *keys, "value", "n"), keys)


def open_intervals_frame(
    backend: Backend,
    frame: ir.Table,
    keys: list[str],
    query: KpiRequest,
    lo: int | None,
    hi: int | None,
    sel: Selector,
) -> ir.Table:
    """At each bucket end, the open rows and their age; bands by default, or a statistic."""
    span = data_range(backend, frame, lo, hi, ["open_at", "close_at"])
    if span is None:  # no data: no bucket, no row
        span = (0, 1)
    e = bucket_ends(query, *span)
    joined = frame.join(
        e, [frame.open_at < e.end_s, frame.close_at.isnull() | (frame.close_at >= e.end_s)]
    )
    aged = joined.mutate(x=(joined.end_s - joined.since).cast("float64"))
    aged = aged.mutate(age_band=OpenIntervals.band(aged.x))
    group = (["period"] if query.grain else []) + keys
    if sel.stat is None:
        band_keys = group if "age_band" in group else [*group, "age_band"]
        counts = aged.group_by(band_keys).aggregate(value=aged.count())
        w = ibis.window(group_by=[counts[k] for k in group] or None)
        return counts.mutate(n=counts.value.sum().over(w))
    measures = {"value": sel.stat_value(aged.x), "n": aged.x.count()}
    return aged.group_by(group).aggregate(**measures) if group else aged.aggregate(**measures)
