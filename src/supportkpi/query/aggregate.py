"""Turn a metric builder's rows into values per period and dimension, in Ibis.

Each function returns an Ibis expression with ``value``, ``n``, the keys (``period`` when the
query has a grain, then each ``by`` dimension) and, for ratios, ``_num`` (successes for the
interval). Periods are local day numbers of the bucket start (see :mod:`periods`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
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


def bucket_ends(
    backend: Backend,
    frame: ir.Table,
    query: KpiRequest,
    lo: int | None,
    hi: int | None,
    columns: Sequence[str],
) -> tuple[list[tuple[int, int]], int | None]:
    """``[(period key, end instant)]`` of the buckets of the range, and the range start.

    Without a range end, the last instant of the data (+1 s) ends the range; without a range
    start, the first instant of the data starts it.
    """
    if lo is None or hi is None:
        bounds = _data_bounds(backend, frame, columns)
        if bounds is None:
            return [], lo
        lo = lo if lo is not None else bounds[0]
        hi = hi if hi is not None else bounds[1] + 1
    if not query.grain:
        return [(0, hi)], lo
    tz = periods.zone(query.tz)
    first_day = datetime.fromtimestamp(lo, tz).date()
    last_day = datetime.fromtimestamp(hi - 1, tz).date()
    ends = []
    for start in periods.bucket_keys(first_day, last_day + timedelta(days=1), query.grain):
        end = periods.local_midnight_epoch(periods.next_bucket(start, query.grain), tz)
        ends.append((periods.day_number(start), min(end, hi)))
    return ends, lo


def _ends_memtable(ends: list[tuple[int, int]]) -> ir.Table:
    import pandas as pd

    return ibis.memtable(pd.DataFrame(ends, columns=["period", "end_s"]).astype("int64"))


def cumulative_frame(
    backend: Backend,
    frame: ir.Table,
    keys: list[str],
    query: KpiRequest,
    lo: int | None,
    hi: int | None,
) -> ir.Table:
    """Point-in-time levels (the backlog): sum of ``delta`` over ``at < bucket end``."""
    ends, lo = bucket_ends(backend, frame, query, lo, hi, ["at"])
    if not ends:  # no data at all: an empty result
        empty = frame.limit(0)
        measures = {"value": empty.delta.sum(), "n": empty.opened.sum()}
        return empty.group_by(keys).aggregate(**measures) if keys else empty.aggregate(**measures)
    last_end = ends[-1][1]
    frame = frame.filter(frame.at < last_end)
    if not query.grain:
        # n is the population: tickets opened before the instant.
        measures = {"value": frame.delta.sum(), "n": frame.opened.sum()}
        return frame.group_by(keys).aggregate(**measures) if keys else frame.aggregate(**measures)
    assert lo is not None
    # The gap-filling grid joins on the dimensions; a null value would never match itself.
    frame = with_period(_hide_nulls(frame, keys), query.tz, query.grain)
    # Everything before the range start only sets the opening level.
    frame = frame.mutate(period=ibis.ifelse(frame.at < lo, BEFORE, frame.period))
    sums = frame.group_by(["period", *keys]).aggregate(d=frame.delta.sum(), o=frame.opened.sum())
    grid = _ends_memtable([(BEFORE, lo), *ends]).select("period")
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
    ends, _ = bucket_ends(backend, frame, query, lo, hi, ["open_at", "close_at"])
    e = _ends_memtable(ends)
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
