"""Survey KPIs: CSAT, NPS, CES, response rate and agent satisfaction (SPEC §4 "Surveys").

A response is dated when it was answered (``responded_at``; ``sent_at`` when a source gives a
score without an answer time); the response rate is dated when the survey was sent. Customer
surveys take their dimensions from the surveyed ticket where there is one (channel, team,
priority, the ticket's assignee as agent, the customer's segment), else from the survey's own
``agent_id`` (and that agent's team) and ``customer_id``. Scores outside the configured scale
are left out (the loader already rejects scores outside the widest scale of each kind).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.engine.stored_facts import FactSpec
from supportkpi.metrics.basis import surveys_of
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.query_periods import in_range, period_key
from supportkpi.metrics.registry import (
    TICKET_DIMENSIONS,
    register_mean,
    register_nps,
    register_rate,
)
from supportkpi.metrics.ticket_facts import tickets_base

DIMS = TICKET_DIMENSIONS
FAMILY = "Surveys"
#: The version of :func:`surveys`' rows: raise it with any change to what they hold, so that
#: rows stored by an older version are rebuilt instead of read.
SURVEYS_VERSION = 1


def surveys_spec(ctx: MetricContext) -> FactSpec:
    """The stored form of :func:`surveys` (no option changes it)."""
    return FactSpec("surveys", SURVEYS_VERSION)


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0)


def surveys(ctx: MetricContext) -> ir.Table:
    """Every survey row with ``at`` (answered), ``sent``, ``score`` and the dimensions.

    Stored in a store (joining every survey to its ticket, customer and agent is most of a
    survey KPI's work); a load refreshes the surveys it touched, see :mod:`supportkpi.facts`.
    """

    def build() -> ir.Table:
        s = ctx.table("surveys")
        rows = s.select(
            "response_id",
            "kind",
            "score",
            "ticket_id",
            survey_customer=s.customer_id,
            survey_agent=s.agent_id,
            sent=ctx.epoch(s.sent_at),
            answered=ctx.epoch(s.responded_at),
        )
        t = tickets_base(ctx).select(
            t_id="ticket_id",
            t_channel="channel",
            t_team="team",
            t_priority="priority",
            t_agent="agent",
            t_segment="segment",
        )
        rows = rows.left_join(t, rows.ticket_id == t.t_id)
        customers = ctx.table("customers").select(c_id="customer_id", c_segment="segment")
        rows = rows.left_join(customers, rows.survey_customer == customers.c_id)
        agent = ibis.coalesce(rows.t_agent, rows.survey_agent)
        rows = rows.mutate(agent=agent)
        agents = ctx.table("agents").select(a_id="agent_id", a_team="team")
        rows = rows.left_join(agents, rows.agent == agents.a_id)
        return rows.select(
            "response_id",
            "kind",
            "score",
            "sent",
            "agent",
            at=ibis.coalesce(rows.answered, rows.sent),
            channel=rows.t_channel,
            team=ibis.coalesce(rows.t_team, rows.a_team),
            priority=rows.t_priority,
            segment=ibis.coalesce(rows.t_segment, rows.c_segment),
        )

    return ctx.cached("surveys", build, materialize=True, stored=surveys_spec(ctx))


def _answers(ctx: MetricContext, kind: str, low: float, high: float) -> ir.Table:
    """Answered surveys of ``kind`` with a score on the scale [low, high]."""
    s = surveys(ctx)
    return s.filter(
        (s.kind == kind) & s.score.notnull() & s.at.notnull() & s.score.between(low, high)
    )


def _csat_rows(ctx: MetricContext) -> ir.Table:
    a = _answers(ctx, "csat", 1, ctx.options.csat_scale_max)
    satisfied = a.score >= ctx.options.csat_satisfied_min
    return a.select("response_id", *DIMS, "at", num=_flag(satisfied), den=ibis.literal(1))


def _csat_mean(ctx: MetricContext) -> ir.Table:
    a = _answers(ctx, "csat", 1, ctx.options.csat_scale_max)
    return a.select("response_id", *DIMS, "at", x=a.score.cast("float64"))


def _response_rate(ctx: MetricContext) -> ir.Table:
    s = surveys(ctx)
    s = s.filter(s.kind.isin(["csat", "nps", "ces"]))
    s = s.mutate(at=ibis.coalesce(s.sent, s.at))
    s = s.filter(s.at.notnull())
    return s.select("response_id", *DIMS, "at", num=_flag(s.score.notnull()), den=ibis.literal(1))


def _nps(ctx: MetricContext) -> ir.Table:
    a = _answers(ctx, "nps", 0, 10)
    return a.select(
        "response_id",
        *DIMS,
        "at",
        promoter=_flag(a.score >= 9),
        detractor=_flag(a.score <= 6),
    )


def _ces(ctx: MetricContext) -> ir.Table:
    a = _answers(ctx, "ces", 1, ctx.options.ces_scale_max)
    return a.select("response_id", *DIMS, "at", x=a.score.cast("float64"))


def _asat(ctx: MetricContext) -> ir.Table:
    s = surveys(ctx)
    s = s.filter((s.kind == "asat") & s.score.notnull() & s.agent.notnull())
    s = s.filter(s.score.between(1, ctx.options.csat_scale_max))
    # The latest response of each agent in each period; the range is applied first, so a
    # response after the report end never hides one inside it.
    s = period_key(ctx, in_range(ctx, s))
    order = ibis.window(
        group_by=[s.period_key, s.agent], order_by=[ibis.desc(s.at), ibis.desc(s.response_id)]
    )
    s = s.mutate(rank=ibis.row_number().over(order))
    latest = s.filter(s.rank == 0)
    satisfied = latest.score >= ctx.options.csat_satisfied_min
    return latest.select(
        "response_id", "agent", "team", "at", num=_flag(satisfied), den=ibis.literal(1)
    )


register_rate(
    "csat",
    "Customer satisfaction (CSAT)",
    _csat_rows,
    "CSAT responses with a score >= csat_satisfied_min (default 4) / CSAT responses "
    "with a score on the scale 1..csat_scale_max (default 5), dated at the response. "
    "Unanswered invitations are not in the denominator (see survey_response_rate).",
    family=FAMILY,
    good="higher",
    needs=(surveys_of("csat"),),
    seeds=("000", "001", "002", "003"),
    options=("csat_scale_max", "csat_satisfied_min"),
)
register_mean(
    "csat_mean",
    "CSAT mean score",
    _csat_mean,
    "Mean CSAT score over responses on the scale 1..csat_scale_max, dated at the "
    "response, with a Student t 95% interval.",
    family=FAMILY,
    good="higher",
    needs=(surveys_of("csat"),),
    seeds=("000", "001"),
    options=("csat_scale_max",),
)
register_rate(
    "survey_response_rate",
    "Survey response rate",
    _response_rate,
    "Customer surveys (csat, nps, ces) answered (a score given) / surveys sent, dated "
    "when sent (at the response when the send time is missing).",
    family=FAMILY,
    good="higher",
    needs=(surveys_of("csat", "nps", "ces"),),
    seeds=("001",),
)
register_nps(
    "nps",
    "Net Promoter Score (NPS)",
    _nps,
    "100 x (promoters (score 9-10) - detractors (score 0-6)) / NPS responses "
    "(0-10), dated at the response; from -100 to 100, with the multinomial 95% interval.",
    family=FAMILY,
    good="higher",
    needs=(surveys_of("nps"),),
    seeds=("000", "001", "003"),
)
register_mean(
    "ces",
    "Customer effort score (CES)",
    _ces,
    "Mean CES score over responses on the scale 1..ces_scale_max (default 5), dated at "
    "the response, with a Student t 95% interval. Scores are never flipped: with "
    "ces_higher_is = 'harder' (default) lower is better, with 'easier' higher is better.",
    family=FAMILY,
    good="lower",
    needs=(surveys_of("ces"),),
    seeds=("001", "002", "003"),
    options=("ces_scale_max", "ces_higher_is"),
)
register_rate(
    "asat",
    "Agent satisfaction (ASAT)",
    _asat,
    "Agents whose latest asat response in the period (each bucket, or the whole range) "
    "has a score >= csat_satisfied_min / agents with an asat response in the period. "
    "Dated at that latest response; the agent is the responding agent (agent_id).",
    family=FAMILY,
    good="higher",
    needs=(surveys_of("asat"),),
    seeds=("001", "003"),
    dimensions=("agent", "team"),
    options=("csat_satisfied_min", "csat_scale_max"),
    n_noun="agents",
)
