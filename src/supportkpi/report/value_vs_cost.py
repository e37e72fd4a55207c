"""The value-vs-cost view (seed 000, KPI 9): each customer's support load against its revenue.

One row per customer with a contact or an order in the range: ``customer_id``, ``segment``,
``tickets`` (created in the range), ``calls`` (answered inbound calls), ``contacts`` (their sum),
``support_cost`` (rounded to cents), ``revenue`` (orders placed in the range) and
``cost_to_revenue`` (null without revenue).

Support cost is attributed **evenly per contact**: the support costs of the range (the same
series as ``cost_per_conversation``: the ``costs`` table prorated by days, labor cost on days
it does not cover) divided by every contact of the range (tickets plus answered inbound
calls, including those of unknown customers), times the customer's contacts. Handle time is
only recorded for calls, so splitting by it would make a ticket look free; one price per
contact treats both channels alike and equals ``cost_per_conversation`` × contacts.

>>> import supportkpi                                        # doctest: +SKIP
>>> value_vs_cost(supportkpi.connect("demo.duckdb"), start="2024-01-01", end="2024-04-01")
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine import periods
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.costs import support_costs
from supportkpi.metrics.ticket_facts import tickets_base
from supportkpi.query.session import Session

COLUMNS = (
    "customer_id",
    "segment",
    "tickets",
    "calls",
    "contacts",
    "support_cost",
    "revenue",
    "cost_to_revenue",
)


def value_vs_cost(
    con: Session,
    start: str | date | None = None,
    end: str | date | None = None,
    tz: str | None = None,
) -> pd.DataFrame:
    """Per customer: tickets, calls, attributed support cost, revenue and segment.

    ``start``/``end`` are local dates of the half-open range ``[start, end)`` in ``tz`` (the
    connection's timezone by default); without them, everything. Sorted by support cost
    (highest first), then customer.
    """
    tz = tz or con.default_tz
    lo, hi = periods.range_bounds(
        periods.parse_date(start, "from"), periods.parse_date(end, "to"), tz
    )
    ctx = MetricContext(backend=con.backend, options=con.default_options, range_start=lo,
                        range_end=hi, tz=tz)  # fmt: skip
    contacts = _contacts(ctx)
    totals = con.backend.execute(
        _in_range(support_costs(ctx), lo, hi).aggregate(cost=lambda t: t.x.sum())
    )
    total_cost = _number(totals["cost"].iloc[0])
    n_contacts = int(con.backend.execute(contacts.aggregate(n=contacts.count()))["n"].iloc[0])
    per_contact = total_cost / n_contacts if n_contacts else 0.0

    known = contacts.filter(contacts.customer_id.notnull())
    load = known.group_by("customer_id").aggregate(
        tickets=known.is_ticket.sum(), calls=(1 - known.is_ticket).sum()
    )
    o = ctx.table("orders")
    orders = _in_range(o.select("customer_id", at=ctx.epoch(o.ordered_at), amount="amount"), lo, hi)
    revenue = orders.group_by("customer_id").aggregate(revenue=orders.amount.sum())
    joined = load.outer_join(revenue, load.customer_id == revenue.customer_id)
    joined = joined.select(
        customer_id=ibis.coalesce(joined.customer_id, joined.customer_id_right),
        tickets=joined.tickets.fill_null(0),
        calls=joined.calls.fill_null(0),
        revenue=joined.revenue.fill_null(0.0).cast("float64"),
    )
    # view(): a projection of a join would otherwise extend that join (an Ibis rule).
    joined = joined.view()
    customers = ctx.table("customers").select(c_id="customer_id", segment="segment")
    joined = joined.left_join(customers, joined.customer_id == customers.c_id).drop("c_id")
    contacts_n = joined.tickets + joined.calls
    # Money in cents: the daily shares of a cost leave float dust (999.9999... for 1,000).
    cost = (contacts_n.cast("float64") * ibis.literal(per_contact, "float64")).round(2)
    view = joined.mutate(
        contacts=contacts_n,
        support_cost=cost,
        cost_to_revenue=cost / joined.revenue.nullif(0.0),
    )
    frame = con.backend.execute(view.select(*COLUMNS))
    frame = frame.sort_values(["support_cost", "customer_id"], ascending=[False, True])
    for col in ("tickets", "calls", "contacts"):
        frame[col] = frame[col].astype("int64")
    frame["cost_to_revenue"] = frame["cost_to_revenue"].astype("float64")
    return frame.reset_index(drop=True)


def _contacts(ctx: MetricContext) -> ir.Table:
    """Tickets (at creation) and answered inbound calls (at the answer) in the range."""
    t = tickets_base(ctx)
    tickets = t.select("customer_id", at=t.created, is_ticket=ibis.literal(1, "int64"))
    c = ctx.table("calls")
    answered = c.filter(c.answered_at.notnull() & (c.direction.fill_null("inbound") == "inbound"))
    calls = answered.select(
        "customer_id", at=ctx.epoch(answered.answered_at), is_ticket=ibis.literal(0, "int64")
    )
    return _in_range(ibis.union(tickets, calls), ctx.range_start, ctx.range_end)


def _in_range(frame: ir.Table, lo: int | None, hi: int | None) -> ir.Table:
    if lo is not None:
        frame = frame.filter(frame.at >= lo)
    if hi is not None:
        frame = frame.filter(frame.at < hi)
    return frame


def _number(value: Any) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)
