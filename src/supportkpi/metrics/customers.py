"""Customer KPIs: retention, churn, repurchase, lifetime value, conversion, cases per customer.

Retention, churn and lifetime value are *period* metrics: with a grain each bucket is its own
period, without one the whole range ``[from, to)`` is. A missing ``from``/``to`` is the first or
last instant of the data these KPIs read: customers (created, churned) and orders, and for
cases per customer the tickets too. For a period ``[S, E)``:

- a customer *at period start* was created before S (``created_at < S``) and had not churned
  by then (``churned_at`` null or ``>= S``); customers who joined during the period are not in
  the base;
- *retained*: still a customer at the period end (``churned_at`` null or ``>= E``);
- *churned in the period*: ``S <= churned_at < E``.

Rows of the base are dated at S, so each period's rows fall into its own bucket. Without
``from`` the first period starts at the first customer, whom nobody precedes: such a base is
empty, and the row's note says to give ``from`` or a grain.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.metrics.basis import CUSTOMERS, ORDERS
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.query_periods import data_span, in_range, period_bounds, period_key
from supportkpi.metrics.registry import TICKET_DIMENSIONS, Unit, register_quotient, register_rate
from supportkpi.metrics.ticket_facts import tickets_base

FAMILY = "Cost, revenue and customers"
TICKET_DIMS = TICKET_DIMENSIONS


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0)


def customers(ctx: MetricContext) -> ir.Table:
    """Customers with ``created`` and ``churned`` as epoch seconds."""

    def build() -> ir.Table:
        c = ctx.table("customers")
        return c.select(
            "customer_id",
            "segment",
            created=ctx.epoch(c.created_at),
            churned=ctx.epoch(c.churned_at),
        )

    return ctx.cached("customers", build)


def customer_periods(ctx: MetricContext, with_tickets: bool = False) -> ir.Table:
    """The query's periods ``period_key, start_s, end_s`` over the customers' history.

    Without a range start or end, the span of the customers and their orders (and tickets,
    for ``with_tickets``) fills it in, so that no order falls outside every period.
    """
    key = "customers+tickets" if with_tickets else "customers"
    return period_bounds(ctx, key, lambda: _history_span(ctx, with_tickets))


def _history_span(ctx: MetricContext, with_tickets: bool) -> tuple[int, int] | None:
    o = ctx.table("orders")
    spans = [
        data_span(ctx, customers(ctx), "created", "churned"),
        data_span(ctx, o.select(at=ctx.epoch(o.ordered_at)), "at"),
    ]
    if with_tickets:
        spans.append(data_span(ctx, tickets_base(ctx), "created"))
    found = [s for s in spans if s is not None]
    if not found:
        return None
    return min(lo for lo, _ in found), max(hi for _, hi in found)


def at_period_start(ctx: MetricContext) -> ir.Table:
    """One row per period and customer at its start, with ``retained`` and ``churned_in``."""

    def build() -> ir.Table:
        c = customers(ctx)
        p = customer_periods(ctx)
        base = c.cross_join(p).filter(
            lambda r: (r.created < r.start_s) & (r.churned.isnull() | (r.churned >= r.start_s))
        )
        return base.mutate(
            at=base.start_s,
            retained=base.churned.isnull() | (base.churned >= base.end_s),
            churned_in=base.churned.notnull() & (base.churned < base.end_s),
        )

    return ctx.cached("customers_at_start", build)


def _retention(ctx: MetricContext) -> ir.Table:
    b = at_period_start(ctx)
    return b.select("customer_id", "segment", "at", num=_flag(b.retained), den=ibis.literal(1))


def _churn(ctx: MetricContext) -> ir.Table:
    b = at_period_start(ctx)
    return b.select("customer_id", "segment", "at", num=_flag(b.churned_in), den=ibis.literal(1))


def orders(ctx: MetricContext) -> ir.Table:
    """Orders with ``at`` (epoch seconds), ``amount`` and the customer's segment."""
    o = ctx.table("orders")
    rows = o.select("order_id", "customer_id", "amount", at=ctx.epoch(o.ordered_at))
    c = ctx.table("customers").select(c_id="customer_id", segment="segment")
    joined = rows.left_join(c, rows.customer_id == c.c_id)
    return joined.drop("c_id")


def _repurchase(ctx: MetricContext) -> ir.Table:
    o = period_key(ctx, in_range(ctx, orders(ctx)))
    per_customer = o.group_by(["period_key", "customer_id", "segment"]).aggregate(
        at=o.at.min(), n_orders=o.count()
    )
    return per_customer.select(
        "customer_id",
        "segment",
        "at",
        num=_flag(per_customer.n_orders >= 2),
        den=ibis.literal(1),
    )


def _lifetime_value(ctx: MetricContext) -> tuple[ir.Table, ir.Table]:
    base = at_period_start(ctx)
    o = period_key(ctx, in_range(ctx, orders(ctx)))
    members = base.select(m_id="customer_id", m_key="period_key")
    revenue = o.join(members, [o.customer_id == members.m_id, o.period_key == members.m_key])
    revenue = revenue.select("segment", "at", x=revenue.amount.cast("float64"))
    churned = base.filter(base.churned_in).select("segment", "at", x=ibis.literal(1.0))
    return revenue, churned


def _conversion(ctx: MetricContext) -> ir.Table:
    t = tickets_base(ctx)
    t = t.filter(t.customer_id.notnull())
    window_s = int(ctx.options.conversion_days * 86400)
    o = ctx.table("orders")
    o = o.select(o_customer="customer_id", o_at=ctx.epoch(o.ordered_at))
    asked = t.select("ticket_id", "customer_id", "created")
    converted = (
        asked.join(o, asked.customer_id == o.o_customer)
        .filter(lambda r: (r.o_at >= r.created) & (r.o_at <= r.created + window_s))
        .select("ticket_id")
        .distinct()
        .mutate(converted=ibis.literal(True))
    )
    t = t.left_join(converted, "ticket_id").drop("ticket_id_right")
    return t.select(
        "ticket_id",
        *TICKET_DIMS,
        at=t.created,
        num=_flag(t.converted.fill_null(False)),
        den=ibis.literal(1),
    )


def _cases_per_customer(ctx: MetricContext) -> tuple[ir.Table, ir.Table]:
    t = tickets_base(ctx)
    t = t.filter(t.customer_id.notnull())
    cases = t.select("segment", at=t.created, x=ibis.literal(1.0))
    c = customers(ctx)
    p = customer_periods(ctx, with_tickets=True)
    active = c.cross_join(p).filter(
        lambda r: (r.created < r.end_s) & (r.churned.isnull() | (r.churned >= r.start_s))
    )
    return cases, active.select("segment", at=active.start_s, x=ibis.literal(1.0))


_EMPTY_BASE = (
    "no customers at the period start (a range without --from starts at the first customer: "
    "give --from or a grain)"
)
CUSTOMER_DIMS = ("segment",)

register_rate(
    "customer_retention_rate",
    "Customer retention rate",
    _retention,
    "Customers at the period start (created before it, not churned before it) still "
    "customers at the period end (churned_at null or at/after the end) / customers at "
    "the period start. Each grain bucket is its own period, else the whole range; "
    "customers who joined during the period are not counted.",
    family=FAMILY,
    good="higher",
    dimensions=CUSTOMER_DIMS,
    needs=(CUSTOMERS,),
    null_note=_EMPTY_BASE,
    seeds=("001", "002", "003"),
)
register_rate(
    "customer_churn_rate",
    "Customer churn rate",
    _churn,
    "Customers at the period start who churned during the period (start <= churned_at "
    "< end) / customers at the period start; 1 - customer_retention_rate.",
    family=FAMILY,
    good="lower",
    dimensions=CUSTOMER_DIMS,
    needs=(CUSTOMERS,),
    null_note=_EMPTY_BASE,
    seeds=("001",),
)
register_rate(
    "repurchase_rate",
    "Repurchase rate",
    _repurchase,
    "Customers with 2 or more orders in the period (each bucket, or the whole range) / "
    "customers with at least one order in it. Dated at the customer's first order in "
    "the period.",
    family=FAMILY,
    good="higher",
    dimensions=CUSTOMER_DIMS,
    needs=(ORDERS,),
    seeds=("001",),
)
register_quotient(
    "customer_lifetime_value",
    "Customer lifetime value (CLV)",
    _lifetime_value,
    "Average order value x orders per customer per year x lifespan in years, over the "
    "customers at the period start (see customer_retention_rate): average order value "
    "= their revenue in the period / their orders; orders per customer per year = "
    "their orders / their number / the period in years; lifespan = 1 / annual churn "
    "rate, the annual churn rate being the period's churn rate / the period in years. "
    "This reduces to: their revenue in the period / how many of them churned in it. "
    "Null when nobody churned (the lifespan is not observed). n is their orders.",
    unit=Unit.MONEY,
    family=FAMILY,
    good="higher",
    dimensions=CUSTOMER_DIMS,
    needs=(CUSTOMERS, ORDERS),
    null_note=(
        "nobody churned among the customers at the period start, or there were none, so "
        "the lifespan is not observed"
    ),
    seeds=("002", "003"),
)
register_rate(
    "conversion_rate",
    "Conversion rate",
    _conversion,
    "Tickets of a known customer followed by an order from that customer within N days "
    "(conversion_days, default 7) of the ticket's creation (creation <= ordered_at <= "
    "creation + N days) / tickets of a known customer, dated at creation.",
    family=FAMILY,
    good="higher",
    needs=(ORDERS,),
    seeds=("002",),
    options=("conversion_days",),
)
register_quotient(
    "cases_per_customer",
    "Cases per customer",
    _cases_per_customer,
    "Tickets of known customers created in the period / customers active at some time "
    "in the period (created before its end, not churned before its start). Per "
    "customer, beside revenue and support cost: `supportkpi customers` (the "
    "value-vs-cost view). n is the tickets.",
    unit=Unit.COUNT,
    family=FAMILY,
    good=None,
    dimensions=CUSTOMER_DIMS,
    needs=(CUSTOMERS,),
    seeds=("000",),
)
