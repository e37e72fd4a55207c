"""Seeded random ticket data for the reference comparison (moved out of the old test module).

About 300 tickets with every kind of history the doc cares about (bots, notes, private
replies, reopens, double solves, closes, escalations, agent-created tickets, tickets without
events, time travel, fallback columns that disagree with the events), customers with segments
and agent activity. The same tables feed the ticket KPIs and SLA compliance
(``reference_data``), so the draws must not change: the old results stay comparable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from kpi_support import frame_with_times

SEED = 20240229
N_TICKETS = 300
BASE = pd.Timestamp("2024-02-20", tz="UTC")
DAYS = 101  # tickets created 2024-02-20 .. 2024-05-30
AGENTS = [f"a{i}" for i in range(1, 7)]
STATUS_PATTERNS = {  # pattern: probability
    "open": 0.16, "solved": 0.28, "solved_closed": 0.1, "reopen_solved": 0.1,
    "solved_twice": 0.06, "reopened_open": 0.07, "closed_direct": 0.08, "open_closed": 0.08,
    "time_travel": 0.04, "pending": 0.03,
}  # fmt: skip


def pick(rng: np.random.Generator, options: list[Any]) -> Any:
    """One of ``options`` (which may hold None, unlike numpy's choice)."""
    return options[int(rng.integers(len(options)))]


class TicketWriter:
    """Builds one ticket's events on a clock that only moves forward (whole seconds)."""

    def __init__(self, rng: np.random.Generator, ticket_id: str, created: pd.Timestamp) -> None:
        self.rng, self.ticket_id, self.created = rng, ticket_id, created
        self.clock = created
        self.events: list[dict[str, Any]] = []

    def later(self, low: int, high: int) -> pd.Timestamp:
        self.clock = self.clock + pd.Timedelta(seconds=int(self.rng.integers(low, high)))
        return self.clock

    def add(self, at: pd.Timestamp, kind: str, actor: str, **cols: Any) -> None:
        self.events.append(
            {"ticket_id": self.ticket_id, "at": at, "kind": kind, "actor_type": actor, **cols}
        )

    def public(self) -> bool | None:
        return bool(self.rng.random() < 0.8) or None  # null means public too

    def customer(self, low: int = 60, high: int = 86400) -> None:
        self.add(self.later(low, high), "message", "customer", public=self.public())

    def agent(self, agent: str, low: int = 60, high: int = 2 * 86400) -> None:
        self.add(self.later(low, high), "message", "agent", actor_id=agent, public=self.public())

    def status(self, new: str, agent: str, low: int = 600, high: int = 3 * 86400) -> None:
        by_agent = self.rng.random() < 0.7
        self.add(
            self.later(low, high), "status", "agent" if by_agent else "system",
            actor_id=agent if by_agent else None, status=new,
        )  # fmt: skip


def _conversation(w: TicketWriter, agent: str, agent_first: bool) -> None:
    rng = w.rng
    if agent_first:
        w.add(w.created, "message", "agent", actor_id=agent, public=True)
        if rng.random() < 0.5:  # the customer answers: no longer agent-initiated
            w.customer()
    else:
        if rng.random() < 0.2:
            w.add(w.created, "status", "system", status="new")
            w.customer(1, 3600)
        else:
            w.add(w.created, "message", "customer", public=True)
    for kind, chance in (("bot", 0.3), ("note", 0.2), ("private", 0.1)):
        if rng.random() < chance:
            at = w.later(5, 600)
            if kind == "bot":
                w.add(at, "message", "bot", actor_id="bot1", public=True)
            else:
                w.add(at, "note" if kind == "note" else "message", "agent", actor_id=agent,
                      public=False)  # fmt: skip
    for _ in range(int(rng.choice([0, 1, 2, 3], p=[0.15, 0.45, 0.25, 0.15]))):
        w.agent(agent if rng.random() < 0.8 else str(rng.choice(AGENTS)))
        if rng.random() < 0.15:
            w.agent(agent, 30, 3600)  # two replies in a row
        for _ in range(int(rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15]))):
            if rng.random() < 0.2:
                w.add(w.later(5, 300), "message", "bot", actor_id="bot1", public=True)
            w.customer()
    if rng.random() < 0.12:
        w.add(w.later(60, 7200), "escalation", "system", level=2)


def _statuses(w: TicketWriter, agent: str, pattern: str) -> None:
    if pattern == "time_travel":
        w.add(w.created - pd.Timedelta(seconds=int(w.rng.integers(600, 7200))), "status",
              "agent", actor_id=agent, status="solved")  # fmt: skip
        return
    steps = {
        "open": [], "pending": ["pending"], "solved": ["solved"],
        "solved_closed": ["solved", "closed"], "solved_twice": ["solved", "solved"],
        "reopen_solved": ["solved", "reopen", "solved"], "reopened_open": ["solved", "reopen"],
        "closed_direct": ["closed"], "open_closed": ["open", "closed"],
    }[pattern]  # fmt: skip
    for step in steps:
        if step == "reopen":
            w.customer(3600, 4 * 86400)
            w.status(str(w.rng.choice(["open", "pending", "new", "on_hold"])), agent, 1, 600)
            if w.rng.random() < 0.7:
                w.agent(agent)
        else:
            w.status(step, agent)


def generate(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The random-but-seeded canonical tables."""
    rng = np.random.default_rng(seed)
    # Close columns come from their own stream, so the other draws stay as they were.
    close_rng = np.random.default_rng(seed + 1)
    tickets, events = [], []
    for i in range(N_TICKETS):
        tid = f"t{i:04d}"
        created = BASE + pd.Timedelta(seconds=int(rng.integers(0, DAYS * 86400)))
        assignee = None if rng.random() < 0.08 else str(rng.choice(AGENTS))
        customer = None if rng.random() < 0.08 else f"c{int(rng.integers(1, 61)):03d}"
        row: dict[str, Any] = {
            "ticket_id": tid, "created_at": created, "customer_id": customer,
            "channel": str(rng.choice(["email", "chat", "phone", "social", "web"],
                                      p=[0.35, 0.25, 0.15, 0.15, 0.1])),
            "assignee_id": assignee,
            "team": None if rng.random() < 0.1 else str(rng.choice(["t1", "t2", "t3"])),
            "priority": None if rng.random() < 0.05 else str(rng.choice(
                ["low", "normal", "high", "urgent"], p=[0.3, 0.4, 0.2, 0.1])),
        }  # fmt: skip
        kind = rng.random()
        if kind < 0.08 or rng.random() < 0.3:  # no events, or noise the events must override
            hours = pd.Timedelta(hours=1)
            row["first_response_at"] = (
                None if rng.random() < 0.3 else created + int(rng.integers(-2, 48)) * hours
            )
            row["solved_at"] = (
                None if rng.random() < 0.3 else created + int(rng.integers(-3, 240)) * hours
            )
            row["reopens"] = pick(rng, [None, 0, 0, 1, 2])
            row["escalated"] = pick(rng, [None, True, False, False])
            # Exports with only a close time, or only a closed status (issue 11, defect 5).
            row["status"] = pick(close_rng, [None, "open", "pending", "solved", "closed"])
            row["closed_at"] = (
                created + int(close_rng.integers(0, 300)) * hours
                if close_rng.random() < 0.4
                else None
            )
        tickets.append(row)
        if kind < 0.08:
            continue
        w = TicketWriter(rng, tid, created)
        agent = assignee or str(rng.choice(AGENTS))
        _conversation(w, agent, agent_first=kind < 0.18)
        pattern = str(rng.choice(list(STATUS_PATTERNS), p=list(STATUS_PATTERNS.values())))
        _statuses(w, agent, pattern)
        events += w.events
    event_frame = pd.DataFrame(events)
    event_frame.insert(0, "event_id", [f"e{i:06d}" for i in range(len(event_frame))])
    event_frame["public"] = event_frame["public"].astype("boolean")
    event_frame["level"] = event_frame["level"].astype("Int64")
    ticket_frame = pd.DataFrame(tickets)
    for col in ("first_response_at", "solved_at", "closed_at"):
        ticket_frame[col] = pd.to_datetime(ticket_frame[col], utc=True)
    ticket_frame["reopens"] = ticket_frame["reopens"].astype("Int64")
    ticket_frame["escalated"] = ticket_frame["escalated"].astype("boolean")
    return {
        "tickets": ticket_frame,
        "ticket_events": event_frame,
        "customers": _customers(rng),
        "agent_activity": _activity(rng),
    }


def _customers(rng: np.random.Generator) -> pd.DataFrame:
    rows = [
        {"customer_id": f"c{i:03d}", "created_at": "2023-06-01",
         "segment": pick(rng, ["smb", "mid", "enterprise", None])}
        for i in range(1, 51)  # c051..c060 are unknown customers: segment null
    ]  # fmt: skip
    return frame_with_times(rows, ["created_at"])


def _activity(rng: np.random.Generator) -> pd.DataFrame:
    states = ["available", "handling", "after_call_work", "break", "training", "offline"]
    rows = []
    for agent in AGENTS:
        for day in pd.date_range("2024-02-19", "2024-06-10", freq="D", tz="UTC"):
            clock = day + pd.Timedelta(minutes=int(rng.integers(6 * 60, 10 * 60)))
            for _ in range(int(rng.integers(1, 4))):
                end = clock + pd.Timedelta(minutes=int(rng.integers(20, 300)))
                rows.append({"agent_id": agent, "start_at": clock, "end_at": end,
                             "state": str(rng.choice(states))})  # fmt: skip
                clock = end
    return pd.DataFrame(rows)
