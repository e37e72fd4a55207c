"""Inbound calls: queue waits that grow with the load, patience-driven abandonment, callbacks.

Each caller has a patience (exponential); a call is abandoned when the wait exceeds it, so
abandonment rises with the wait. A few callers hang up within seconds (short abandons).
Unresolved and abandoned callers often call again within a week (repeat callers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from supportkpi.demo import parameters as p
from supportkpi.demo.clock import DAY, Clock
from supportkpi.demo.columns import canonical_table, ids, nullable, pick, timestamps
from supportkpi.demo.people import Customers, Roster


@dataclass
class _Calls:
    offered: np.ndarray
    queue: np.ndarray
    customer: np.ndarray
    wait: np.ndarray
    patience: np.ndarray
    talk: np.ndarray
    hold: np.ndarray
    acw: np.ndarray
    agent: np.ndarray
    resolved: np.ndarray

    @property
    def answered(self) -> np.ndarray:
        return self.wait <= self.patience

    def subset(self, rows: np.ndarray) -> _Calls:
        return _Calls(**{name: values[rows] for name, values in vars(self).items()})


def _ring(
    rng: np.random.Generator,
    clock: Clock,
    roster: Roster,
    offered: np.ndarray,
    queue: np.ndarray,
    customer: np.ndarray,
    load: np.ndarray,
) -> _Calls:
    """Queue waits, abandonment, handling times and agents of calls offered at ``offered``."""
    count = len(offered)
    wait = np.round(rng.exponential(p.MEAN_WAIT_S * load**1.5))
    patience = np.round(rng.exponential(p.MEAN_PATIENCE_S, count)) + 1
    short = rng.random(count) < p.SHORT_ABANDON_SHARE
    patience[short] = rng.integers(1, 5, size=int(short.sum()))
    talk = np.round(rng.lognormal(np.log(np.asarray(p.QUEUE_TALK_S)[queue]), 0.6))
    hold = np.where(rng.random(count) < 0.3, np.round(rng.exponential(45.0, count)), 0.0)
    acw = np.round(rng.lognormal(np.log(40.0), 0.5, count))
    agent = roster.pick(rng, np.asarray(p.QUEUE_TEAM, np.int8)[queue], offered)
    answered = wait <= patience
    resolved = answered & (rng.random(count) < p.CALL_RESOLVED_SHARE)
    return _Calls(offered, queue, customer, wait, patience, talk, hold, acw, agent, resolved)


def calls_table(
    rng: np.random.Generator, clock: Clock, tickets: int, roster: Roster, customers: Customers
) -> pa.Table:
    """Calls offered while the desk is open, plus the callbacks of unhappy callers."""
    intensity = clock.arrival_intensity() * clock.open[: clock.window_hours]
    mean_open = intensity[intensity > 0].mean()
    count = max(1, round(tickets * p.CALLS_PER_TICKET))
    offered = clock.sample_instants(rng, count, intensity)
    load = intensity[clock.hour_of(offered)] / mean_open
    queue = rng.choice(len(p.QUEUES), size=count, p=p.QUEUE_SHARE)
    customer = np.where(rng.random(count) < p.KNOWN_CALLER_SHARE, customers.pick(rng, offered), -1)
    first = _ring(rng, clock, roster, offered, queue, customer, load)

    # Callbacks within a week, mostly of callers whose problem was not solved.
    again = np.where(first.resolved, p.CALLBACK_IF_RESOLVED, p.CALLBACK_IF_UNRESOLVED)
    callers = np.flatnonzero((customer >= 0) & (rng.random(count) < again))
    gap = np.minimum(rng.lognormal(np.log(DAY), 0.8, len(callers)), 6.9 * DAY).astype(np.int64)
    when = clock.staffed(rng, offered[callers] + gap)
    in_window = when < clock.end
    callers, when = callers[in_window], when[in_window]
    second = _ring(
        rng,
        clock,
        roster,
        when,
        queue[callers],
        customer[callers],
        intensity[clock.hour_of(when)] / mean_open,
    )
    merged = _Calls(
        **{
            name: np.concatenate([getattr(first, name), getattr(second, name)])
            for name in vars(first)
        }
    )
    calls = merged.subset(np.argsort(merged.offered, kind="stable"))
    answered = calls.answered
    answered_at = calls.offered + calls.wait
    ended = np.where(
        answered, answered_at + calls.talk + calls.hold, calls.offered + calls.patience
    )
    n = len(calls.offered)
    return canonical_table(
        "calls",
        {
            "call_id": ids("CALL", n, 7),
            "queue": pick(p.QUEUES, calls.queue),
            "direction": pick(("inbound",), np.zeros(n, np.int8)),
            "customer_id": pick(customers.ids, calls.customer),
            "agent_id": pick(roster.ids, np.where(answered, calls.agent, -1)),
            "offered_at": timestamps(calls.offered),
            "answered_at": timestamps(answered_at, answered),
            "ended_at": timestamps(ended),
            "talk_s": nullable(calls.talk, answered, pa.float64()),
            "hold_s": nullable(calls.hold, answered, pa.float64()),
            "acw_s": nullable(calls.acw, answered, pa.float64()),
            "resolved": pa.array(calls.resolved),
            "ivr_resolved": pa.array(np.zeros(n, bool)),
        },
    )
