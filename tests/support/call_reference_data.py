"""Seeded random call data for the reference comparison (moved out of the old test module).

About 600 calls over three months with every situation the definitions care about: short
and long abandons (some without ``ended_at``), waits exactly at the thresholds, outbound and
direction-less calls, calls without a talk time or with empty hold/after-call work, agents
without a team or a cost, unknown customers, repeat callers inside and outside the FCR
window, answers stamped before the offer (bad data); and agent activity in every state,
including zero-length intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SEED = 20240331
N_CALLS = 600
BASE = pd.Timestamp("2024-03-01", tz="UTC")
DAYS = 92  # 2024-03-01 .. 2024-05-31
AGENTS = ["a1", "a2", "a3", "a4", "a5", "a9"]  # a9 is not in the agents table
QUEUES = ["billing", "support", "sales", None]
STATES = ["handling", "after_call_work", "available", "break", "training", "meeting", "offline"]


def _seconds(rng: np.random.Generator, low: int, high: int) -> pd.Timedelta:
    return pd.Timedelta(seconds=int(rng.integers(low, high)))


def _wait(rng: np.random.Generator) -> int:
    """Waits that hit the thresholds (5 s short abandon, 20 s service level) now and then."""
    if rng.random() < 0.35:
        return int(rng.choice([0, 4, 5, 6, 19, 20, 21, 45]))
    return int(rng.exponential(40))


def _call(
    rng: np.random.Generator, i: int, offered: pd.Timestamp, customer: str | None
) -> dict[str, Any]:
    wait = _wait(rng)
    answered = rng.random() < 0.72
    agent = str(rng.choice(AGENTS)) if answered and rng.random() < 0.95 else None
    row: dict[str, Any] = {
        "call_id": f"c{i:04d}", "queue": QUEUES[int(rng.integers(len(QUEUES)))],
        "direction": str(rng.choice(["inbound", "inbound", "none", "outbound"],
                                    p=[0.6, 0.1, 0.25, 0.05])),
        "customer_id": customer, "agent_id": agent, "offered_at": offered,
        "answered_at": None, "ended_at": None, "talk_s": None, "hold_s": None, "acw_s": None,
    }  # fmt: skip
    if row["direction"] == "none":
        row["direction"] = None
    if answered:
        answered_at = offered + pd.Timedelta(seconds=wait)
        if rng.random() < 0.02:  # bad data: answered before it was offered
            answered_at = offered - _seconds(rng, 1, 60)
        talk = None if rng.random() < 0.08 else float(rng.integers(30, 1200))
        row.update(
            answered_at=answered_at,
            ended_at=answered_at + pd.Timedelta(seconds=talk or 60),
            talk_s=talk,
            hold_s=None if rng.random() < 0.3 else float(rng.choice([0, 15, 60, 180])),
            acw_s=None if rng.random() < 0.2 else float(rng.integers(0, 300)),
        )
        if rng.random() < 0.03:  # a talk time on an unanswered call must never count
            row.update(answered_at=None)
    elif rng.random() < 0.85:
        row["ended_at"] = offered + pd.Timedelta(seconds=wait)
    return row


def generate(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The random-but-seeded calls, agents and agent_activity tables."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    i = 0
    while i < N_CALLS:
        offered = BASE + _seconds(rng, 0, DAYS * 86400)
        customer = None if rng.random() < 0.15 else f"k{int(rng.integers(1, 120)):03d}"
        rows.append(_call(rng, i, offered, customer))
        i += 1
        if customer is not None and rng.random() < 0.3:  # a repeat call, often within 7 d
            gap = pd.Timedelta(
                seconds=int(rng.choice([7 * 86400, 7 * 86400 + 1]))
                if rng.random() < 0.1
                else int(rng.exponential(4 * 86400))
            )
            rows.append(_call(rng, i, offered + gap, customer))  # fmt: skip
            i += 1
    calls = pd.DataFrame(rows)
    for col in ("offered_at", "answered_at", "ended_at"):
        calls[col] = pd.to_datetime(calls[col], utc=True)
    for col in ("talk_s", "hold_s", "acw_s"):
        calls[col] = calls[col].astype("float64")
    agents = pd.DataFrame(
        [
            {"agent_id": "a1", "team": "t1", "hourly_cost": 30.0},
            {"agent_id": "a2", "team": "t1", "hourly_cost": 42.5},
            {"agent_id": "a3", "team": "t2", "hourly_cost": None},
            {"agent_id": "a4", "team": None, "hourly_cost": 25.0},
            {"agent_id": "a5", "team": "t2", "hourly_cost": 55.0},
        ]
    )
    return {"calls": calls, "agents": agents, "agent_activity": _activity(rng)}


def _activity(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for agent in AGENTS:
        for day in pd.date_range("2024-03-01", "2024-05-31", freq="D", tz="UTC"):
            if rng.random() < 0.3:
                continue
            clock = day + pd.Timedelta(minutes=int(rng.integers(5 * 60, 10 * 60)))
            for _ in range(int(rng.integers(2, 7))):
                minutes = 0 if rng.random() < 0.03 else int(rng.integers(5, 180))
                end = clock + pd.Timedelta(minutes=minutes)
                rows.append({"agent_id": agent, "start_at": clock, "end_at": end,
                             "state": str(rng.choice(STATES))})  # fmt: skip
                clock = end + pd.Timedelta(seconds=1)  # keys (agent, start, state) stay unique
    return pd.DataFrame(rows)
