"""Ticket outcome and workload KPIs: volume, solves, backlog, FCR, reopens, escalations, ..."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.metrics.agent_time import logged_in_hours, with_team
from supportkpi.metrics.basis import AGENT_ACTIVITY, MESSAGES
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.registry import (
    TICKET_DIMENSIONS,
    Kind,
    Unit,
    register_count,
    register_cumulative,
    register_distribution,
    register_open_intervals,
    register_quotient,
    register_rate,
    register_sum,
)
from supportkpi.metrics.ticket_facts import (
    backlog_deltas,
    events,
    facts,
    open_intervals,
    tickets_base,
)

DIMS = TICKET_DIMENSIONS
#: Row columns: the dimensions and the ticket, so a number can be drilled into.
KEYS = ("ticket_id", *DIMS)
_OUTCOMES = "Tickets: outcomes and workload"


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0)


def _solved(ctx: MetricContext) -> ir.Table:
    """Tickets with a first solve, with their dating instant."""
    f = facts(ctx)
    f = f.filter(f.first_solved.notnull())
    return f.mutate(at=ctx.dated(f.first_solved, f.created))


def _rate(rows: ir.Table, num: ir.BooleanValue) -> ir.Table:
    return rows.select(*KEYS, "at", num=_flag(num), den=ibis.literal(1))


def _volume(ctx: MetricContext) -> ir.Table:
    # The keys and creation time are the ticket columns, as in `facts`; reading them from
    # the tickets spares a volume-only query building (and materialising) the event facts.
    t = tickets_base(ctx)
    return t.select(*KEYS, at=t.created)


def _tickets_solved(ctx: MetricContext) -> ir.Table:
    return _solved(ctx).select(*KEYS, "at")


def _backlog(ctx: MetricContext) -> ir.Table:
    d = backlog_deltas(ctx)
    return d.select(*KEYS, "at", "delta", "opened")


def _backlog_change(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    created = f.select(*KEYS, at=f.created, x=ibis.literal(1.0))
    solved = _solved(ctx).select(*KEYS, "at", x=ibis.literal(-1.0))
    return ibis.union(created, solved)


def _backlog_age(ctx: MetricContext) -> ir.Table:
    return open_intervals(ctx)


def _fcr(ctx: MetricContext) -> ir.Table:
    s = _solved(ctx)
    s = s.filter(s.has_events)
    never_reopened = s.reopens == 0
    variant = ctx.options.fcr
    if variant == "zendesk":
        return _rate(s, (s.agent_replies < 2) & never_reopened)
    if variant == "no_customer_followup":
        e = events(ctx)
        later = (
            e.filter(e.is_customer_public)
            .join(s.select("ticket_id", "first_response"), "ticket_id")
            .filter(lambda r: r.at > r.first_response)
            .select("ticket_id")
            .distinct()
            .mutate(followed_up=ibis.literal(True))
        )
        s = s.left_join(later, "ticket_id").drop("ticket_id_right")
        return _rate(s, s.followed_up.isnull() & never_reopened)
    return _rate(s, (s.agent_replies == 1) & never_reopened)


def _interactions(ctx: MetricContext) -> ir.Table:
    s = _solved(ctx)
    s = s.filter(s.has_events)
    return s.select(*KEYS, "at", x=(s.agent_replies + s.customer_messages).cast("float64"))


def _reopen_rows(ctx: MetricContext) -> ir.Table:
    s = _solved(ctx)
    return _rate(s, s.reopens > 0)


def _reopened(ctx: MetricContext) -> ir.Table:
    s = _solved(ctx)
    return s.filter(s.reopens > 0).select(*KEYS, "at")


def _escalation(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    return f.select(*KEYS, at=f.created, num=_flag(f.escalated), den=ibis.literal(1))


def _resolution_rate(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    solved = f.first_solved.notnull()
    if ctx.range_end is not None:
        solved = solved & (f.first_solved < ctx.range_end)
    return f.select(*KEYS, at=f.created, num=_flag(solved), den=ibis.literal(1))


def _repeat_flags(ctx: MetricContext) -> ir.Table:
    s = _solved(ctx)
    s = s.filter(s.customer_id.notnull())
    window_s = int(ctx.options.repeat_contact_days * 86400)
    others = facts(ctx).select(
        other_id="ticket_id", other_customer="customer_id", other_created="created"
    )
    solved = s.select("ticket_id", "customer_id", "first_solved")
    repeats = (
        solved.join(others, solved.customer_id == others.other_customer)
        .filter(
            lambda r: (
                (r.other_id != r.ticket_id)
                & (r.other_created > r.first_solved)
                & (r.other_created <= r.first_solved + window_s)
            )
        )
        .select("ticket_id")
        .distinct()
        .mutate(repeated=ibis.literal(True))
    )
    s = s.left_join(repeats, "ticket_id").drop("ticket_id_right")
    return s.mutate(repeated=s.repeated.fill_null(False))


def _repeat_contact(ctx: MetricContext) -> ir.Table:
    s = _repeat_flags(ctx)
    return _rate(s, s.repeated)


def _next_issue_avoidance(ctx: MetricContext) -> ir.Table:
    s = _repeat_flags(ctx)
    return _rate(s, ~s.repeated)


def _solved_per_hour(ctx: MetricContext) -> tuple[ir.Table, ir.Table]:
    s = _solved(ctx)
    solved = with_team(ctx, s.select(agent=s.solver, at=s.at, x=ibis.literal(1.0)))
    return solved, logged_in_hours(ctx)


register_count(
    "ticket_volume",
    "Ticket volume",
    _volume,
    "Tickets created, dated at creation (by channel: volume by channel).",
    family=_OUTCOMES,
    good=None,
    seeds=("001", "003"),
)
register_count(
    "tickets_solved",
    "Tickets solved",
    _tickets_solved,
    "Tickets reaching solved or closed for the first time, dated at that solve.",
    family=_OUTCOMES,
    good="higher",
)
register_cumulative(
    "backlog",
    "Backlog",
    _backlog,
    "Tickets not solved or closed at the end of each bucket (point in time). A reopened "
    "ticket is in the backlog again until it is solved again.",
    open_items=open_intervals,
    family=_OUTCOMES,
    good="lower",
    seeds=("001", "003", "004"),
)
register_sum(
    "backlog_change",
    "Backlog change",
    _backlog_change,
    "Tickets created minus tickets first solved in the bucket (seed 003's formula).",
    kind=Kind.DERIVED,
    family=_OUTCOMES,
    good="lower",
    seeds=("003",),
)
register_open_intervals(
    "backlog_age",
    "Backlog age",
    _backlog_age,
    "Age (now minus creation) of the tickets open at each bucket end. By default one row "
    "per band (0-1d, 1-3d, 3-7d, 7-14d, >14d) with the number of open tickets in it; "
    "with a stat (e.g. backlog_age:median) the age statistic over all open tickets.",
    family=_OUTCOMES,
    good="lower",
    seeds=("001", "004"),
    dimensions=(*DIMS, "age_band"),
)
register_rate(
    "fcr_rate",
    "First contact resolution rate",
    _fcr,
    "Solved tickets resolved at first contact / solved tickets (with events), dated at the "
    "first solve. Default one_touch: exactly one public agent reply and never reopened; "
    "zendesk: fewer than two agent replies and never reopened; no_customer_followup: no "
    "customer message after the first response and never reopened.",
    family=_OUTCOMES,
    good="higher",
    seeds=("000", "001", "002", "003", "004"),
    options=("fcr",),
    needs=(MESSAGES,),
)
register_distribution(
    "interactions_per_ticket",
    "Interactions per ticket",
    _interactions,
    "Public customer and agent messages per solved ticket, dated at the first solve.",
    unit=Unit.COUNT,
    default_stat="mean",
    family=_OUTCOMES,
    good="lower",
    seeds=("000", "001"),
    needs=(MESSAGES,),
)
register_rate(
    "reopen_rate",
    "Reopen rate",
    _reopen_rows,
    "Solved tickets later reopened / solved tickets, dated at the first solve.",
    family=_OUTCOMES,
    good="lower",
    seeds=("001",),
)
register_count(
    "reopens",
    "Reopened tickets",
    _reopened,
    "Solved tickets later reopened (the numerator of reopen_rate).",
    family=_OUTCOMES,
    good="lower",
    seeds=("001",),
)
register_rate(
    "escalation_rate",
    "Escalation rate",
    _escalation,
    "Tickets with an escalation / tickets created, dated at creation.",
    family=_OUTCOMES,
    good="lower",
    seeds=("000", "003"),
)
register_rate(
    "resolution_rate",
    "Resolution rate",
    _resolution_rate,
    "Of the tickets created in the bucket, the share solved before the report end.",
    family=_OUTCOMES,
    good="higher",
    seeds=("001",),
)
register_rate(
    "repeat_contact_rate",
    "Repeat contact rate",
    _repeat_contact,
    "Solved tickets of a known customer followed by a new ticket from the same customer "
    "within N days (repeat_contact_days, default 7) of the first solve / such solved tickets.",
    family=_OUTCOMES,
    good="lower",
    seeds=("001",),
    options=("repeat_contact_days",),
)
register_rate(
    "next_issue_avoidance",
    "Next issue avoidance",
    _next_issue_avoidance,
    "1 - repeat_contact_rate: solved tickets not followed by another ticket from the same "
    "customer within N days.",
    family=_OUTCOMES,
    good="higher",
    seeds=("001",),
    options=("repeat_contact_days",),
)
register_quotient(
    "tickets_solved_per_hour",
    "Tickets solved per logged-in hour",
    _solved_per_hour,
    "Tickets first solved by an agent / the agent's logged-in hours (agent_activity "
    "states other than offline, dated at their start). n is the tickets solved.",
    unit=Unit.PER_HOUR,
    family=_OUTCOMES,
    good="higher",
    seeds=("002",),
    dimensions=("agent", "team"),
    needs=(AGENT_ACTIVITY,),
)
