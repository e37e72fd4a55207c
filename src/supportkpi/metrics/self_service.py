"""Self-service, automation and sentiment KPIs (SPEC §4).

Knowledge-base usage and success, chatbot interaction and containment, angry customers and
customer sentiment. A *conversation* is a ticket; the bot and sentiment KPIs read its events
(``ticket_events``: bot messages, customer messages with their ``sentiment``, scored once at
load by :mod:`supportkpi.sentiment`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.metrics.basis import ANGRY_SIGNALS, CUSTOMER_MESSAGES, KB_SESSIONS, MESSAGES
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.costs import conversations
from supportkpi.metrics.query_periods import in_range, period_key
from supportkpi.metrics.registry import (
    TICKET_DIMENSIONS,
    Unit,
    register_mean,
    register_quotient,
    register_rate,
)
from supportkpi.metrics.ticket_facts import facts, tickets_base

FAMILY = "Self-service, automation, sentiment"
DIMS = TICKET_DIMENSIONS


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0)


def _sessions(ctx: MetricContext) -> ir.Table:
    k = ctx.table("kb_sessions")
    return k.select("session_id", "customer_id", at=ctx.epoch(k.at))


def _kb_usage(ctx: MetricContext) -> tuple[ir.Table, ir.Table]:
    s = _sessions(ctx)
    return s.select("at", x=ibis.literal(1.0)), conversations(ctx)


def _self_service_success(ctx: MetricContext) -> ir.Table:
    s = _sessions(ctx)
    s = s.filter(s.customer_id.notnull())
    window_s = int(ctx.options.self_service_hours * 3600)
    t = tickets_base(ctx)
    t = t.filter(t.customer_id.notnull()).select(t_customer="customer_id", t_created="created")
    followed = (
        s.join(t, s.customer_id == t.t_customer)
        .filter(lambda r: (r.t_created >= r.at) & (r.t_created <= r.at + window_s))
        .select("session_id")
        .distinct()
        .mutate(followed=ibis.literal(True))
    )
    s = s.left_join(followed, "session_id").drop("session_id_right")
    c = ctx.table("customers").select(c_id="customer_id", segment="segment")
    s = s.left_join(c, s.customer_id == c.c_id)
    return s.select(
        "session_id",
        "segment",
        "at",
        num=_flag(~s.followed.fill_null(False)),
        den=ibis.literal(1),
    )


def _ticket_flags(ctx: MetricContext) -> ir.Table:
    """Per ticket with events: bot messages, human public agent replies, angry messages."""

    def build() -> ir.Table:
        e = ctx.table("ticket_events")
        message = e.kind == "message"
        public = e.public.fill_null(True)
        angry = (
            message
            & (e.actor_type == "customer")
            & (_sentiment_of(e) < ctx.options.sentiment_threshold).fill_null(False)
        )
        return e.group_by("ticket_id").aggregate(
            bot_messages=_flag(message & (e.actor_type == "bot")).sum(),
            human_replies=_flag(message & (e.actor_type == "agent") & public).sum(),
            angry_messages=_flag(angry).sum(),
        )

    return ctx.cached("ticket_bot_flags", build)


def _conversations_with_events(ctx: MetricContext) -> ir.Table:
    t = tickets_base(ctx)
    flags = _ticket_flags(ctx)
    joined = t.join(flags, "ticket_id")
    return joined.drop("ticket_id_right") if "ticket_id_right" in joined.columns else joined


def _chatbot_interaction(ctx: MetricContext) -> ir.Table:
    t = _conversations_with_events(ctx)
    return t.select(
        "ticket_id", *DIMS, at=t.created, num=_flag(t.bot_messages > 0), den=ibis.literal(1)
    )


def _bot_containment(ctx: MetricContext) -> ir.Table:
    t = _conversations_with_events(ctx)
    t = t.filter(t.bot_messages > 0)
    f = facts(ctx).select(f_id="ticket_id", solved=facts(ctx).last_solved)
    t = t.left_join(f, t.ticket_id == f.f_id)
    solved = t.solved.notnull()
    if ctx.range_end is not None:
        solved = solved & (t.solved < ctx.range_end)
    contained = solved & (t.human_replies == 0)
    return t.select("ticket_id", *DIMS, at=t.created, num=_flag(contained), den=ibis.literal(1))


def _angry_customers(ctx: MetricContext) -> ir.Table:
    t = tickets_base(ctx)
    tags = ctx.table("tickets").select(g_id="ticket_id", tags="tags")
    t = t.left_join(tags, t.ticket_id == tags.g_id)
    flags = _ticket_flags(ctx).select(a_id="ticket_id", angry_messages="angry_messages")
    t = t.left_join(flags, t.ticket_id == flags.a_id)
    angry = (t.angry_messages.fill_null(0) > 0) | t.tags.contains("angry").fill_null(False)
    # A ticket without a known customer stands for one customer of its own.
    who = ibis.coalesce(t.customer_id, ibis.literal("ticket:") + t.ticket_id)
    t = t.select(customer_id=who, segment=t.segment, at=t.created, angry=_flag(angry))
    t = period_key(ctx, in_range(ctx, t))
    per_customer = t.group_by(["period_key", "customer_id"]).aggregate(
        at=t.at.min(), segment=t.segment.max(), num=t.angry.max()
    )
    return per_customer.select("customer_id", "segment", "at", "num", den=ibis.literal(1))


def _sentiment_of(e: ir.Table) -> ir.FloatingValue:
    """The events' sentiment; null for a store or export made before the column existed."""
    if "sentiment" in e.columns:
        return e.sentiment.cast("float64")
    return ibis.null("float64")


def _sentiment(ctx: MetricContext) -> ir.Table:
    e = ctx.table("ticket_events")
    e = e.mutate(score=_sentiment_of(e))
    m = e.filter((e.kind == "message") & (e.actor_type == "customer") & e.score.notnull())
    m = m.select("ticket_id", "event_id", m_at=ctx.epoch(m.at), x=m.score)
    t = tickets_base(ctx).select("ticket_id", *DIMS)
    joined = m.join(t, "ticket_id")
    return joined.select("ticket_id", "event_id", *DIMS, at=joined.m_at, x=joined.x)


register_quotient(
    "kb_usage",
    "Knowledge-base usage",
    _kb_usage,
    "Knowledge-base sessions / support interactions (tickets created plus answered "
    "inbound calls), each dated when it happened. Can exceed 1. n is the sessions.",
    unit=Unit.RATIO,
    family=FAMILY,
    good="higher",
    needs=(KB_SESSIONS,),
    seeds=("001", "003"),
    dimensions=(),
)
register_rate(
    "self_service_success_rate",
    "Self-service success rate",
    _self_service_success,
    "Knowledge-base sessions of a known customer not followed by a ticket from that "
    "customer within N hours (self_service_hours, default 24: session start <= ticket "
    "creation <= start + N h) / sessions of a known customer, dated at the session.",
    family=FAMILY,
    good="higher",
    needs=(KB_SESSIONS,),
    seeds=("001",),
    dimensions=("segment",),
    options=("self_service_hours",),
)
register_rate(
    "chatbot_interaction_rate",
    "Chatbot interaction rate",
    _chatbot_interaction,
    "Conversations (tickets with events) with at least one bot message / conversations, "
    "dated at ticket creation.",
    family=FAMILY,
    good="higher",
    needs=(MESSAGES,),
    seeds=("003",),
)
register_rate(
    "bot_containment_rate",
    "Bot containment rate",
    _bot_containment,
    "Conversations with a bot message that are solved now (before the report end) and "
    "never had a public message from a human agent / conversations with a bot message, "
    "dated at ticket creation.",
    family=FAMILY,
    good="higher",
    needs=(MESSAGES,),
    seeds=("003",),
)
register_rate(
    "angry_customer_rate",
    "Angry customer rate",
    _angry_customers,
    "Customers with a ticket created in the period (each bucket, or the whole range) "
    "with at least one angry ticket among them / those customers. A ticket is angry "
    "when a customer message has a sentiment below sentiment_threshold (default -0.5) "
    "or the ticket is tagged 'angry'. A ticket with no known customer counts as one "
    "customer. Dated at the customer's first ticket in the period.",
    family=FAMILY,
    good="lower",
    needs=(ANGRY_SIGNALS,),
    seeds=("002",),
    dimensions=("segment",),
    options=("sentiment_threshold",),
)
register_mean(
    "customer_sentiment",
    "Customer sentiment",
    _sentiment,
    "Mean sentiment (-1 to 1, VADER compound, scored at load) of customer messages, "
    "dated at the message; by channel e.g. for social media. t 95% interval.",
    family=FAMILY,
    good="higher",
    needs=(CUSTOMER_MESSAGES,),
    seeds=("001",),
)
