"""Agent time from ``agent_activity``: logged-in, handling and available time, and labor cost.

Shared by tickets_solved_per_hour, the contact-centre KPIs (utilization, occupancy) and the cost
KPIs (labor cost is the fallback when the ``costs`` table has nothing for a period). Each state
interval is dated at its start (``at``); which states count as handling, available or logged
out comes from the options (``handling_states``, ``available_states``, ``logged_out_states``).
"""

from __future__ import annotations

import ibis.expr.types as ir

from supportkpi.metrics.context import MetricContext


def activity(ctx: MetricContext) -> ir.Table:
    """State intervals with ``agent``, ``team`` (from agents), ``at``, ``seconds`` and flags."""

    def build() -> ir.Table:
        a = ctx.table("agent_activity")
        agents = ctx.table("agents").select(
            agent_key="agent_id", agent_team="team", cost="hourly_cost"
        )
        opts = ctx.options
        rows = a.select(
            agent=a.agent_id,
            state=a.state,
            at=ctx.epoch(a.start_at),
            seconds=(ctx.epoch(a.end_at) - ctx.epoch(a.start_at)).cast("float64"),
        )
        rows = rows.filter(rows.seconds > 0)
        joined = rows.left_join(agents, rows.agent == agents.agent_key)
        return joined.select(
            "agent",
            "state",
            "at",
            "seconds",
            team=joined.agent_team,
            hourly_cost=joined.cost,
            logged_in=~joined.state.isin(list(opts.logged_out_states)),
            handling=joined.state.isin(list(opts.handling_states)),
            available=joined.state.isin(list(opts.available_states)),
        )

    return ctx.cached("agent_activity", build)


def logged_in_hours(ctx: MetricContext) -> ir.Table:
    """Rows ``agent, team, at, x`` with ``x`` the logged-in hours of each interval."""
    a = activity(ctx)
    a = a.filter(a.logged_in)
    return a.select("agent", "team", "at", x=a.seconds / 3600.0)


def labor_cost(ctx: MetricContext) -> ir.Table:
    """Rows ``agent, team, at, x`` with ``x`` = logged-in hours × the agent's hourly cost."""
    a = activity(ctx)
    a = a.filter(a.logged_in & a.hourly_cost.notnull())
    return a.select("agent", "team", "at", x=a.seconds / 3600.0 * a.hourly_cost)


def with_team(ctx: MetricContext, rows: ir.Table, agent: str = "agent") -> ir.Table:
    """Add the agent's ``team`` (from the agents table) to rows keyed by an agent id."""
    agents = ctx.table("agents").select(agent_key="agent_id", agent_team="team")
    joined = rows.left_join(agents, rows[agent] == agents.agent_key)
    return joined.mutate(team=joined.agent_team).drop("agent_key", "agent_team")
