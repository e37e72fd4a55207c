"""Ticket speed KPIs: first response, response, resolution and social response times."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.calendar.business import with_business_seconds
from supportkpi.metrics.basis import MESSAGES, RESPONSES
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.registry import (
    TICKET_DIMENSIONS,
    register_count_where,
    register_distribution,
)
from supportkpi.metrics.ticket_facts import facts, response_runs

DIMS = TICKET_DIMENSIONS


def duration_rows(
    f: ir.Table, ctx: MetricContext, start: ir.IntegerValue, end: ir.IntegerValue
) -> ir.Table:
    """Rows ``at, <dims>, x`` for a duration ``end - start``; negative ones are left out.

    With ``business_hours`` the duration counts only the open hours of the ticket's team
    calendar (see :mod:`supportkpi.calendar.business`).
    """
    rows = f.filter(end.notnull() & start.notnull() & (end >= start))
    rows = rows.select(
        "ticket_id", *DIMS, at=ctx.dated(end, f.created).name("at"), _start=start, _end=end
    )
    if ctx.business is not None:
        rows = with_business_seconds(rows, ctx.business, "_start", "_end", team="team")
        return rows.drop("_start", "_end")
    return rows.mutate(x=(rows._end - rows._start).cast("float64")).drop("_start", "_end")


def _first_response(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    f = f.filter(~f.agent_initiated)
    return duration_rows(f, ctx, f.start, f.first_response)


def _social_response(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    f = f.filter(~f.agent_initiated & (f.channel == "social"))
    return duration_rows(f, ctx, f.start, f.first_response)


def _resolution(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    return duration_rows(f, ctx, f.created, f.last_solved)


def _first_resolution(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    return duration_rows(f, ctx, f.created, f.first_solved)


def _response(ctx: MetricContext) -> ir.Table:
    runs = response_runs(ctx)
    f = facts(ctx).select(*DIMS, "ticket_id", "created")
    r = runs.join(f, "ticket_id")
    return duration_rows(r, ctx, r.run_start, r.reply_at)


def _unanswered(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    awaiting = f.filter(~f.agent_initiated)
    return awaiting.select(
        "ticket_id",
        *DIMS,
        at=awaiting.created,
        num=ibis.ifelse(awaiting.first_response.isnull(), 1, 0),
        den=ibis.literal(1),
    )


FAMILY = "Tickets: speed"

register_distribution(
    "first_response_time",
    "First response time",
    _first_response,
    "Time from the first customer message (or ticket creation when none is recorded) to "
    "the first later public agent message. Bot messages and private notes do not count. "
    "Tickets never answered are left out (see unanswered_tickets), never zero; "
    "agent-initiated tickets await no response. Dated at the first response.",
    family=FAMILY,
    good="lower",
    default_stat="median",
    business_hours=True,
    seeds=("000", "001", "002", "003"),
    options=("include_bots",),
    needs=(RESPONSES,),
)
register_distribution(
    "response_time",
    "Response time (every reply)",
    _response,
    "For every run of consecutive customer messages, the time from the run's first "
    "message to the next public agent message (the average response time across a "
    "conversation). Dated at the reply.",
    family=FAMILY,
    good="lower",
    default_stat="median",
    business_hours=True,
    seeds=("001",),
    needs=(MESSAGES,),
)
register_distribution(
    "resolution_time",
    "Full resolution time",
    _resolution,
    "Time from ticket creation to its last solve, for tickets solved now (a reopened "
    "ticket counts once it is solved again). Dated at the last solve.",
    family=FAMILY,
    good="lower",
    default_stat="median",
    business_hours=True,
    seeds=("000", "001", "002", "003", "004"),
)
register_distribution(
    "first_resolution_time",
    "First resolution time",
    _first_resolution,
    "Time from ticket creation to its first solve. Dated at the first solve.",
    family=FAMILY,
    good="lower",
    default_stat="median",
    business_hours=True,
    seeds=("000", "001", "002", "003", "004"),
)
register_distribution(
    "social_response_time",
    "Social media response time",
    _social_response,
    "first_response_time for tickets on the channel 'social'.",
    family=FAMILY,
    good="lower",
    default_stat="median",
    business_hours=True,
    seeds=("001", "003"),
    needs=(RESPONSES,),
)
register_count_where(
    "unanswered_tickets",
    "Unanswered tickets",
    _unanswered,
    "Tickets awaiting a first response that have no agent response yet, dated at "
    "creation. The value is the count; n is the tickets awaiting a first response.",
    family=FAMILY,
    good="lower",
    needs=(RESPONSES,),
)
