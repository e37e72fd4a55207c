"""Per-ticket facts for the ticket KPIs' independent reference, written from docs/ticket-kpis.md.

Split out of ``ticket_reference`` so that the SLA reference (and the business KPIs' one) can
read the same facts without importing the whole metric reference. It shares no code with
``supportkpi.metrics``: each ticket's sorted events are walked in a Python loop.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

SOLVED = ("solved", "closed")


def epoch(at: pd.Timestamp) -> int:
    """Whole epoch seconds of an instant."""
    return int(at.value // 10**9)


def seconds(start: pd.Timestamp, end: pd.Timestamp) -> int:
    return epoch(end) - epoch(start)


@dataclass
class Facts:
    """What the doc's per-ticket facts table says about one ticket."""

    ticket_id: str
    created_at: pd.Timestamp
    dims: dict[str, Any]
    customer_id: str | None
    has_events: bool
    start_at: pd.Timestamp
    agent_initiated: bool = False
    first_response_at: pd.Timestamp | None = None
    first_solved_at: pd.Timestamp | None = None
    last_solved_at: pd.Timestamp | None = None
    reopens: int = 0
    escalated: bool = False
    agent_replies: int | None = None
    customer_messages: int | None = None
    solver: str | None = None
    customer_message_times: list[pd.Timestamp] = field(default_factory=list)
    status_events: list[tuple[pd.Timestamp, str]] = field(default_factory=list)
    runs: list[tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)
    fallback_solved_at: pd.Timestamp | None = None
    closed_untimed: bool = False


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as plain dicts."""
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _val(value: Any) -> Any:
    return None if value is None or value is pd.NaT or pd.isna(value) else value


def _is_public(event: dict[str, Any]) -> bool:
    return _val(event.get("public")) is not False  # null counts as public


def ticket_facts(tables: dict[str, pd.DataFrame]) -> list[Facts]:
    """One :class:`Facts` per row of ``tickets``."""
    tickets = tables["tickets"]
    events = tables.get("ticket_events", pd.DataFrame(columns=["ticket_id", "at", "event_id"]))
    customers = tables.get("customers", pd.DataFrame(columns=["customer_id", "segment"]))
    segments = {r["customer_id"]: _val(r.get("segment")) for r in records(customers)}
    by_ticket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in records(events):
        by_ticket[event["ticket_id"]].append(event)
    out = []
    for row in records(tickets):
        row = {k: _val(v) for k, v in row.items()}
        customer = row.get("customer_id")
        dims = {
            "channel": row.get("channel"),
            "team": row.get("team"),
            "priority": row.get("priority"),
            "agent": row.get("assignee_id"),
            "segment": segments.get(customer) if customer is not None else None,
        }
        created = row["created_at"]
        evs = sorted(by_ticket.get(row["ticket_id"], []), key=lambda e: (e["at"], e["event_id"]))
        facts = Facts(row["ticket_id"], created, dims, customer, bool(evs), created)
        if evs:
            _facts_from_events(facts, evs, row)
        else:
            facts.first_response_at = row.get("first_response_at")
            # Closing is the solve when the export has only a close time.
            solved = row.get("solved_at")
            solved = row.get("closed_at") if solved is None else solved
            facts.first_solved_at = facts.last_solved_at = solved
            facts.fallback_solved_at = solved
            facts.closed_untimed = solved is None and row.get("status") in SOLVED
            facts.reopens = int(row.get("reopens") or 0)
            facts.escalated = bool(row.get("escalated") or False)
            facts.solver = row.get("assignee_id")
        out.append(facts)
    return out


def _facts_from_events(facts: Facts, evs: list[dict[str, Any]], row: dict[str, Any]) -> None:
    def is_message(e: dict[str, Any], actor: str) -> bool:
        return e["kind"] == "message" and e["actor_type"] == actor

    customer_msgs = [e for e in evs if is_message(e, "customer")]
    public_agent = [e for e in evs if is_message(e, "agent") and _is_public(e)]
    public_customer = [e for e in customer_msgs if _is_public(e)]
    if customer_msgs:
        facts.start_at = customer_msgs[0]["at"]
    first = evs[0]
    facts.agent_initiated = not customer_msgs and is_message(first, "agent") and _is_public(first)
    facts.first_response_at = next(
        (e["at"] for e in public_agent if e["at"] > facts.start_at), None
    )
    facts.agent_replies = len(public_agent)
    facts.customer_messages = len(public_customer)
    facts.customer_message_times = [e["at"] for e in public_customer]
    facts.escalated = any(e["kind"] == "escalation" for e in evs)

    solves, previous = [], None
    for e in evs:
        if e["kind"] != "status":
            continue
        facts.status_events.append((e["at"], e["status"]))
        if e["status"] == "solved" or (e["status"] == "closed" and previous not in SOLVED):
            solves.append(e)
        previous = e["status"]
    solved_now = bool(facts.status_events) and facts.status_events[-1][1] in SOLVED
    if solves:
        facts.first_solved_at = solves[0]["at"]
        facts.last_solved_at = solves[-1]["at"] if solved_now else None
        facts.reopens = len(solves) - 1 + (0 if solved_now else 1)
        solver = _val(solves[0].get("actor_id"))
        by_agent = solves[0]["actor_type"] == "agent" and solver is not None
        facts.solver = solver if by_agent else row.get("assignee_id")
    else:
        facts.solver = row.get("assignee_id")

    # response_time runs: public customer/agent messages only; bots and notes are invisible.
    run_start = None
    for e in evs:
        if not _is_public(e) or e["kind"] != "message":
            continue
        if e["actor_type"] == "customer" and run_start is None:
            run_start = e["at"]
        elif e["actor_type"] == "agent" and run_start is not None:
            facts.runs.append((run_start, e["at"]))
            run_start = None


def open_at(facts: Facts, when: pd.Timestamp) -> bool:
    """Is the ticket in the backlog at ``when`` (created before it and not solved at it)?

    An event exactly at ``when`` belongs to the next bucket, so it does not count yet.
    """
    if not facts.created_at < when:
        return False
    if not facts.has_events:
        if facts.closed_untimed:  # solved or closed at an unknown time: never in the backlog
            return False
        solved = facts.fallback_solved_at
        return solved is None or solved >= when
    last = None
    for at, new_status in facts.status_events:
        if at < when:
            last = new_status
    return last not in SOLVED
