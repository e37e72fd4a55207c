"""An independent plain-Python reference for ``sla_compliance`` (SPEC §5).

Written from the metric's definition, SPEC §5 and the target rules of docs/ticket-kpis.md,
sharing no code with ``supportkpi.metrics.sla`` or ``supportkpi.calendar``: each ticket's
policy is the first whose match lists all hold, its target clocks are read off the ticket
reference's facts and its own walk over the events, and business time is counted by
clipping every opening interval of every local day (``zoneinfo``) to the clock.

- ``first_response``: start (first customer message, else creation) → first response; none
  for agent-initiated tickets.
- ``next_response``: each later run of public customer messages → the next public agent
  message (or still waiting).
- ``resolution``: creation → the solve of a ticket solved now.

"Now" is the report end, else the time of the query: a fulfilment at or after it has not
happened yet. A clock is met when fulfilled within its target, breached when its elapsed
time passed the target, and running otherwise (left out). Outcomes are dated when the clock
started (``cohort="created"``: at creation).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from ticket_reference import Facts, Query, in_range, local_midnight, records, ticket_facts, wilson

HOUR = 3600.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Three policies: calendar and business time, every target type, a policy without
#: next_response, and tickets no policy matches (channel chat/phone/social, other tiers).
SLA_CONFIG: dict[str, Any] = {
    "business_hours": {
        "timezone": "Europe/Berlin",  # the DST switch of 2024-03-31 lies inside the data
        "holidays": ["2024-04-01", "2024-05-01"],
        "week": {
            "mon": ["09:00-17:00"],
            "tue": ["09:00-12:00", "13:00-17:00"],
            "wed": ["09:00-17:00"],
            "thu": ["09:00-17:00"],
            "fri": ["09:00-15:00"],
        },
    },
    "sla": [
        {"name": "urgent", "priority": ["urgent"], "first_response": "12h",
         "next_response": "12h", "resolution": "2d"},
        {"name": "enterprise", "segment": ["enterprise"], "first_response": "4h",
         "next_response": "8h", "resolution": "3d", "business_hours": True},
        {"name": "email", "channel": ["email", "web"], "first_response": "1d",
         "resolution": "5d"},
    ],
}  # fmt: skip
UNIT_SECONDS = {"m": 60.0, "h": HOUR, "d": 24 * HOUR}
MATCH_KEYS = ("priority", "segment", "channel")


@dataclass
class Clock:
    """One target clock of one ticket."""

    facts: Facts
    policy: dict[str, Any]
    target: str
    start: pd.Timestamp
    fulfilled: pd.Timestamp | None


def _policy(f: Facts, policies: list[dict[str, Any]]) -> dict[str, Any] | None:
    for policy in policies:
        if all(f.dims.get(k) in policy[k] for k in MATCH_KEYS if k in policy):
            return policy
    return None


def _public(e: dict[str, Any], actor: str) -> bool:
    public = e.get("public")
    is_public = public is None or public is pd.NA or bool(public)
    return e["kind"] == "message" and e["actor_type"] == actor and is_public


def _runs(evs: list[dict[str, Any]]) -> list[tuple[pd.Timestamp, pd.Timestamp | None]]:
    """Runs of public customer messages with the next public agent message (or None)."""
    out: list[tuple[pd.Timestamp, pd.Timestamp | None]] = []
    run_start = None
    for e in sorted(evs, key=lambda e: (e["at"], e["event_id"])):
        if _public(e, "customer") and run_start is None:
            run_start = e["at"]
        elif _public(e, "agent") and run_start is not None and e["at"] > run_start:
            out.append((run_start, e["at"]))
            run_start = None
    if run_start is not None:
        out.append((run_start, None))
    return out


def clocks(tables: dict[str, pd.DataFrame], policies: list[dict[str, Any]]) -> list[Clock]:
    """Every target clock of every ticket with a matching policy."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in records(tables["ticket_events"]):
        events[e["ticket_id"]].append(e)
    out = []
    for f in ticket_facts(tables):
        policy = _policy(f, policies)
        if policy is None:
            continue
        found = []
        if not f.agent_initiated:
            found.append(("first_response", f.start_at, f.first_response_at))
        if f.first_response_at is not None:
            found += [
                ("next_response", start, reply)
                for start, reply in _runs(events.get(f.ticket_id, []))
                if start > f.first_response_at
            ]
        found.append(("resolution", f.created_at, f.last_solved_at))
        out += [Clock(f, policy, *c) for c in found if c[0] in policy]
    return out


class BusinessTime:
    """Open seconds of one weekly schedule in its own timezone, minus the holidays."""

    def __init__(self, section: dict[str, Any]) -> None:
        self.tz = ZoneInfo(section["timezone"])
        self.closed = {date.fromisoformat(d) for d in section.get("holidays", [])}
        self.week = {
            WEEKDAYS.index(day): [tuple(part.split("-")) for part in parts]
            for day, parts in section["week"].items()
        }

    def _openings(self, day: date) -> list[tuple[float, float]]:
        if day in self.closed:
            return []
        out = []
        for start, end in self.week.get(day.weekday(), []):
            a = datetime.combine(day, datetime.strptime(start, "%H:%M").time(), self.tz)
            b = datetime.combine(day, datetime.strptime(end, "%H:%M").time(), self.tz)
            out.append((a.timestamp(), b.timestamp()))
        return out

    def seconds(self, start: pd.Timestamp, end: pd.Timestamp) -> float:
        """Open seconds in ``[start, end)``; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.seconds(end, start)
        t0, t1 = start.timestamp(), end.timestamp()
        day = start.tz_convert(self.tz).date() - timedelta(days=1)
        last = end.tz_convert(self.tz).date() + timedelta(days=1)
        total = 0.0
        while day <= last:
            for a, b in self._openings(day):
                total += max(0.0, min(b, t1) - max(a, t0))
            day += timedelta(days=1)
        return total


def target_seconds(text: str) -> float:
    """``"4h"`` → 14400.0 (the configs here use one unit per target)."""
    return float(text[:-1]) * UNIT_SECONDS[text[-1]]


def outcome(clock: Clock, now: pd.Timestamp, business: BusinessTime) -> str:
    """``met``, ``breached`` or ``running`` as of ``now``."""
    done = clock.fulfilled is not None and clock.fulfilled < now
    end = clock.fulfilled if done and clock.fulfilled is not None else now
    if clock.policy.get("business_hours"):
        elapsed = business.seconds(clock.start, end)
    else:
        elapsed = (end - clock.start).total_seconds()
    target = target_seconds(clock.policy[clock.target])
    if done and elapsed <= target:
        return "met"
    return "breached" if elapsed > target else "running"


def _dims(clock: Clock) -> dict[str, Any]:
    return {**clock.facts.dims, "sla_target": clock.target, "sla_policy": clock.policy["name"]}


def sla_kpi(
    tables: dict[str, pd.DataFrame],
    metric: str,
    start: str | None = None,
    end: str | None = None,
    grain: str | None = None,
    by: list[str] | None = None,
    tz: str = "UTC",
    options: dict[str, Any] | None = None,
    where: dict[str, Any] | None = None,
    cohort: str = "event",
    config: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The reference answer for ``sla_compliance`` under ``config`` (default SLA_CONFIG)."""
    assert metric == "sla_compliance" and not options, metric
    settings = config or SLA_CONFIG
    q = Query(start, end, grain, list(by or []), tz, dict(where or {}), cohort, {})
    now = local_midnight(end, tz) if end else pd.Timestamp(int(time.time()), unit="s", tz="UTC")
    business = BusinessTime(settings["business_hours"])
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for clock in clocks(tables, settings["sla"]):
        if clock.start > now:
            continue
        result = outcome(clock, now, business)
        at = clock.facts.created_at if cohort == "created" else clock.start
        dims = _dims(clock)
        wanted = all(
            dims.get(d) in (v if isinstance(v, list | tuple | set) else [v])
            for d, v in q.where.items()
        )
        if result != "running" and wanted and in_range(at, q.start, q.end, q.tz):
            groups[q.key(at, dims)].append(int(result == "met"))
    rows = []
    for key, xs in groups.items():
        low, high = wilson(sum(xs), len(xs))
        rows.append(
            {**q.row(key), "value": sum(xs) / len(xs), "n": len(xs), "ci_low": low, "ci_high": high}
        )
    if not rows and not grain and not by:
        rows = [{"value": None, "n": 0}]
    frame = pd.DataFrame(rows)
    frame.insert(0, "metric", metric)
    return frame
