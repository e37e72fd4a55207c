"""One interval's staffing figures as a flat, JSON-ready dict (the CLI and API payload)."""

from __future__ import annotations

from typing import Any

from supportkpi.staffing import inputs
from supportkpi.staffing.erlang_a import erlang_a, erlang_a_agents
from supportkpi.staffing.erlang_c import erlang_c_staffing


def staffing_summary(
    calls: float,
    interval_min: float,
    aht_s: float,
    target_sl: float,
    target_s: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
    patience_s: float | None = None,
) -> dict[str, Any]:
    """Erlang C requirements for one interval, plus Erlang A figures when ``patience_s``.

    Keys: traffic_erlangs, agents (before shrinkage), agents_with_shrinkage, service_level,
    probability_wait, asa_s, occupancy. With a mean caller patience, Erlang A at the Erlang C
    agent count adds patience_s, abandonment, service_level_erlang_a (answered within the
    threshold / offered, abandons count as missed), service_level_answered_erlang_a,
    probability_wait_erlang_a, asa_s_erlang_a (answered calls), occupancy_erlang_a; and the
    agents Erlang A needs for the same targets: agents_erlang_a,
    agents_with_shrinkage_erlang_a, service_level_at_agents_erlang_a,
    abandonment_at_agents_erlang_a.
    """
    # The front ends' entry point: at least a minute and a second, so that no ratio of the
    # inputs (patience to handle time, calls to interval) reaches the recursions' limits.
    inputs.at_least("interval_min", interval_min, 1.0, " minute")
    inputs.at_least("aht_s", aht_s, 1.0, " second")
    result = erlang_c_staffing(
        calls, interval_min, aht_s, target_sl, target_s, max_occupancy, shrinkage
    )
    summary = result.to_dict()
    if patience_s is None:
        return summary
    # The front ends' entry point: a day's patience bounds the Erlang A chain (about a million
    # states at the largest load), so one request answers in about a second at most.
    patience_s = inputs.seconds("patience_s", patience_s)
    at_agents = erlang_a(result.traffic_erlangs, result.agents, aht_s, patience_s, target_s)
    needed = erlang_a_agents(
        result.traffic_erlangs, aht_s, patience_s, target_sl, target_s, max_occupancy
    )
    summary.update(
        patience_s=at_agents.patience_s,
        abandonment=at_agents.abandonment,
        service_level_erlang_a=at_agents.service_level,
        service_level_answered_erlang_a=at_agents.service_level_answered,
        probability_wait_erlang_a=at_agents.probability_wait,
        asa_s_erlang_a=at_agents.asa_s,
        occupancy_erlang_a=at_agents.occupancy,
        agents_erlang_a=needed.agents,
        agents_with_shrinkage_erlang_a=inputs.agents_after_shrinkage(
            needed.agents, inputs.shrinkage_fraction(shrinkage)
        ),
        service_level_at_agents_erlang_a=needed.service_level,
        abandonment_at_agents_erlang_a=needed.abandonment,
    )
    return summary
