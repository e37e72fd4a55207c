"""The rows behind a number: which tickets (or calls, responses, ...) make up a KPI value.

A metric's builder returns one row per contributing item; when the rows carry an id column
(``ticket_id`` for ticket metrics), the same filters, range and period as the KPI query select
exactly the items behind its value. Point-in-time metrics (backlog) list the items open at the
bucket end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine import periods
from supportkpi.errors import InputError
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.registry import Metric
from supportkpi.metrics.selector import parse_selector
from supportkpi.query.filters import keep_filtered

if TYPE_CHECKING:
    from supportkpi.engine.backends import Backend
    from supportkpi.query.request import KpiRequest

ID_COLUMNS = ("ticket_id", "call_id", "response_id", "session_id", "customer_id")
MAX_PAGE_SIZE = 1000
#: The deepest page: a million pages of up to 1,000 rows keeps the offset a 64-bit number
#: on every engine (a larger one overflowed DuckDB's INT64 offset).
MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class Page:
    """One page of the rows behind a KPI value."""

    rows: pd.DataFrame
    total: int
    page: int
    page_size: int


def rows_behind(
    backend: Backend,
    query: KpiRequest,
    period: date | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page:
    """The items behind the value of ``query``'s one metric (in ``period`` when it has a grain)."""
    if len(query.metrics) != 1:
        raise InputError("name exactly one metric to list the rows behind it")
    if not 1 <= page <= MAX_PAGE or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(
            f"page must be between 1 and {MAX_PAGE:,} and page_size between 1 and {MAX_PAGE_SIZE}"
        )
    query.validate()
    sel = parse_selector(query.metrics[0])
    lo, hi = periods.range_bounds(query.start, query.end, query.tz)
    if period is not None:
        if not query.grain:
            raise InputError("a period needs a grain")
        start = periods.bucket_start(period, query.grain)
        p_lo, p_hi = periods.range_bounds(start, periods.next_bucket(start, query.grain), query.tz)
        assert p_lo is not None and p_hi is not None
        lo = p_lo if lo is None else max(lo, p_lo)
        hi = p_hi if hi is None else min(hi, p_hi)
        if hi <= lo:
            raise InputError(
                f"the period {start} ({query.grain}) is outside the range "
                f"{query.start or '…'} – {query.end or '…'}"
            )
    ctx = query.context(backend, lo, hi)
    kind = sel.metric.aggregation_kind
    if kind.row_list == "open":
        rows = _open_at(sel.metric, ctx, hi)
    elif kind.row_list is None:
        # The client must ask for another metric: a 4xx, not the server's failing (5xx).
        raise InputError(f"{sel.metric.id} is a {kind.name} of two tables; it has no row list")
    else:
        rows = sel.metric.build(ctx)
        if lo is not None:
            rows = rows.filter(rows.at >= lo)
        if hi is not None:
            rows = rows.filter(rows.at < hi)
    id_column = next((c for c in ID_COLUMNS if c in rows.columns), None)
    if id_column is None:
        raise InputError(f"{sel.metric.id} has no row list")
    rows = keep_filtered(rows, query.where)
    rows = kind.counted(rows)
    total = int(backend.execute(rows.aggregate(n=rows.count()))["n"].iloc[0])
    ordered = rows.order_by([ibis.desc(rows.at), rows[id_column]])
    frame = backend.execute(ordered.limit(page_size, offset=(page - 1) * page_size))
    frame = frame.rename(columns={"x": "value", "num": "counted"}).drop(
        columns=[c for c in ("den", "delta", "opened") if c in frame.columns]
    )
    if "at" in frame.columns:
        frame["at"] = pd.to_datetime(frame["at"], unit="s", utc=True)
    return Page(frame, total, page, page_size)


def _open_at(metric: Metric, ctx: MetricContext, end: int | None) -> ir.Table:
    """The items open at ``end``: a level's declared ``open_items``, or the open intervals
    the metric itself is built from."""
    if end is None:
        raise InputError("give a range end (or a period) to list the open tickets at that instant")
    items = metric.open_items or metric.build
    iv = items(ctx)
    open_now = iv.filter((iv.open_at < end) & (iv.close_at.isnull() | (iv.close_at >= end)))
    return open_now.mutate(
        at=open_now.since, x=(ibis.literal(end) - open_now.since).cast("float64")
    )
