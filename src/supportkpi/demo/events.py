"""Ticket events as parallel numpy code arrays, appended step by step by the simulation.

Codes index the schema's enums (``EVENT_KINDS``, ``ACTOR_TYPES``, ``TICKET_STATUSES``) so the
metric layer's vocabulary is the only one used.
"""

from __future__ import annotations

import numpy as np

from supportkpi.demo import parameters as p
from supportkpi.schema.tables import ACTOR_TYPES, EVENT_KINDS, TICKET_STATUSES

MESSAGE, STATUS, ASSIGNMENT, ESCALATION, NOTE = (
    EVENT_KINDS.index(k) for k in ("message", "status", "assignment", "escalation", "note")
)
CUSTOMER, AGENT, BOT, SYSTEM = (
    ACTOR_TYPES.index(a) for a in ("customer", "agent", "bot", "system")
)
NEW, OPEN, PENDING, ON_HOLD, SOLVED, CLOSED = range(len(TICKET_STATUSES))
assert TICKET_STATUSES[SOLVED] == "solved" and TICKET_STATUSES[CLOSED] == "closed"

#: Message bodies; ANGRY first so that ``body < len(ANGRY_BODIES)`` means angry.
BODIES = (*p.ANGRY_BODIES, *p.HAPPY_BODIES, *p.NEUTRAL_BODIES)
#: (angry, happy, neutral) shares of the bodies written in each situation.
OPENING_MOOD = (0.12, 0.0, 0.88)
FOLLOW_UP_MOOD = (0.20, 0.35, 0.45)
UPSET_MOOD = (0.65, 0.0, 0.35)

#: Column -> (dtype, default). -1 / 0 defaults mean null.
COLUMNS: dict[str, tuple[type, int]] = {
    "ticket": (np.int32, 0),
    "at": (np.int64, 0),
    "kind": (np.int8, 0),
    "actor_type": (np.int8, 0),
    "actor_agent": (np.int16, -1),
    "public": (np.int8, -1),
    "status": (np.int8, -1),
    "assignee": (np.int16, -1),
    "team": (np.int8, -1),
    "level": (np.int8, 0),
    "body": (np.int16, -1),
}


class EventLog:
    """Collects event chunks; :meth:`arrays` concatenates them."""

    def __init__(self) -> None:
        self._chunks: dict[str, list[np.ndarray]] = {name: [] for name in COLUMNS}

    def add(
        self,
        ticket: np.ndarray,
        at: np.ndarray,
        kind: int,
        actor_type: int,
        **values: np.ndarray | int,
    ) -> None:
        """Append one event per ticket in ``ticket``; other columns broadcast from scalars."""
        count = len(ticket)
        given = {"ticket": ticket, "at": at, "kind": kind, "actor_type": actor_type, **values}
        unknown = set(given) - set(COLUMNS)
        if unknown:
            raise TypeError(f"unknown event columns {sorted(unknown)}")
        for name, (dtype, default) in COLUMNS.items():
            value: np.ndarray = np.asarray(given.get(name, default), dtype)
            self._chunks[name].append(np.broadcast_to(value, (count,)))

    def message(
        self,
        ticket: np.ndarray,
        at: np.ndarray,
        actor_type: int,
        agent: np.ndarray | int = -1,
        body: np.ndarray | int = -1,
    ) -> None:
        """A public message by a customer, an agent or the bot."""
        self.add(ticket, at, MESSAGE, actor_type, actor_agent=agent, public=1, body=body)

    def status(
        self,
        ticket: np.ndarray,
        at: np.ndarray,
        status: int,
        actor_type: int,
        agent: np.ndarray | int = -1,
    ) -> None:
        self.add(ticket, at, STATUS, actor_type, actor_agent=agent, status=status)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(chunks) for name, chunks in self._chunks.items()}


def bodies(rng: np.random.Generator, count: int, mood: tuple[float, float, float]) -> np.ndarray:
    """Body codes for ``count`` customer messages: mostly none (-1), a few texts of ``mood``."""
    groups = (len(p.ANGRY_BODIES), len(p.HAPPY_BODIES), len(p.NEUTRAL_BODIES))
    offsets = np.concatenate([[0], np.cumsum(groups)[:-1]])
    group = rng.choice(3, size=count, p=mood)
    code = offsets[group] + rng.integers(0, np.asarray(groups)[group])
    has_body = rng.random(count) < p.CUSTOMER_BODY_SHARE
    return np.where(has_body, code, -1).astype(np.int16)
