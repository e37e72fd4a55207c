"""Contact-centre call KPIs: offered, answered and abandoned calls, service level, speed of
answer, wait, handle time, first-call resolution and cost per call.

Only inbound calls count (``direction`` inbound or empty). Every call KPI is dated at
``offered_at``, the interval the call arrived in (the contact-centre convention), so that in
any bucket answered + abandoned = offered. ``agent`` and ``team`` are the answering agent's
(from the ``agents`` table), so unanswered calls have neither. Times are whole seconds
between instants (each instant floored to the second).

A call is *answered* when ``answered_at`` is set, otherwise *abandoned*. Its *wait* is the
time in queue: offered → answered, or offered → ``ended_at`` (the caller hung up) for an
abandoned call; unknown for an abandoned call without ``ended_at``, and left out when
negative (bad data). A *short abandon* is an abandoned call whose wait is known and shorter
than ``short_abandon_s``: a misdial or a caller who changed their mind, left out of the call
rates. An abandoned call with an unknown wait is never a short abandon.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.metrics.basis import CALLS
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.registry import (
    Unit,
    register_count,
    register_distribution,
    register_rate,
)

DIMS = ("queue", "agent", "team")
#: Row columns: the call (for drill-down) and its dimensions.
KEYS = ("call_id", *DIMS)
FAMILY = "Contact centre (calls)"


def call_facts(ctx: MetricContext) -> ir.Table:
    """One row per inbound call with its instants, flags and durations (shared by the KPIs).

    Columns: ``call_id``, ``queue``, ``agent``, ``team``, ``customer_id``, ``hourly_cost``
    (the answering agent's), ``at`` (= ``offered``, epoch seconds), ``offered``,
    ``answered`` and ``short_abandon`` (flags), ``speed`` (offered → answered, null unless
    answered and not negative), ``wait`` (see the module docstring) and
    ``handle`` (talk + hold + after-call work of an answered call with a talk time).
    """

    def build() -> ir.Table:
        c = ctx.table("calls")
        c = c.filter(c.direction.isnull() | (c.direction == "inbound"))
        offered = ctx.epoch(c.offered_at)
        answered_at = ctx.epoch(c.answered_at)
        ended_at = ctx.epoch(c.ended_at)
        rows = c.select(
            "call_id",
            "queue",
            "customer_id",
            agent=c.agent_id,
            offered=offered,
            answered=answered_at.notnull(),
            raw_wait=ibis.ifelse(answered_at.notnull(), answered_at - offered, ended_at - offered),
            talk=c.talk_s,
            hold=c.hold_s.fill_null(0.0),
            acw=c.acw_s.fill_null(0.0),
        )
        agents = ctx.table("agents").select(
            agent_key="agent_id", agent_team="team", agent_cost="hourly_cost"
        )
        joined = rows.left_join(agents, rows.agent == agents.agent_key)
        wait = ibis.ifelse(joined.raw_wait >= 0, joined.raw_wait, ibis.null("int64"))
        short_s = float(ctx.options.short_abandon_s)
        return joined.select(
            *KEYS[:3],
            "customer_id",
            "offered",
            "answered",
            at=joined.offered,
            team=joined.agent_team,
            hourly_cost=joined.agent_cost,
            wait=wait,
            speed=ibis.ifelse(joined.answered, wait, ibis.null("int64")),
            short_abandon=(~joined.answered & wait.notnull() & (wait < short_s)).fill_null(False),
            handle=ibis.ifelse(
                joined.answered & joined.talk.notnull(),
                joined.talk + joined.hold + joined.acw,
                ibis.null("float64"),
            ),
        )

    return ctx.cached("call_facts", build)


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(condition, 1, 0)


def _rate(rows: ir.Table, num: ir.BooleanValue) -> ir.Table:
    return rows.select(*KEYS, "at", num=_flag(num), den=ibis.literal(1))


def _counted(ctx: MetricContext) -> ir.Table:
    """The calls the rates count: every inbound call but the short abandons."""
    c = call_facts(ctx)
    return c.filter(~c.short_abandon)


def _offered(ctx: MetricContext) -> ir.Table:
    return call_facts(ctx).select(*KEYS, "at")


def _answered_rate(ctx: MetricContext) -> ir.Table:
    c = _counted(ctx)
    return _rate(c, c.answered)


def _abandonment_rate(ctx: MetricContext) -> ir.Table:
    c = _counted(ctx)
    return _rate(c, ~c.answered)


def _service_level(ctx: MetricContext) -> ir.Table:
    variant = ctx.options.service_level_variant
    c = call_facts(ctx)
    if variant == "answered_only":
        c = c.filter(c.answered)
    elif variant != "abandons_count_against":
        c = c.filter(~c.short_abandon)
    threshold = float(ctx.options.service_level_s)
    # Answered exactly at T is within T; a call answered "before" it was offered (bad data,
    # no speed) still counts as answered within T.
    within = c.answered & (c.speed.isnull() | (c.speed <= threshold))
    return _rate(c, within.fill_null(False))


def _durations(rows: ir.Table, x: ir.NumericValue) -> ir.Table:
    return rows.select(*KEYS, "at", x=x.cast("float64"))


def _speed_of_answer(ctx: MetricContext) -> ir.Table:
    c = call_facts(ctx)
    return _durations(c.filter(c.speed.notnull()), c.speed)


def _wait(ctx: MetricContext) -> ir.Table:
    c = call_facts(ctx)
    return _durations(c.filter(c.wait.notnull()), c.wait)


def _handle(ctx: MetricContext) -> ir.Table:
    c = call_facts(ctx)
    return _durations(c.filter(c.handle.notnull()), c.handle)


def _cost_per_call(ctx: MetricContext) -> ir.Table:
    c = call_facts(ctx)
    c = c.filter(c.handle.notnull() & c.hourly_cost.notnull())
    return _durations(c, c.handle * c.hourly_cost / 3600.0)


def _call_fcr(ctx: MetricContext) -> ir.Table:
    c = call_facts(ctx)
    known = c.filter(c.customer_id.notnull())
    answered = known.filter(known.answered)
    window_s = int(float(ctx.options.call_fcr_days) * 86400)
    # A short abandon is not a contact (it is left out of every call rate), so not a repeat.
    later = known.filter(~known.short_abandon).select(
        other_customer="customer_id", other_offered="offered"
    )
    anchors = answered.select("call_id", "customer_id", "offered")
    repeats = (
        anchors.join(later, anchors.customer_id == later.other_customer)
        .filter(lambda r: (r.other_offered > r.offered) & (r.other_offered <= r.offered + window_s))
        .select("call_id")
        .distinct()
        .mutate(repeated=ibis.literal(True))
    )
    flagged = answered.left_join(repeats, "call_id").drop("call_id_right")
    return _rate(flagged, flagged.repeated.isnull())


#: The option of every call rate: short abandons are left out of both sides.
_RATE_OPTIONS = ("short_abandon_s",)

register_count(
    "calls_offered",
    "Calls offered",
    _offered,
    "Inbound calls (direction inbound or empty) that entered a queue, short abandons "
    "included, dated at offered_at.",
    family=FAMILY,
    good=None,
    dimensions=DIMS,
    needs=(CALLS,),
)
register_rate(
    "answered_rate",
    "Answered call rate",
    _answered_rate,
    "Answered calls (answered_at set) / offered inbound calls, both without short abandons "
    "(abandoned after a known wait shorter than short_abandon_s, default 5 s). Dated at "
    "offered_at.",
    family=FAMILY,
    good="higher",
    seeds=("001",),
    dimensions=DIMS,
    options=_RATE_OPTIONS,
    needs=(CALLS,),
)
register_rate(
    "abandonment_rate",
    "Abandonment rate",
    _abandonment_rate,
    "Abandoned calls (no answered_at) / offered inbound calls, both without short abandons "
    "(abandoned after a known wait shorter than short_abandon_s); an abandoned call without "
    "ended_at has an unknown wait and counts. 1 - answered_rate. Dated at offered_at.",
    family=FAMILY,
    good="lower",
    dimensions=DIMS,
    options=_RATE_OPTIONS,
    needs=(CALLS,),
)
register_rate(
    "service_level",
    "Service level (calls)",
    _service_level,
    "Calls answered within T seconds (service_level_s, default 20; answered exactly at T "
    "counts as within) / offered inbound calls without short abandons. Variants "
    "(service_level_variant): answered_only divides by answered calls; "
    "abandons_count_against keeps short abandons in the denominator. Dated at offered_at.",
    family=FAMILY,
    good="higher",
    seeds=("001",),
    dimensions=DIMS,
    options=("service_level_s", "service_level_variant", "short_abandon_s"),
    needs=(CALLS,),
)
register_distribution(
    "average_speed_of_answer",
    "Average speed of answer",
    _speed_of_answer,
    "answered_at - offered_at over answered inbound calls (seconds; default statistic mean). "
    "Dated at offered_at.",
    default_stat="mean",
    family=FAMILY,
    good="lower",
    seeds=("001",),
    dimensions=DIMS,
    needs=(CALLS,),
)
register_distribution(
    "average_wait_time",
    "Average wait time",
    _wait,
    "Time in queue over all offered inbound calls, short abandons included: until the answer, "
    "or until the caller hung up (ended_at) for an abandoned call; abandoned calls without "
    "ended_at are left out (unknown wait). Seconds, default statistic mean; dated at "
    "offered_at.",
    default_stat="mean",
    family=FAMILY,
    good="lower",
    seeds=("001",),
    dimensions=DIMS,
    needs=(CALLS,),
)
register_distribution(
    "average_handle_time",
    "Average handle time",
    _handle,
    "talk_s + hold_s + acw_s (after-call work) per answered inbound call; an empty hold or "
    "after-call work counts as 0, calls without talk_s are left out. Seconds, default "
    "statistic mean (seed 003: 800 + 200 + 400 minutes over 100 calls = 14 minutes); dated "
    "at offered_at.",
    default_stat="mean",
    family=FAMILY,
    good="lower",
    seeds=("001", "002", "003"),
    dimensions=DIMS,
    needs=(CALLS,),
)
register_rate(
    "call_fcr_rate",
    "First call resolution rate",
    _call_fcr,
    "Answered inbound calls of a known customer not followed by another inbound call from the "
    "same customer (short abandons aside) offered within N days (call_fcr_days, default 7) "
    "after it / answered inbound calls of a known customer. The resolved flag is not used: "
    "a repeat call is the measured outcome. Dated at offered_at.",
    family=FAMILY,
    good="higher",
    seeds=("000", "001"),
    dimensions=DIMS,
    options=("call_fcr_days", "short_abandon_s"),
    needs=(CALLS,),
)
register_distribution(
    "cost_per_call",
    "Cost per call",
    _cost_per_call,
    "Per answered inbound call, handle time (as in average_handle_time) x the answering "
    "agent's hourly_cost / 3600; calls whose agent has no hourly_cost are left out. Default "
    "statistic mean (the average cost of a call); dated at offered_at.",
    unit=Unit.MONEY,
    default_stat="mean",
    family=FAMILY,
    good="lower",
    seeds=("000",),
    dimensions=DIMS,
    needs=(CALLS,),
)
