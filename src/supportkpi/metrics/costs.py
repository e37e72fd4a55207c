"""Cost KPIs: cost per resolution, cost per conversation, support cost to revenue.

*Support costs* are a daily series:

- each ``costs`` row covers the days ``period_start`` … ``period_end`` (inclusive) and is spread
  evenly over them (``amount / days``), so a cost period straddling the report range or a
  bucket counts only for its days inside it (prorated by days); each day's share is dated at
  the local midnight of that day in the report timezone;
- on days that no ``costs`` row covers, the labor cost is used instead: the agents' logged-in
  hours × their ``hourly_cost`` (``agent_activity``, dated at each interval's start).

The explosion into days joins each cost row with a small table of the dates its periods span
(built in Python, like the bucketing table of :mod:`supportkpi.engine.periods`): a range join
on dates that DuckDB and Spark both run, with no engine-specific date arithmetic.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import ibis
import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine import periods
from supportkpi.engine.periods import with_period
from supportkpi.metrics.agent_time import labor_cost
from supportkpi.metrics.basis import ORDERS, SUPPORT_COSTS
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.registry import Unit, register_quotient
from supportkpi.metrics.ticket_facts import facts, tickets_base

FAMILY = "Cost, revenue and customers"


def _cost_span(ctx: MetricContext) -> tuple[date, date] | None:
    c = ctx.table("costs")
    row = ctx.backend.execute(c.aggregate(lo=c.period_start.min(), hi=c.period_end.max()))
    if row.empty or pd.isna(row["lo"].iloc[0]) or pd.isna(row["hi"].iloc[0]):
        return None
    return pd.Timestamp(row["lo"].iloc[0]).date(), pd.Timestamp(row["hi"].iloc[0]).date()


@lru_cache(maxsize=32)
def _days(first: date, last: date, tz_name: str) -> ir.Table:
    """Dates ``first`` … ``last`` with their local day number and local midnight (one table
    per span: the same name in every statement, so a statement is compiled once per shape)."""
    tz = periods.zone(tz_name)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    frame = pd.DataFrame(
        {
            "day": days,
            "day_key": [periods.day_number(d) for d in days],
            "day_at": [periods.local_midnight_epoch(d, tz) for d in days],
        }
    )
    return ibis.memtable(frame.astype({"day_key": "int64", "day_at": "int64"}))


def cost_days(ctx: MetricContext) -> ir.Table | None:
    """Rows ``day_key, at, x``: each cost row's daily share; None when ``costs`` is empty."""

    def build() -> ir.Table | None:
        span = _cost_span(ctx)
        if span is None:
            return None
        c = ctx.table("costs")
        c = c.filter(c.period_end >= c.period_start)
        d = _days(*span, ctx.tz)
        joined = c.join(d, [d.day >= c.period_start, d.day <= c.period_end])
        per_row = ibis.window(group_by=[joined.period_start, joined.period_end, joined.category])
        spread = joined.mutate(days=joined.day.count().over(per_row))
        return spread.select(
            "day_key", at=spread.day_at, x=spread.amount.cast("float64") / spread.days
        )

    return ctx.cached("cost_days", build)


def support_costs(ctx: MetricContext) -> ir.Table:
    """Rows ``at, x``: the costs table's daily shares, and labor cost on days it leaves out."""
    labor = labor_cost(ctx).select("at", "x")
    days = cost_days(ctx)
    if days is None:
        return labor
    covered = days.select(covered_key="day_key").distinct()
    by_day = _local_day(ctx, labor)
    uncovered = by_day.left_join(covered, by_day.day_key == covered.covered_key)
    uncovered = uncovered.filter(uncovered.covered_key.isnull()).select("at", "x")
    return ibis.union(days.select("at", "x"), uncovered)


def _local_day(ctx: MetricContext, rows: ir.Table) -> ir.Table:
    """Add ``day_key``: the local day number (report timezone) of ``at``."""
    return with_period(rows, ctx.tz, "day").rename(day_key="period")


def _solved(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    f = f.filter(f.first_solved.notnull())
    return f.select(at=ctx.dated(f.first_solved, f.created), x=ibis.literal(1.0))


def conversations(ctx: MetricContext) -> ir.Table:
    """Rows ``at, x = 1``: tickets (at creation) and answered inbound calls (at the answer)."""
    t = tickets_base(ctx)
    tickets = t.select(at=t.created, x=ibis.literal(1.0))
    calls = ctx.table("calls")
    answered = calls.filter(
        calls.answered_at.notnull() & (calls.direction.fill_null("inbound") == "inbound")
    )
    return ibis.union(
        tickets, answered.select(at=ctx.epoch(answered.answered_at), x=ibis.literal(1.0))
    )


def _revenue(ctx: MetricContext) -> ir.Table:
    o = ctx.table("orders")
    return o.select(at=ctx.epoch(o.ordered_at), x=o.amount.cast("float64"))


_SUPPORT_COSTS = (
    "Support costs: each costs row spread evenly over its days (period_start..period_end "
    "inclusive, so partly covered periods are prorated by days); on days no costs row covers, "
    "the labor cost (logged-in hours x hourly_cost)."
)

register_quotient(
    "cost_per_resolution",
    "Cost per resolution",
    lambda ctx: (support_costs(ctx), _solved(ctx)),
    "Support costs in the period / tickets first solved in it (n). " + _SUPPORT_COSTS,
    unit=Unit.MONEY,
    n_counts="denominator",
    family=FAMILY,
    good="lower",
    dimensions=(),
    seeds=("002", "003"),
    needs=(SUPPORT_COSTS,),
)
register_quotient(
    "cost_per_conversation",
    "Cost per conversation",
    lambda ctx: (support_costs(ctx), conversations(ctx)),
    "Support costs in the period / conversations handled: tickets created plus "
    "answered inbound calls (a call counts even when it belongs to a ticket); n is the "
    "conversations. " + _SUPPORT_COSTS,
    unit=Unit.MONEY,
    n_counts="denominator",
    family=FAMILY,
    good="lower",
    dimensions=(),
    seeds=("002",),
    needs=(SUPPORT_COSTS,),
)
register_quotient(
    "support_cost_to_revenue",
    "Support cost to revenue",
    lambda ctx: (support_costs(ctx), _revenue(ctx)),
    "Support costs in the period / revenue (sum of orders.amount ordered in it; n is "
    "the orders). " + _SUPPORT_COSTS,
    unit=Unit.RATIO,
    n_counts="denominator",
    family=FAMILY,
    good="lower",
    dimensions=(),
    seeds=("003",),
    needs=(SUPPORT_COSTS, ORDERS),
)
