"""Who opens which ticket when: arrival times, channel, topic, priority, customer, assignee."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from supportkpi.demo import parameters as p
from supportkpi.demo.clock import Clock
from supportkpi.demo.people import Customers, Roster


@dataclass
class TicketDraft:
    """Per-ticket attributes fixed at creation, one array entry per ticket (creation order)."""

    created: np.ndarray  # epoch seconds, sorted
    channel: np.ndarray  # int8 index into parameters.CHANNELS
    topic: np.ndarray  # int8 index into parameters.TOPICS
    team: np.ndarray  # int8 index into parameters.TEAMS (the first team)
    priority: np.ndarray  # int8 index into parameters.PRIORITIES
    customer: np.ndarray  # int32 index into customers, -1 = unknown
    segment: np.ndarray  # int8 segment of the customer, -1 = unknown
    agent: np.ndarray  # int16 first assignee
    agent_created: np.ndarray  # bool: an agent opened the ticket (outbound)

    def __len__(self) -> int:
        return len(self.created)


def categorical(rng: np.random.Generator, shares: np.ndarray) -> np.ndarray:
    """One category per row of a (rows × categories) probability matrix."""
    cumulative = np.cumsum(shares, axis=1)
    u = rng.random(len(shares)) * cumulative[:, -1]
    return (u[:, None] >= cumulative).sum(axis=1).astype(np.int8)


def draft_tickets(
    rng: np.random.Generator, clock: Clock, count: int, customers: Customers, roster: Roster
) -> TicketDraft:
    """``count`` tickets with weekday/hour seasonality and growth over the window."""
    created = clock.sample_instants(rng, count, clock.arrival_intensity())
    channel = rng.choice(len(p.CHANNELS), size=count, p=p.CHANNEL_SHARE).astype(np.int8)
    topic_share = np.array([t[2] for t in p.TOPICS])
    topic = rng.choice(len(p.TOPICS), size=count, p=topic_share / topic_share.sum())
    team = np.array([t[1] for t in p.TOPICS], np.int8)[topic]
    known = rng.random(count) >= p.UNKNOWN_CUSTOMER_SHARE
    customer = np.full(count, -1, np.int32)
    customer[known] = customers.pick(rng, created[known])
    segment = np.where(known, customers.segment[np.maximum(customer, 0)], -1).astype(np.int8)
    # Row -1 of PRIORITY_SHARE is the mix for unknown customers.
    priority = categorical(rng, np.asarray(p.PRIORITY_SHARE)[segment])
    agent = roster.pick(rng, team, created)
    agent_created = rng.random(count) < np.asarray(p.CHANNEL_AGENT_CREATED)[channel]
    return TicketDraft(
        created,
        channel,
        topic.astype(np.int8),
        team,
        priority,
        customer,
        segment,
        agent,
        agent_created,
    )
