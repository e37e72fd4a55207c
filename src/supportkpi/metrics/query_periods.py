"""The query's periods, for metrics defined per period rather than per row.

Retention, churn, ASAT ("latest response in the bucket"), angry customers ("customers with at
least one ...") and the like count *entities per period*, not rows. With a grain each bucket of
the report timezone is a period; without one the whole range ``[range_start, range_end)`` is.
A builder uses :func:`period_key` to group rows by the same bucket the query layer will put
them in, or :func:`period_bounds` to get each period's ``[start_s, end_s)`` and date its rows at
the period start. Either way the rows it returns fall into the right bucket when the query
layer buckets them again by ``at``.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine import periods
from supportkpi.engine.periods import with_period
from supportkpi.metrics.context import MetricContext

#: The one period key when the query has no grain.
WHOLE_RANGE = 0


def in_range(ctx: MetricContext, frame: ir.Table, column: str = "at") -> ir.Table:
    """Rows whose ``column`` lies in the query range (before grouping them per period)."""
    if ctx.range_start is not None:
        frame = frame.filter(frame[column] >= ctx.range_start)
    if ctx.range_end is not None:
        frame = frame.filter(frame[column] < ctx.range_end)
    return frame.filter(frame[column].notnull())


def period_key(ctx: MetricContext, frame: ir.Table, column: str = "at") -> ir.Table:
    """Add ``period_key``: the query's bucket of the instant in ``column`` (one key if no grain)."""
    if ctx.grain is None:
        return frame.mutate(period_key=ibis.literal(WHOLE_RANGE, "int64"))
    keyed = with_period(frame, ctx.tz, ctx.grain, column)
    return keyed.rename(period_key="period")


def period_bounds(
    ctx: MetricContext, key: str, data_span: Callable[[], tuple[int, int] | None]
) -> ir.Table:
    """The query's periods as a small table ``period_key, start_s, end_s`` (half-open).

    A missing range start or end is taken from the data: ``data_span()`` returns the first
    and last instant of the data (or None when there is none). The first and last buckets
    are clipped to the range, as the query layer clips them.
    """

    def build() -> ir.Table:
        lo, hi = ctx.range_start, ctx.range_end
        if lo is None or hi is None:
            span = data_span()
            if span is None:
                return _bounds_table([])
            lo = span[0] if lo is None else lo
            hi = span[1] + 1 if hi is None else hi
        # Expressions over one stable table, with the range as values: a statement over
        # them is compiled once for every range (see supportkpi.query.shapes).
        if ctx.grain is None:
            spans = periods.one_span(WHOLE_RANGE, lo, hi)
        else:
            spans = periods.range_spans(ctx.tz, ctx.grain, lo, hi)
        return spans.rename(period_key="period")

    return ctx.cached(f"period_bounds:{key}", build)


def data_span(
    ctx: MetricContext, frame: ir.Table, first: str, *last: str
) -> tuple[int, int] | None:
    """The first instant of ``first`` and the last of ``first`` and ``last`` (runs a query)."""
    highs = {f"hi{i}": frame[c].max() for i, c in enumerate((first, *last))}
    row = ctx.backend.execute(frame.aggregate(lo=frame[first].min(), **highs))
    if row.empty or pd.isna(row["lo"].iloc[0]):
        return None
    return int(row["lo"].iloc[0]), int(
        max(row[k].iloc[0] for k in highs if pd.notna(row[k].iloc[0]))
    )


def _bounds_table(rows: list[tuple[int, int, int]]) -> ir.Table:
    frame = pd.DataFrame(rows, columns=["period_key", "start_s", "end_s"]).astype("int64")
    return ibis.memtable(frame)
