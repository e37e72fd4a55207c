"""What a KPI's number rests on: the kinds of input it cannot do without (SPEC §6 ``note``).

A reply KPI computed on an event log with no message at all would call every ticket
unanswered and every first contact unresolved; a survey KPI without surveys of its kind, or
a call KPI without calls, has nothing to measure. Each metric declares the bases it needs
(``Metric.needs``); when the *whole source* has no row of one of them, the runner reports the
value as null with the basis's ``note``. A filter or range that selects no rows is not that
case: it is an ordinary empty result, and the value is null only because ``n`` is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ibis.expr.types as ir

from supportkpi.metrics.context import MetricContext


@dataclass(frozen=True)
class Basis:
    """One kind of input: present when any of the tables ``rows`` returns has a row."""

    id: str
    what: str  # for the catalogue: "message events (ticket_events of kind message)"
    note: str  # the row's note when it is missing: "no message events in the data"
    rows: Callable[[MetricContext], Sequence[ir.Table]]


def _messages(ctx: MetricContext) -> list[ir.Table]:
    e = ctx.table("ticket_events")
    return [e.filter(e.kind == "message")]


def _customer_messages(ctx: MetricContext) -> list[ir.Table]:
    e = ctx.table("ticket_events")
    return [e.filter((e.kind == "message") & (e.actor_type == "customer"))]


def _responses(ctx: MetricContext) -> list[ir.Table]:
    # Tickets without events fall back to their own first_response_at (SPEC §2).
    t = ctx.table("tickets")
    return [*_messages(ctx), t.filter(t.first_response_at.notnull())]


def _angry_signals(ctx: MetricContext) -> list[ir.Table]:
    t = ctx.table("tickets")
    return [*_customer_messages(ctx), t.filter(t.tags.notnull() & (t.tags.length() > 0))]


def _inbound_calls(ctx: MetricContext) -> list[ir.Table]:
    c = ctx.table("calls")
    return [c.filter(c.direction.isnull() | (c.direction == "inbound"))]


def _support_costs(ctx: MetricContext) -> list[ir.Table]:
    # The labor-cost fallback needs logged-in time of agents with an hourly cost.
    a = ctx.table("agent_activity")
    priced = ctx.table("agents")
    priced = priced.filter(priced.hourly_cost.notnull()).select(priced_id="agent_id")
    return [ctx.table("costs"), a.join(priced, a.agent_id == priced.priced_id)]


def _table(name: str) -> Callable[[MetricContext], list[ir.Table]]:
    return lambda ctx: [ctx.table(name)]


def surveys_of(*kinds: str) -> Basis:
    """Survey rows of one of ``kinds`` (sent or answered)."""
    names = " or ".join(kinds)

    def rows(ctx: MetricContext) -> list[ir.Table]:
        s = ctx.table("surveys")
        return [s.filter(s.kind.isin(list(kinds)))]

    return Basis(
        f"surveys:{','.join(kinds)}", f"{names} surveys", f"no {names} surveys in the data", rows
    )


MESSAGES = Basis(
    "messages",
    "message events (ticket_events of kind message)",
    "no message events in the data",
    _messages,
)
CUSTOMER_MESSAGES = Basis(
    "customer_messages",
    "customer messages (ticket_events of kind message by a customer)",
    "no customer messages in the data",
    _customer_messages,
)
RESPONSES = Basis(
    "responses",
    "message events, or tickets.first_response_at for tickets without events",
    "no message events or first_response_at in the data",
    _responses,
)
ANGRY_SIGNALS = Basis(
    "angry_signals",
    "customer messages or ticket tags",
    "no customer messages and no ticket tags in the data",
    _angry_signals,
)
CALLS = Basis("calls", "inbound calls", "no inbound calls in the data", _inbound_calls)
AGENT_ACTIVITY = Basis(
    "agent_activity",
    "agent_activity (log-in states)",
    "no agent_activity (log-in states) in the data",
    _table("agent_activity"),
)
KB_SESSIONS = Basis(
    "kb_sessions",
    "knowledge-base sessions (kb_sessions)",
    "no knowledge-base sessions in the data",
    _table("kb_sessions"),
)
CUSTOMERS = Basis("customers", "customers", "no customers in the data", _table("customers"))
ORDERS = Basis("orders", "orders", "no orders in the data", _table("orders"))
SUPPORT_COSTS = Basis(
    "support_costs",
    "costs, or agent_activity of agents with an hourly_cost",
    "no costs and no agent_activity of agents with an hourly_cost in the data",
    _support_costs,
)
