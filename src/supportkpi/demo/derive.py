"""Cut the simulated events at the window's end and derive each ticket's row from its events.

The ticket columns follow the derivation rule of SPEC §2, so a ticket row always agrees with
its event history: first response = first public agent message at or after the first customer
message; solved_at = last solve while the ticket is solved or closed; reopens = status changes
from solved back to an open state; escalated = has an escalation event; assignee and team =
the last assignment; status = the last status event ("new" when there is none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supportkpi.demo import parameters as p
from supportkpi.demo.columns import canonical_table, nullable, pick, string_lists, timestamps
from supportkpi.demo.events import (
    AGENT,
    ASSIGNMENT,
    BODIES,
    BOT,
    CLOSED,
    CUSTOMER,
    ESCALATION,
    MESSAGE,
    NEW,
    SOLVED,
    STATUS,
)
from supportkpi.demo.people import NEVER, Customers, Roster
from supportkpi.demo.tickets import TicketDraft
from supportkpi.schema.tables import ACTOR_TYPES, EVENT_KINDS, TICKET_STATUSES

#: Tag vocabulary: every topic, then the extra tags.
TAGS = (*(t[0] for t in p.TOPICS), "angry", "vip", "bot_resolved")


@dataclass
class TicketOutcome:
    """What the events say about each ticket (``NEVER`` / -1 = did not happen)."""

    first_customer: np.ndarray
    first_response: np.ndarray
    solved_at: np.ndarray
    closed_at: np.ndarray
    updated_at: np.ndarray
    status: np.ndarray
    reopens: np.ndarray
    escalated: np.ndarray
    assignee: np.ndarray
    team: np.ndarray
    angry: np.ndarray
    public_messages: np.ndarray
    bot_only: np.ndarray  # solved by the bot with no human reply


def sort_and_cut(events: dict[str, np.ndarray], end: int) -> dict[str, np.ndarray]:
    """Drop events at or after ``end`` (the export moment) and sort by ticket, then time."""
    keep = events["at"] < end
    ticket, at = events["ticket"][keep], events["at"][keep]
    # One int64 sort key: ticket in the high bits, seconds since the first event below.
    since_first = at - (at.min() if len(at) else 0)
    order = np.argsort(ticket.astype(np.int64) * (1 << 32) + since_first, kind="stable")
    return {name: values[keep][order] for name, values in events.items()}


def _per_ticket(values: np.ndarray, starts: np.ndarray, reduce: np.ufunc) -> np.ndarray:
    return reduce.reduceat(values, starts)


def derive_outcomes(events: dict[str, np.ndarray], n_tickets: int) -> TicketOutcome:
    """Per-ticket facts from sorted events; every ticket must have at least one event."""
    ticket, at, kind, actor = events["ticket"], events["at"], events["kind"], events["actor_type"]
    starts = np.searchsorted(ticket, np.arange(n_tickets))
    if len(ticket) == 0 or np.any(np.diff(np.append(starts, len(ticket))) == 0):
        raise AssertionError("every demo ticket must keep its opening event")
    message = kind == MESSAGE
    public_message = message & (events["public"] == 1)
    customer_msg = message & (actor == CUSTOMER)
    first_customer = _per_ticket(np.where(customer_msg, at, NEVER), starts, np.minimum)
    answer = public_message & (actor == AGENT) & (at >= first_customer[ticket])
    first_response = _per_ticket(np.where(answer, at, NEVER), starts, np.minimum)
    first_response[first_customer == NEVER] = NEVER

    position = np.arange(len(ticket))
    is_status = kind == STATUS
    last_status = _per_ticket(np.where(is_status, position, -1), starts, np.maximum)
    status = np.where(last_status >= 0, events["status"][np.maximum(last_status, 0)], NEW)
    solved_now = (status == SOLVED) | (status == CLOSED)
    last_solve = _per_ticket(
        np.where(is_status & (events["status"] == SOLVED), at, -1), starts, np.maximum
    )
    last_close = _per_ticket(
        np.where(is_status & (events["status"] == CLOSED), at, -1), starts, np.maximum
    )

    # A reopen is a status change from solved to a state that is not solved/closed.
    status_rows = np.flatnonzero(is_status)
    new_status = events["status"][status_rows]
    same_ticket = ticket[status_rows][1:] == ticket[status_rows][:-1]
    reopen = (
        same_ticket
        & (new_status[:-1] == SOLVED)
        & (new_status[1:] != SOLVED)
        & (new_status[1:] != CLOSED)
    )
    reopens = np.bincount(ticket[status_rows][1:][reopen], minlength=n_tickets)

    last_assignment = _per_ticket(np.where(kind == ASSIGNMENT, position, -1), starts, np.maximum)
    assigned = last_assignment >= 0
    pick_row = np.maximum(last_assignment, 0)
    angry_body = customer_msg & (events["body"] >= 0) & (events["body"] < len(p.ANGRY_BODIES))
    human_reply = np.bincount(ticket[public_message & (actor == AGENT)], minlength=n_tickets)
    bot_touch = np.bincount(ticket[message & (actor == BOT)], minlength=n_tickets)
    ends = np.append(starts[1:], len(ticket)) - 1
    return TicketOutcome(
        first_customer=first_customer,
        first_response=first_response,
        solved_at=np.where(solved_now, last_solve, NEVER),
        closed_at=np.where(status == CLOSED, last_close, NEVER),
        updated_at=at[ends],
        status=status,
        reopens=reopens,
        escalated=np.bincount(ticket[kind == ESCALATION], minlength=n_tickets) > 0,
        assignee=np.where(assigned, events["assignee"][pick_row], -1),
        team=np.where(assigned, events["team"][pick_row], -1),
        angry=np.bincount(ticket[angry_body], minlength=n_tickets) > 0,
        public_messages=np.bincount(ticket[public_message & (actor != BOT)], minlength=n_tickets),
        bot_only=solved_now & (bot_touch > 0) & (human_reply == 0),
    )


def tickets_table(
    rng: np.random.Generator,
    draft: TicketDraft,
    outcome: TicketOutcome,
    ticket_ids: pa.Array,
    customers: Customers,
    roster: Roster,
) -> pa.Table:
    """The ``tickets`` rows, consistent with the events by construction."""
    n = len(draft)
    tags = np.full((n, 4), -1, np.int16)
    tags[:, 0] = draft.topic
    tags[:, 1] = np.where(
        outcome.angry & (rng.random(n) < p.ANGRY_TAG_SHARE), TAGS.index("angry"), -1
    )
    tags[:, 2] = np.where(draft.segment == 0, TAGS.index("vip"), -1)
    tags[:, 3] = np.where(outcome.bot_only, TAGS.index("bot_resolved"), -1)

    def when(values: np.ndarray) -> pa.Array:
        return timestamps(np.where(values == NEVER, 0, values), values != NEVER)

    return canonical_table(
        "tickets",
        {
            "ticket_id": ticket_ids,
            "created_at": timestamps(draft.created),
            "channel": pick(p.CHANNELS, draft.channel),
            "customer_id": pick(customers.ids, draft.customer),
            "assignee_id": pick(roster.ids, outcome.assignee),
            "team": pick(p.TEAMS, outcome.team),
            "priority": pick(p.PRIORITIES, draft.priority),
            "status": pick(TICKET_STATUSES, outcome.status),
            "subject": pick([t[3] for t in p.TOPICS], draft.topic),
            "tags": string_lists(tags, TAGS),
            "first_response_at": when(outcome.first_response),
            "solved_at": when(outcome.solved_at),
            "closed_at": when(outcome.closed_at),
            "reopens": pa.array(outcome.reopens.astype(np.int64)),
            "escalated": pa.array(outcome.escalated),
            "updated_at": timestamps(outcome.updated_at),
            "derived": pa.array(np.zeros(n, bool)),
        },
    )


def events_table(
    events: dict[str, np.ndarray],
    draft: TicketDraft,
    ticket_ids: pa.Array,
    customers: Customers,
    roster: Roster,
) -> pa.Table:
    """The ``ticket_events`` rows; ``event_id`` is the ticket id and the event's position."""
    ticket, actor = events["ticket"], events["actor_type"]
    starts = np.searchsorted(ticket, np.arange(len(draft)))
    sequence = np.arange(len(ticket)) - starts[ticket] + 1
    width = len(str(int(sequence.max(initial=1))))
    suffix = pc.utf8_lpad(
        pc.cast(pa.array(sequence), pa.string()), width=max(width, 2), padding="0"
    )
    ticket_column = ticket_ids.take(pa.array(ticket))
    # actor_id: the agent, the ticket's customer, "bot", or null for the system.
    n_agents = len(roster)
    actors = pa.concat_arrays([roster.ids, pa.array(["bot"]), customers.ids])
    customer = draft.customer[ticket]
    actor_code = np.select(
        [actor == AGENT, actor == BOT, (actor == CUSTOMER) & (customer >= 0)],
        [events["actor_agent"], n_agents, n_agents + 1 + customer],
        -1,
    )
    message = events["kind"] == MESSAGE
    public = events["public"]
    level = events["level"]
    return canonical_table(
        "ticket_events",
        {
            "event_id": pc.binary_join_element_wise(ticket_column, suffix, "-"),
            "ticket_id": ticket_column,
            "at": timestamps(events["at"]),
            "kind": pick(EVENT_KINDS, events["kind"]),
            "actor_type": pick(ACTOR_TYPES, actor),
            "actor_id": pick(actors, actor_code),
            "public": nullable(public == 1, public >= 0, pa.bool_()),
            "channel": pick(p.CHANNELS, np.where(message, draft.channel[ticket], -1)),
            "status": pick(TICKET_STATUSES, events["status"]),
            "assignee_id": pick(roster.ids, events["assignee"]),
            "team": pick(p.TEAMS, events["team"]),
            "level": nullable(level.astype(np.int64), level > 0, pa.int64()),
            "body": pick(BODIES, events["body"]),
        },
    )
