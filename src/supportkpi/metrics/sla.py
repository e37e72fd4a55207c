"""SLA compliance (SPEC §5): targets met / targets due, overall and per target type.

Each ticket gets the first ``[[sla]]`` policy whose priority, segment and channel lists all
match (an absent list matches anything). A policy's targets start a clock:

- ``first_response``: from the ticket's start (first customer message, else creation) to the
  first response (agent-initiated tickets have none);
- ``next_response``: for each later run of customer messages, from the run's first message to
  the next agent reply;
- ``resolution``: from creation to the solve (for a ticket solved now).

A target is *met* when fulfilled within its time, *breached* when fulfilled late or still
unfulfilled after its time has passed, and *running* otherwise; running targets are left out.
Elapsed time is calendar or business time per the policy's ``business_hours``. "Now" is the
report end (``to``), else the time of the query. Outcomes are dated when the clock started
(so a week's compliance is that of the clocks started in the week) — a breach is then final
for its period once the report end is past it. Dimensions: the ticket's, plus ``sla_target``
and ``sla_policy``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.calendar.business import with_business_seconds
from supportkpi.engine.stored_facts import FactSpec
from supportkpi.errors import ConfigError
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.registry import TICKET_DIMENSIONS, register_rate
from supportkpi.metrics.ticket_facts import facts, response_runs
from supportkpi.sla.policy import MATCH_KEYS, SlaPolicy, matching_key

DIMS = TICKET_DIMENSIONS


def _policy_of(f: ir.Table, policies: tuple[SlaPolicy, ...]) -> ir.StringValue:
    """The name of the first matching policy, or null."""
    cases = []
    for policy in policies:
        condition = ibis.literal(True)
        for key in MATCH_KEYS:
            if key in policy.match:
                condition = condition & f[key].isin(list(policy.match[key])).fill_null(False)
        cases.append((condition, policy.name))
    return ibis.cases(*cases, else_=ibis.null("string"))


#: The version of the clocks' rows: raise it with any change to what they hold.
CLOCKS_VERSION = 1


def clocks_spec(ctx: MetricContext) -> FactSpec | None:
    """The stored form of the clocks, for the policies' matching rules and whether bots
    reply (first responses); none without policies."""
    if not ctx.sla_policies:
        return None
    config = (("include_bots", ctx.options.include_bots), ("sla", matching_key(ctx.sla_policies)))
    return FactSpec("sla_clocks", CLOCKS_VERSION, config)


def sla_clocks(ctx: MetricContext) -> ir.Table:
    """One row per (ticket, target type): ``start``, ``fulfilled`` (or null), dims.

    Computed once per source and policy set: only "now" and business time change per query.
    A store keeps them for the policies of a server's config (see :mod:`supportkpi.facts`).
    """
    key = "sla_clocks:" + repr(ctx.sla_policies)
    return ctx.cached(key, lambda: _build_clocks(ctx), materialize=True, stored=clocks_spec(ctx))


def _build_clocks(ctx: MetricContext) -> ir.Table:
    f = facts(ctx)
    f = f.mutate(sla_policy=_policy_of(f, ctx.sla_policies))
    f = f.filter(f.sla_policy.notnull())
    keep = ("ticket_id", *DIMS, "sla_policy", "created")
    first = f.filter(~f.agent_initiated).select(
        *keep, sla_target=ibis.literal("first_response"), start=f.start, fulfilled=f.first_response
    )
    resolution = f.select(
        *keep, sla_target=ibis.literal("resolution"), start=f.created, fulfilled=f.last_solved
    )
    runs = response_runs(ctx)
    later = runs.join(f.select(*keep, "first_response"), "ticket_id")
    later = later.filter(later.first_response.notnull() & (later.run_start > later.first_response))
    nxt = later.select(
        *keep,
        sla_target=ibis.literal("next_response"),
        start=later.run_start,
        fulfilled=later.reply_at,
    )
    return ibis.union(first, nxt, resolution)


def target_clocks(ctx: MetricContext) -> ir.Table:
    """Clocks with their target (seconds), business flag, elapsed time and outcome.

    ``outcome`` is ``met``, ``breached`` or ``running``; ``remaining`` is the time left (in
    the policy's time) for running targets.
    """
    if not ctx.sla_policies:
        raise ConfigError("sla_compliance needs [[sla]] policies in the config (--config FILE)")
    clocks = sla_clocks(ctx)
    as_of = ibis.literal(ctx.as_of, "int64")
    # A fulfilment after "now" has not happened yet as far as this report is concerned.
    done = clocks.fulfilled.notnull() & (clocks.fulfilled < as_of)
    clocks = clocks.mutate(done=done, end=ibis.ifelse(done, clocks.fulfilled, as_of))
    clocks = clocks.filter(clocks.start <= as_of)
    target_cases, business_cases = [], []
    for policy in ctx.sla_policies:
        for target, seconds in policy.targets.items():
            match = (clocks.sla_policy == policy.name) & (clocks.sla_target == target)
            target_cases.append((match, seconds))
        business_cases.append((clocks.sla_policy == policy.name, policy.business_hours))
    clocks = clocks.mutate(
        target_s=ibis.cases(*target_cases, else_=ibis.null("float64")),
        business=ibis.cases(*business_cases, else_=False),
    )
    clocks = clocks.filter(clocks.target_s.notnull())
    if ctx.calendar is not None and any(p.business_hours for p in ctx.sla_policies):
        clocks = with_business_seconds(clocks, ctx.calendar, "start", "end", out="business_s")
        elapsed = ibis.ifelse(
            clocks.business, clocks.business_s, (clocks.end - clocks.start).cast("float64")
        )
    else:
        elapsed = (clocks.end - clocks.start).cast("float64")
    clocks = clocks.mutate(elapsed=elapsed)
    outcome = ibis.cases(
        (clocks.done & (clocks.elapsed <= clocks.target_s), "met"),
        (clocks.elapsed > clocks.target_s, "breached"),
        else_="running",
    )
    return clocks.mutate(outcome=outcome, remaining=clocks.target_s - clocks.elapsed)


def _compliance(ctx: MetricContext) -> ir.Table:
    t = target_clocks(ctx)
    due = t.filter(t.outcome != "running")
    return due.select(
        "ticket_id",
        *DIMS,
        "sla_target",
        "sla_policy",
        at=ctx.dated(due.start, due.created),
        num=ibis.ifelse(due.outcome == "met", 1, 0),
        den=ibis.literal(1),
    )


register_rate(
    "sla_compliance",
    "SLA compliance",
    _compliance,
    "SLA targets met / SLA targets due (met or breached; still-running targets are left "
    "out), for the first matching [[sla]] policy's first_response, next_response and "
    "resolution targets, in calendar or business time per policy. Dated when the "
    "target's clock started. Per target type with by=sla_target (or per policy with "
    "by=sla_policy).",
    family="Tickets: outcomes and workload",
    good="higher",
    seeds=("001", "003"),
    dimensions=(*DIMS, "sla_target", "sla_policy"),
)
