"""The cost and self-service KPIs' plain-pandas reference (see ``business_reference``).

Written from the metric definitions and the docstrings of ``metrics/costs.py`` and
``self_service.py``, sharing no code with them: costs are spread over days with
``datetime.date`` arithmetic, sessions and messages are walked in Python loops.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pandas as pd
from business_base_reference import (
    _group,
    facts_of,
    in_query,
    period_of,
    quotient,
    summarise_mean,
    summarise_ratio,
    table,
)
from ticket_reference import Query, local_date, local_midnight


# -- costs -------------------------------------------------------------------------------------
def daily_costs(tables: dict[str, pd.DataFrame], tz: str) -> list[tuple[pd.Timestamp, float]]:
    """Each costs row spread over its days; labor cost on the local days no row covers."""
    out, covered = [], set()
    for c in table(tables, "costs"):
        first, last = pd.Timestamp(c["period_start"]).date(), pd.Timestamp(c["period_end"]).date()
        days = (last - first).days + 1
        for i in range(days):
            day = first + timedelta(days=i)
            covered.add(day)
            out.append((local_midnight(day, tz), float(c["amount"]) / days))
    cost = {a["agent_id"]: a.get("hourly_cost") for a in table(tables, "agents")}
    for a in table(tables, "agent_activity"):
        if a["state"] == "offline" or cost.get(a["agent_id"]) is None:
            continue
        if local_date(a["start_at"], tz) in covered:
            continue
        hours = (a["end_at"] - a["start_at"]).total_seconds() / 3600
        if hours > 0:
            out.append((a["start_at"], hours * cost[a["agent_id"]]))
    return out


def conversations(tables: dict[str, pd.DataFrame]) -> list[pd.Timestamp]:
    ats = [t["created_at"] for t in table(tables, "tickets")]
    ats += [
        c["answered_at"]
        for c in table(tables, "calls")
        if c.get("answered_at") is not None and (c.get("direction") or "inbound") == "inbound"
    ]
    return ats


def costs_kpi(name: str, tables: dict[str, pd.DataFrame], q: Query, o: dict[str, Any]):
    num = [(at, {}, x) for at, x in daily_costs(tables, q.tz)]
    if name == "cost_per_resolution":
        den = [
            (f.first_solved_at, {}, 1.0) for f in facts_of(tables) if f.first_solved_at is not None
        ]
    elif name == "cost_per_conversation":
        den = [(at, {}, 1.0) for at in conversations(tables)]
    else:
        den = [(r["ordered_at"], {}, float(r["amount"])) for r in table(tables, "orders")]
    # n is the denominator's count: tickets solved, conversations or orders.
    return quotient(q, num, den, n_counts="denominator")


# -- self-service ------------------------------------------------------------------------------
def self_service_kpi(name: str, tables: dict[str, pd.DataFrame], q: Query, o: dict[str, Any]):
    sessions = table(tables, "kb_sessions")
    if name == "kb_usage":
        return quotient(
            q,
            [(s["at"], {}, 1.0) for s in sessions],
            [(at, {}, 1.0) for at in conversations(tables)],
        )
    segment = {c["customer_id"]: c.get("segment") for c in table(tables, "customers")}
    tickets = table(tables, "tickets")
    if name == "self_service_success_rate":
        window = pd.Timedelta(hours=o["self_service_hours"])
        rows = []
        for s in sessions:
            if s.get("customer_id") is None:
                continue
            followed = any(
                t.get("customer_id") == s["customer_id"]
                and s["at"] <= t["created_at"] <= s["at"] + window
                for t in tickets
            )
            rows.append(
                (s["at"], {"segment": segment.get(s["customer_id"])}, (int(not followed), 1))
            )
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in table(tables, "ticket_events"):
        events[e["ticket_id"]].append(e)
    facts = {f.ticket_id: f for f in facts_of(tables)}
    if name == "customer_sentiment":
        rows = [
            (e["at"], facts[e["ticket_id"]].dims, float(e["sentiment"]))
            for evs in events.values()
            for e in evs
            if e["kind"] == "message"
            and e["actor_type"] == "customer"
            and e.get("sentiment") is not None
            and e["ticket_id"] in facts
        ]
        return {k: summarise_mean(v) for k, v in _group(q, rows).items()}
    if name == "angry_customer_rate":
        per: dict[tuple[str, str], list[tuple[pd.Timestamp, bool, Any]]] = defaultdict(list)
        for t in tickets:
            if not in_query(q, t["created_at"]):
                continue
            tags = t.get("tags")
            angry = tags is not None and "angry" in list(tags)
            angry = angry or any(
                e["kind"] == "message"
                and e["actor_type"] == "customer"
                and e.get("sentiment") is not None
                and e["sentiment"] < o["sentiment_threshold"]
                for e in events.get(t["ticket_id"], [])
            )
            who = t.get("customer_id") or "ticket:" + t["ticket_id"]
            per[(period_of(q, t["created_at"]), who)].append(
                (t["created_at"], angry, segment.get(t.get("customer_id")))
            )
        rows = [
            (min(a for a, _, _ in v), {"segment": v[0][2]}, (int(any(x for _, x, _ in v)), 1))
            for v in per.values()
        ]
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    end = local_midnight(q.end, q.tz) if q.end else None
    rows = []
    for tid, evs in events.items():
        if tid not in facts:
            continue
        f = facts[tid]
        bot = any(e["kind"] == "message" and e["actor_type"] == "bot" for e in evs)
        if name == "chatbot_interaction_rate":
            rows.append((f.created_at, f.dims, (int(bot), 1)))
        elif bot:
            human = any(
                e["kind"] == "message"
                and e["actor_type"] == "agent"
                and e.get("public") is not False
                for e in evs
            )
            solved = f.last_solved_at is not None and (end is None or f.last_solved_at < end)
            rows.append((f.created_at, f.dims, (int(solved and not human), 1)))
    return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
