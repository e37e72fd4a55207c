"""Per-ticket facts derived from ``ticket_events``, with the ticket columns as the fallback.

See ``docs/ticket-kpis.md`` for the exact semantics. Every instant is an epoch-seconds integer.
Event order inside a ticket is ``at``, then ``event_id`` (never the engine's row order).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.engine.stored_facts import FactSpec
from supportkpi.metrics.context import MetricContext
from supportkpi.schema import SOLVED_STATUSES
from supportkpi.schema.tables import TICKET_STATUSES

_SOLVED = list(SOLVED_STATUSES)
#: The version of the definitions below: raise it with any change to what a fact holds, so
#: that facts stored by an older version are rebuilt instead of read.
FACTS_VERSION = 1


def facts_spec(ctx: MetricContext) -> FactSpec:
    """The stored form of :func:`facts`: it depends on one option, whether bots reply."""
    return FactSpec("tickets", FACTS_VERSION, (("include_bots", ctx.options.include_bots),))


def status_events_spec(ctx: MetricContext) -> FactSpec:
    """The stored form of the status events (no option changes them)."""
    return FactSpec("status_events", FACTS_VERSION)


def backlog_deltas_spec(ctx: MetricContext) -> FactSpec:
    """The stored form of the backlog's deltas (they use no fact an option changes)."""
    return FactSpec("backlog_deltas", FACTS_VERSION)


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0)


def events(ctx: MetricContext) -> ir.Table:
    """Ticket events with epoch times and the message flags every ticket metric uses."""

    def build() -> ir.Table:
        e = ctx.table("ticket_events")
        public = e.public.fill_null(True)
        is_message = e.kind == "message"
        agent_reply = is_message & (e.actor_type == "agent") & public
        if ctx.options.include_bots:
            agent_reply = agent_reply | (is_message & (e.actor_type == "bot") & public)
        return e.select(
            "ticket_id",
            "event_id",
            "kind",
            "status",
            "actor_type",
            "actor_id",
            at=ctx.epoch(e.at),
            is_customer=is_message & (e.actor_type == "customer"),
            is_customer_public=is_message & (e.actor_type == "customer") & public,
            is_agent_reply=agent_reply,
        )

    return ctx.cached("events", build)


def tickets_base(ctx: MetricContext) -> ir.Table:
    """Tickets with epoch times and the query dimensions (segment from customers)."""

    def build() -> ir.Table:
        t = ctx.table("tickets")
        c = ctx.table("customers").select(
            cust_id=ctx.table("customers").customer_id, segment=ctx.table("customers").segment
        )
        base = t.select(
            "ticket_id",
            "channel",
            "team",
            "priority",
            "customer_id",
            agent=t.assignee_id,
            created=ctx.epoch(t.created_at),
            fb_first_response=ctx.epoch(t.first_response_at),
            # A help-desk export often has only a close time (status "closed", closed_at) for
            # tickets that were never marked solved: closing is the solve then.
            fb_solved=ctx.epoch(ibis.coalesce(t.solved_at, t.closed_at)),
            fb_closed_status=t.status.isin(_SOLVED).fill_null(False),
            fb_reopens=t.reopens.fill_null(0),
            fb_escalated=t.escalated.fill_null(False),
        )
        joined = base.left_join(c, base.customer_id == c.cust_id)
        return joined.drop("cust_id")

    return ctx.cached("tickets_base", build)


def status_events(ctx: MetricContext) -> ir.Table:
    """Status events with the previous status and the solve/reopen transitions."""

    def build() -> ir.Table:
        e = events(ctx)
        st = e.filter(e.kind == "status")
        # One ordering for both lag and lead, so the engine sorts once. Ties in the same
        # second are broken by the status's place in a ticket's life (a small integer, far
        # cheaper to sort than the event id, and as deterministic).
        rank = ibis.cases(
            *[(st.status == s, i) for i, s in enumerate(TICKET_STATUSES)],
            else_=len(TICKET_STATUSES),
        )
        order = ibis.window(group_by=st.ticket_id, order_by=[st.at, rank])
        prev_solved = st.status.lag().over(order).isin(_SOLVED).fill_null(False)
        now_solved = st.status.isin(_SOLVED).fill_null(False)
        return st.mutate(
            prev_solved=prev_solved,
            now_solved=now_solved,
            is_solve=(st.status == "solved").fill_null(False) | (now_solved & ~prev_solved),
            is_last=st.event_id.lead().over(order).isnull(),
        )

    return ctx.cached("status_events", build, materialize=True, stored=status_events_spec(ctx))


def facts(ctx: MetricContext) -> ir.Table:
    """One row per ticket: created, start, first response, solves, reopens, replies, dims."""

    def build() -> ir.Table:
        e = events(ctx)
        per_ticket = e.group_by("ticket_id").aggregate(
            first_event=e.at.min(),
            first_customer=e.at.min(where=e.is_customer),
            first_reply_any=e.at.min(where=e.is_agent_reply),
            agent_replies=_flag(e.is_agent_reply).sum(),
            customer_messages=_flag(e.is_customer_public).sum(),
            escalations=_flag(e.kind == "escalation").sum(),
        )
        st = status_events(ctx)
        solves = st.group_by("ticket_id").aggregate(
            n_solves=_flag(st.is_solve).sum(),
            first_solve=st.at.min(where=st.is_solve),
            last_solve=st.at.max(where=st.is_solve),
            solved_now=_flag(st.is_last & st.now_solved).max(),
            solver=st.actor_id.argmin(st.at, where=st.is_solve & (st.actor_type == "agent")),
        )
        base = tickets_base(ctx)
        t = base.left_join(per_ticket, "ticket_id").drop("ticket_id_right")
        t = t.left_join(solves, "ticket_id").drop("ticket_id_right")
        has_events = t.first_event.notnull()
        start = ibis.coalesce(t.first_customer, t.created)
        agent_initiated = (
            has_events & t.first_customer.isnull() & (t.first_reply_any == t.first_event)
        )
        t = t.mutate(has_events=has_events, start=start, agent_initiated=agent_initiated)

        # The first response is the first agent reply strictly after the start. That is the
        # first reply of all unless an agent wrote first (or in the same second); only those
        # few tickets need their replies looked at again.
        replies = e.filter(e.is_agent_reply).select("ticket_id", reply_at=e.at)
        unclear = t.filter(t.first_reply_any <= t.start).select(
            unclear_id=t.ticket_id, unclear_start=t.start
        )
        later = (
            replies.join(unclear, replies.ticket_id == unclear.unclear_id)
            .filter(lambda r: r.reply_at > r.unclear_start)
            .group_by("ticket_id")
            .aggregate(later_reply=lambda r: r.reply_at.min())
        )
        t = t.left_join(later, "ticket_id").drop("ticket_id_right")
        t = t.mutate(
            first_reply=ibis.ifelse(t.first_reply_any > t.start, t.first_reply_any, t.later_reply)
        )
        n_solves = t.n_solves.fill_null(0)
        reopens_from_events = ibis.ifelse(
            n_solves > 0,
            n_solves - 1 + ibis.ifelse(t.solved_now.fill_null(0) == 1, 0, 1),
            0,
        )
        return t.select(
            "ticket_id",
            "channel",
            "team",
            "priority",
            "segment",
            "customer_id",
            "created",
            "has_events",
            "start",
            agent=t.agent,
            agent_initiated=agent_initiated.fill_null(False),
            first_response=ibis.ifelse(has_events, t.first_reply, t.fb_first_response),
            first_solved=ibis.ifelse(has_events, t.first_solve, t.fb_solved),
            last_solved=ibis.ifelse(
                has_events, ibis.ifelse(t.solved_now == 1, t.last_solve, ibis.null()), t.fb_solved
            ),
            reopens=ibis.ifelse(has_events, reopens_from_events, t.fb_reopens),
            escalated=ibis.ifelse(has_events, t.escalations.fill_null(0) > 0, t.fb_escalated),
            agent_replies=ibis.ifelse(has_events, t.agent_replies, ibis.null()),
            customer_messages=ibis.ifelse(has_events, t.customer_messages, ibis.null()),
            solver=ibis.coalesce(t.solver, t.agent),
            # No events and a solved/closed status but no time: closed at an unknown instant,
            # so never in the backlog (rather than open forever).
            closed_untimed=~has_events & t.fb_solved.isnull() & t.fb_closed_status,
        )

    return ctx.cached("facts", build, materialize=True, stored=facts_spec(ctx))


def backlog_deltas(ctx: MetricContext) -> ir.Table:
    """``+1`` when a ticket opens (creation, reopen), ``-1`` when it is solved."""

    def build() -> ir.Table:
        f = facts(ctx)
        dims = f.select("ticket_id", "created", "channel", "team", "agent", "priority", "segment")
        created = dims.mutate(
            at=dims.created,
            delta=ibis.literal(1, "int64"),
            opened=ibis.literal(1, "int64"),
            rank=ibis.literal(0, "int64"),
            orig_at=dims.created,
            eid=ibis.literal(""),
        )
        st = status_events(ctx)
        change = st.filter(st.prev_solved != st.now_solved)
        change = change.select(
            "ticket_id",
            "at",
            delta=ibis.ifelse(change.now_solved, -1, 1).cast("int64"),
            opened=ibis.literal(0, "int64"),
            rank=ibis.literal(1, "int64"),
            orig_at=change.at,
            eid=change.event_id,
        )
        change = change.join(dims, "ticket_id")
        # Time travel: a change before creation is moved to creation, so the level never dips.
        change = change.mutate(at=ibis.greatest(change.at, change.created))
        fallback = f.filter(~f.has_events & (f.first_solved.notnull() | f.closed_untimed))
        # A ticket closed at an unknown time closes at its creation: never open, still counted
        # in the population (n) of the backlog.
        closed = ibis.coalesce(fallback.first_solved, fallback.created)
        fallback_solves = fallback.select(
            "ticket_id",
            "created",
            "channel",
            "team",
            "agent",
            "priority",
            "segment",
            at=ibis.greatest(closed, fallback.created),
            delta=ibis.literal(-1, "int64"),
            opened=ibis.literal(0, "int64"),
            rank=ibis.literal(1, "int64"),
            orig_at=closed,
            eid=ibis.literal(""),
        )
        cols = [
            "ticket_id",
            "at",
            "delta",
            "opened",
            "rank",
            "orig_at",
            "eid",
            "created",
            "channel",
            "team",
            "agent",
            "priority",
            "segment",
        ]
        return ibis.union(created.select(cols), change.select(cols), fallback_solves.select(cols))

    # Stored in a store: the union of creations, status changes and fallbacks is most of a
    # backlog query's work.
    return ctx.cached("backlog_deltas", build, materialize=True, stored=backlog_deltas_spec(ctx))


def open_intervals(ctx: MetricContext) -> ir.Table:
    """Each period a ticket spends open: ``[open_at, close_at)``, close null while open."""
    d = backlog_deltas(ctx)
    # Changes keep their own order (creation first, then events as they happened, even when
    # time travel moved them to creation), so each open pairs with the next close.
    w = ibis.window(group_by=d.ticket_id, order_by=[d.at, d.rank, d.orig_at, d.eid])
    paired = d.mutate(close_at=d.at.lead().over(w))
    opens = paired.filter(paired.delta == 1)
    return opens.select(
        "ticket_id",
        "channel",
        "team",
        "agent",
        "priority",
        "segment",
        open_at=opens.at,
        close_at=opens.close_at,
        since=opens.created,
    )


def response_runs(ctx: MetricContext) -> ir.Table:
    """Runs of customer messages, each with the next agent reply after its first message."""

    def build() -> ir.Table:
        return _response_runs(ctx)

    return ctx.cached("response_runs", build)


def _response_runs(ctx: MetricContext) -> ir.Table:
    e = events(ctx)
    m = e.filter(e.is_customer_public | e.is_agent_reply)
    # At the same second an agent reply sorts before a customer message: a reply must come
    # strictly after the message it answers.
    cust = _flag(m.is_customer_public)
    asc = ibis.window(group_by=m.ticket_id, order_by=[m.at, cust, m.event_id])
    # Ibis defaults to the whole partition: the frame must stop at the current row.
    desc = ibis.window(
        group_by=m.ticket_id,
        order_by=[m.at.desc(), cust.desc(), m.event_id.desc()],
        preceding=None,
        following=0,
    )
    reply_at = ibis.ifelse(m.is_agent_reply, m.at, ibis.null())
    m = m.mutate(
        prev_customer=m.is_customer_public.lag().over(asc),
        next_reply=reply_at.min().over(desc),
    )
    runs = m.filter(m.is_customer_public & ~m.prev_customer.fill_null(False))
    # reply_at is null for a run still waiting for an answer.
    return runs.select("ticket_id", run_start=runs.at, reply_at=runs.next_reply)
