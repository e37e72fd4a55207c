"""An independent plain-Python reference for the contact-centre KPIs (calls and agent time).

Written from the metric definitions in ``supportkpi.metrics.calls`` and ``.agents`` without
sharing their code: each call is classified in a Python loop, observations are dated at
``offered_at``, filtered and grouped in Python, and statistics use pandas (linear quantiles,
like DuckDB's ``quantile_cont``). The bucketing helpers come from ``ticket_reference``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd
from ticket_reference import Query, in_range, records, statistic, wilson

DAY = 86400
DEFAULTS: dict[str, Any] = {
    "short_abandon_s": 5.0,
    "service_level_s": 20.0,
    "service_level_variant": "default",
    "call_fcr_days": 7,
    "handling_states": ("handling", "after_call_work"),
    "available_states": ("available",),
    "logged_out_states": ("offline",),
}
RATES = ("answered_rate", "abandonment_rate", "service_level", "call_fcr_rate")
DURATIONS = ("average_speed_of_answer", "average_wait_time", "average_handle_time",
             "cost_per_call")  # fmt: skip
QUOTIENTS = ("agent_utilization", "occupancy")


def missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value))


def epoch(at: pd.Timestamp) -> int:
    """Whole epoch seconds (floor) of an instant."""
    return int(at.value // 10**9)


@dataclass
class Call:
    """One inbound call, as the definitions describe it."""

    call_id: str
    offered: pd.Timestamp
    dims: dict[str, Any]
    customer: str | None
    answered: bool
    wait: int | None  # time in queue; None when unknown or negative
    handle: float | None
    cost_per_s: float | None

    def short_abandon(self, short_s: float) -> bool:
        return not self.answered and self.wait is not None and self.wait < short_s


def inbound_calls(tables: dict[str, pd.DataFrame]) -> list[Call]:
    """Every inbound call (direction empty or inbound), classified."""
    agents = {a["agent_id"]: a for a in records(tables.get("agents", pd.DataFrame()))}
    out = []
    for c in records(tables["calls"]):
        direction = c.get("direction")
        if not missing(direction) and direction != "inbound":
            continue
        answered = not missing(c.get("answered_at"))
        offered = c["offered_at"]
        end = c["answered_at"] if answered else c.get("ended_at")
        wait = None if end is None or missing(end) else epoch(end) - epoch(offered)
        if wait is not None and wait < 0:
            wait = None
        handle = None
        talk = c.get("talk_s")
        if answered and talk is not None and not missing(talk):
            extra = [c.get("hold_s"), c.get("acw_s")]
            handle = float(talk) + sum(float(x) for x in extra if x is not None and not missing(x))
        agent_id = None if missing(c.get("agent_id")) else c["agent_id"]
        agent = agents.get(agent_id, {})
        team = agent.get("team")
        cost = agent.get("hourly_cost")
        out.append(
            Call(
                call_id=c["call_id"],
                offered=offered,
                dims={
                    "queue": None if missing(c.get("queue")) else c["queue"],
                    "agent": agent_id,
                    "team": None if missing(team) else team,
                },
                customer=None if missing(c.get("customer_id")) else c["customer_id"],
                answered=answered,
                wait=wait,
                handle=handle,
                cost_per_s=None if cost is None or missing(cost) else float(cost) / 3600,
            )
        )
    return out


def _repeated(call: Call, calls: list[Call], days: float, short_s: float) -> bool:
    start = epoch(call.offered)
    return any(
        other.customer == call.customer
        and not other.short_abandon(short_s)
        and start < epoch(other.offered) <= start + days * DAY
        for other in calls
    )


def call_observations(name: str, calls: list[Call], options: dict[str, Any]) -> list[Any]:
    """``(call, x)`` pairs behind ``name``; x is 0/1 for rates, seconds or money otherwise."""
    short_s = float(options["short_abandon_s"])
    counted = [c for c in calls if not c.short_abandon(short_s)]
    if name == "calls_offered":
        return [(c, 1) for c in calls]
    if name == "answered_rate":
        return [(c, int(c.answered)) for c in counted]
    if name == "abandonment_rate":
        return [(c, int(not c.answered)) for c in counted]
    if name == "service_level":
        variant = options["service_level_variant"]
        pool = {"answered_only": [c for c in calls if c.answered],
                "abandons_count_against": calls}.get(variant, counted)  # fmt: skip
        limit = float(options["service_level_s"])
        # wait None on an answered call means answered before offered: within T.
        return [(c, int(c.answered and (c.wait is None or c.wait <= limit))) for c in pool]
    if name == "average_speed_of_answer":
        return [(c, c.wait) for c in calls if c.answered and c.wait is not None]
    if name == "average_wait_time":
        return [(c, c.wait) for c in calls if c.wait is not None]
    if name == "average_handle_time":
        return [(c, c.handle) for c in calls if c.handle is not None]
    if name == "cost_per_call":
        return [(c, c.handle * c.cost_per_s) for c in calls
                if c.handle is not None and c.cost_per_s is not None]  # fmt: skip
    if name == "call_fcr_rate":
        days = float(options["call_fcr_days"])
        known = [c for c in calls if c.answered and c.customer is not None]
        return [(c, int(not _repeated(c, calls, days, short_s))) for c in known]
    raise ValueError(f"reference does not know {name!r}")


def _summary(name: str, stat: str, xs: list[float]) -> dict[str, Any]:
    n = len(xs)
    if name in RATES:
        k = float(sum(xs))
        low, high = wilson(k, n)
        return {"value": k / n, "n": n, "ci_low": low, "ci_high": high}
    if name == "calls_offered":
        return {"value": float(n), "n": n}
    return {"value": statistic(xs, stat or "mean"), "n": n}


def _matches(dims: dict[str, Any], where: dict[str, Any]) -> bool:
    for dim, wanted in where.items():
        values = wanted if isinstance(wanted, list | tuple | set) else [wanted]
        if dims.get(dim) not in values:
            return False
    return True


def _calls_kpi(name: str, stat: str, tables: dict[str, pd.DataFrame], q: Query) -> list[Any]:
    groups: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for c, x in call_observations(name, inbound_calls(tables), q.options):
        if in_range(c.offered, q.start, q.end, q.tz) and _matches(c.dims, q.where):
            groups[q.key(c.offered, c.dims)].append(float(x))
    return [{**q.row(k), **_summary(name, stat, xs)} for k, xs in groups.items()]


def _agent_kpi(name: str, tables: dict[str, pd.DataFrame], q: Query) -> list[Any]:
    opts = q.options
    teams = {a["agent_id"]: a.get("team") for a in records(tables.get("agents", pd.DataFrame()))}
    handled: dict[tuple[Any, ...], float] = defaultdict(float)
    total: dict[tuple[Any, ...], float] = defaultdict(float)
    intervals: dict[tuple[Any, ...], int] = defaultdict(int)
    for a in records(tables["agent_activity"]):
        seconds = epoch(a["end_at"]) - epoch(a["start_at"])
        state = a["state"]
        handling = state in opts["handling_states"]
        if name == "agent_utilization":
            counts = state not in opts["logged_out_states"]
        else:
            counts = handling or state in opts["available_states"]
        team = teams.get(a["agent_id"])
        dims = {"agent": a["agent_id"], "team": None if missing(team) else team}
        if seconds <= 0 or not counts or not _matches(dims, q.where):
            continue
        if not in_range(a["start_at"], q.start, q.end, q.tz):
            continue
        key = q.key(a["start_at"], dims)
        total[key] += seconds
        intervals[key] += 1
        if handling:
            handled[key] += seconds
    return [
        {**q.row(k), "value": handled[k] / total[k], "n": intervals[k]} for k in total if total[k]
    ]


def reference_kpi(
    tables: dict[str, pd.DataFrame],
    metric: str,
    start: str | None = None,
    end: str | None = None,
    grain: str | None = None,
    by: list[str] | None = None,
    tz: str = "UTC",
    options: dict[str, Any] | None = None,
    where: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The reference answer for one call or agent KPI selector, in the library's shape."""
    name, _, stat = metric.partition(":")
    merged = {**DEFAULTS, **dict(options or {})}
    q = Query(start, end, grain, list(by or []), tz, dict(where or {}), "event", merged)
    rows = _agent_kpi(name, tables, q) if name in QUOTIENTS else _calls_kpi(name, stat, tables, q)
    if not rows and not grain and not by:
        rows = [{"value": None, "n": 0}]
    frame = pd.DataFrame(rows)
    shown = f"{name}:{stat or 'mean'}" if name in DURATIONS else metric
    frame.insert(0, "metric", shown)
    return frame
