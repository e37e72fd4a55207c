"""Revenue, costs and self-service: orders, monthly support costs, knowledge-base sessions."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa

from supportkpi.demo import parameters as p
from supportkpi.demo.activity import Shifts
from supportkpi.demo.clock import DAY, HOUR, YEAR, Clock, epoch
from supportkpi.demo.columns import canonical_table, ids, nullable, pick, timestamps
from supportkpi.demo.people import Customers, Roster
from supportkpi.demo.tickets import TicketDraft


def orders_table(
    rng: np.random.Generator, clock: Clock, customers: Customers, draft: TicketDraft
) -> pa.Table:
    """Orders over each customer's life in the window, plus some orders soon after a ticket."""
    since = np.maximum(customers.created, clock.start)
    until = np.minimum(customers.churned, clock.end)
    years = np.maximum(until - since, 0) / YEAR
    rate = np.asarray(p.SEGMENT_ORDERS_PER_YEAR)[customers.segment]
    per_customer = rng.poisson(rate * years)
    buyer = np.repeat(np.arange(len(customers)), per_customer)
    span = (until - since)[buyer]
    ordered = since[buyer] + (rng.random(len(buyer)) * span).astype(np.int64)

    # A ticket sometimes ends in a purchase (support-driven conversion).
    asked = np.flatnonzero(
        (draft.customer >= 0) & (rng.random(len(draft)) < p.ORDER_AFTER_TICKET_SHARE)
    )
    after = draft.created[asked] + rng.integers(HOUR, 7 * DAY, size=len(asked))
    ok = customers.alive(draft.customer[asked], after) & (after < clock.end)
    buyer = np.concatenate([buyer, draft.customer[asked][ok]])
    ordered = np.concatenate([ordered, after[ok]])

    order = np.argsort(ordered, kind="stable")
    buyer, ordered = buyer[order], ordered[order]
    median = np.asarray(p.SEGMENT_ORDER_MEDIAN)[customers.segment[buyer]]
    amount = np.round(rng.lognormal(np.log(median), 0.8), 2)
    return canonical_table(
        "orders",
        {
            "order_id": ids("O", len(buyer), 7),
            "customer_id": pick(customers.ids, buyer),
            "ordered_at": timestamps(ordered),
            "amount": pa.array(amount),
        },
    )


def costs_table(clock: Clock, shifts: Shifts, roster: Roster) -> pa.Table:
    """Monthly labor (paid shift hours × hourly cost), tooling and overhead."""
    bounds = clock.month_starts()
    edges = np.array([epoch(day) for day in bounds])
    month = np.searchsorted(edges, shifts.start, side="right") - 1
    paid = shifts.length / HOUR * roster.hourly_cost[shifts.agent]
    labor = np.bincount(month, weights=paid, minlength=len(bounds) - 1)[: len(bounds) - 1]
    agents = np.array([len(np.unique(shifts.agent[month == m])) for m in range(len(bounds) - 1)])
    tooling = p.TOOLING_FIXED + p.TOOLING_PER_AGENT * agents
    overhead = p.OVERHEAD_FIXED + p.OVERHEAD_SHARE_OF_LABOR * labor
    # Periods are clipped to the window; period_end is inclusive.
    starts = [max(day, clock.first_day) for day in bounds[:-1]]
    ends = [min(day - timedelta(days=1), clock.last_day) for day in bounds[1:]]
    categories = ("labor", "tooling", "overhead")
    amounts = np.round(np.stack([labor, tooling, overhead], axis=1), 2).ravel()
    return canonical_table(
        "costs",
        {
            "period_start": pa.array([d for d in starts for _ in categories], pa.date32()),
            "period_end": pa.array([d for d in ends for _ in categories], pa.date32()),
            "amount": pa.array(amounts),
            "category": pa.array(list(categories) * len(starts), pa.string()),
        },
    )


def kb_sessions_table(
    rng: np.random.Generator, clock: Clock, customers: Customers, draft: TicketDraft
) -> pa.Table:
    """Knowledge-base sessions; some are followed within a day by a ticket (self-service failed)."""
    count = max(1, round(len(draft) * p.KB_SESSIONS_PER_TICKET))
    # Self-service is used around the clock: a flatter profile than the tickets'.
    at = clock.sample_instants(rng, count, clock.arrival_intensity() ** 0.6)
    known = rng.random(count) < p.KB_KNOWN_CUSTOMER_SHARE
    customer = np.full(count, -1, np.int32)
    customer[known] = customers.pick(rng, at[known], weighted=False)
    helpful_code = rng.choice(3, size=count, p=[0.45, 0.20, 0.35])  # yes, no, not rated

    # Failed self-service: the customer read an article, then opened a ticket within 24 h.
    before = np.flatnonzero(
        (draft.customer >= 0) & (rng.random(len(draft)) < p.KB_BEFORE_TICKET_SHARE)
    )
    lead = (
        np.minimum(rng.lognormal(np.log(40 * 60), 1.0, len(before)), 23 * HOUR).astype(np.int64)
        + 60
    )
    failed_at = draft.created[before] - lead
    ok = (failed_at >= clock.start) & customers.alive(draft.customer[before], failed_at)
    before, failed_at = before[ok], failed_at[ok]
    at = np.concatenate([at, failed_at])
    customer = np.concatenate([customer, draft.customer[before]])
    helpful_code = np.concatenate(
        [helpful_code, rng.choice(3, size=len(before), p=[0.05, 0.70, 0.25])]
    )

    order = np.argsort(at, kind="stable")
    at, customer, helpful_code = at[order], customer[order], helpful_code[order]
    # Article popularity is Zipf-like: a few articles get most views.
    popularity = 1.0 / np.arange(1, p.KB_ARTICLES + 1)
    article = rng.choice(p.KB_ARTICLES, size=len(at), p=popularity / popularity.sum())
    return canonical_table(
        "kb_sessions",
        {
            "session_id": ids("KB", len(at), 7),
            "at": timestamps(at),
            "customer_id": pick(customers.ids, customer),
            "article_id": pick(ids("ART", p.KB_ARTICLES, 4), article),
            "helpful": nullable(helpful_code == 0, helpful_code < 2, pa.bool_()),
        },
    )
