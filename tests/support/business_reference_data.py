"""Seeded random data for the business KPIs' reference comparison (surveys to self-service).

Moved out of ``business_reference`` so that the one reference test's table of data sets
(``reference_data``) names every generator the same way. Small and messy on purpose:
customers who join and leave at any time, tickets with and without event histories, bots,
sentiments, angry tags, surveys sent and answered, orders, calls, knowledge-base sessions,
costs with gaps (labor cost fills them) and a cost period straddling months.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def random_tables(seed: int, tickets: int = 240) -> dict[str, pd.DataFrame]:
    """Small, messy, seeded data for every table the business KPIs read (2024, UTC)."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    span = 180 * 86400

    def when(n: int, lo: float = 0, hi: float = span) -> list[pd.Timestamp]:
        return [t0 + pd.Timedelta(seconds=int(s)) for s in rng.uniform(lo, hi, n)]

    segments = ["gold", "silver", None]
    n_customers = 60
    created = when(n_customers, -200 * 86400, span * 0.8)
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n_customers)],
            "created_at": created,
            "churned_at": [
                c + pd.Timedelta(days=int(rng.integers(5, 200))) if rng.random() < 0.4 else pd.NaT
                for c in created
            ],
            "segment": [segments[i] for i in rng.integers(0, 3, n_customers)],
        }
    )
    cust = list(customers["customer_id"]) + [None] * 10
    agents = pd.DataFrame(
        {"agent_id": ["a1", "a2", "a3"], "team": ["t1", "t1", "t2"],
         "hourly_cost": [30.0, 40.0, None]}
    )  # fmt: skip
    channels = ["email", "chat", "social"]
    created_t = when(tickets)
    ticket_rows, events = [], []
    for i, at in enumerate(created_t):
        tid = f"T{i:04d}"
        tags = ["angry"] if rng.random() < 0.05 else (["vip"] if rng.random() < 0.1 else None)
        ticket_rows.append(
            {"ticket_id": tid, "created_at": at, "channel": channels[rng.integers(0, 3)],
             "customer_id": cust[rng.integers(0, len(cust))],
             "assignee_id": ["a1", "a2", "a3", None][rng.integers(0, 4)],
             "team": ["t1", "t2", None][rng.integers(0, 3)], "tags": tags}
        )  # fmt: skip
        if rng.random() < 0.1:
            continue  # no event history
        clock = at
        sentiment = float(np.round(rng.uniform(-1, 1), 3)) if rng.random() < 0.8 else None
        events.append(_event(tid, clock, "message", "customer", sentiment=sentiment))
        if rng.random() < 0.4:
            clock += pd.Timedelta(minutes=1)
            events.append(_event(tid, clock, "message", "bot"))
        if rng.random() < 0.7:
            clock += pd.Timedelta(seconds=int(rng.uniform(300, 36000)))
            events.append(_event(tid, clock, "message", "agent", public=bool(rng.random() < 0.9)))
        if rng.random() < 0.3:
            clock += pd.Timedelta(minutes=30)
            events.append(_event(tid, clock, "message", "customer",
                                 sentiment=float(np.round(rng.uniform(-1, 1), 3))))  # fmt: skip
        if rng.random() < 0.75:
            clock += pd.Timedelta(seconds=int(rng.uniform(3600, 360000)))
            events.append(_event(tid, clock, "status", "agent", status="solved"))
    surveys = []
    scales = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 5), "asat": (1, 5)}
    for i in range(260):
        kind = ["csat", "nps", "ces", "asat"][rng.integers(0, 4)]
        low, high = scales[kind]
        sent = when(1)[0]
        answered = rng.random() < 0.7
        ticket_id = (
            f"T{rng.integers(0, tickets):04d}"
            if kind in ("csat", "ces") and rng.random() < 0.8
            else None
        )
        surveys.append(
            {"response_id": f"r{i:04d}", "kind": kind,
             "score": float(rng.integers(low, high + 1)) if answered else None,
             "sent_at": sent,
             "responded_at": sent + pd.Timedelta(seconds=int(rng.uniform(3600, 259200))) if answered else pd.NaT,  # noqa: E501
             "ticket_id": ticket_id, "customer_id": cust[rng.integers(0, len(cust))],
             "agent_id": ["a1", "a2", "a3"][rng.integers(0, 3)] if kind != "nps" else None}
        )  # fmt: skip
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i:04d}" for i in range(400)],
            "customer_id": [
                list(customers["customer_id"])[j] for j in rng.integers(0, n_customers, 400)
            ],
            "ordered_at": when(400),
            "amount": np.round(rng.uniform(5, 500, 400), 2),
        }
    )
    calls = pd.DataFrame(
        {
            "call_id": [f"k{i:03d}" for i in range(120)],
            "offered_at": (offered := when(120)),
            "answered_at": [
                o + pd.Timedelta(seconds=30) if rng.random() < 0.8 else pd.NaT for o in offered
            ],
            "direction": [["inbound", "outbound", None][j] for j in rng.integers(0, 3, 120)],
            "customer_id": [cust[j] for j in rng.integers(0, len(cust), 120)],
        }
    )
    sessions = pd.DataFrame(
        {
            "session_id": [f"s{i:03d}" for i in range(200)],
            "at": when(200),
            "customer_id": [cust[j] for j in rng.integers(0, len(cust), 200)],
        }
    )
    months = [
        (
            pd.Timestamp(f"2024-{m:02d}-01").date(),
            (pd.Timestamp(f"2024-{m:02d}-01") + pd.offsets.MonthEnd(0)).date(),
        )
        for m in (1, 2, 4)
    ]
    months.append((pd.Timestamp("2024-05-20").date(), pd.Timestamp("2024-06-10").date()))
    costs = pd.DataFrame(
        {
            "period_start": [a for a, _ in months],
            "period_end": [b for _, b in months],
            "amount": np.round(rng.uniform(1000, 5000, len(months)), 2),
            "category": ["labor", "labor", "tooling", "overhead"],
        }
    )
    starts = when(150)
    activity = pd.DataFrame(
        {
            "agent_id": [["a1", "a2", "a3"][j] for j in rng.integers(0, 3, 150)],
            "start_at": starts,
            "end_at": [s + pd.Timedelta(seconds=int(rng.uniform(600, 18000))) for s in starts],
            "state": [
                ["handling", "available", "offline", "break"][j] for j in rng.integers(0, 4, 150)
            ],
        }
    ).drop_duplicates(["agent_id", "start_at", "state"])
    ev = pd.DataFrame(events)
    ev.insert(0, "event_id", [f"e{i:05d}" for i in range(len(ev))])
    ev["public"] = ev["public"].astype("boolean")
    ev["sentiment"] = ev["sentiment"].astype("float64")
    sv = pd.DataFrame(surveys)
    sv["score"] = sv["score"].astype("float64")
    return {
        "customers": customers, "agents": agents, "tickets": pd.DataFrame(ticket_rows),
        "ticket_events": ev, "surveys": sv, "orders": orders, "calls": calls,
        "kb_sessions": sessions, "costs": costs, "agent_activity": activity,
    }  # fmt: skip


def _event(
    ticket_id: str,
    at: pd.Timestamp,
    kind: str,
    actor: str,
    public: bool | None = True,
    status: str | None = None,
    sentiment: float | None = None,
) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "at": at, "kind": kind, "actor_type": actor,
            "public": public if kind == "message" else None, "status": status,
            "sentiment": sentiment}  # fmt: skip
