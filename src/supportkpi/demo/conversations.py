"""Simulate every ticket's conversation as events, vectorised over all tickets at once.

Each step acts on a subset of tickets (a mask) and moves that subset's ``cursor`` (the time of
its latest event) forward by at least one second, so events of a ticket are strictly ordered
in time. Agent actions are moved into the desk's opening hours; customers write any time.

A ticket's life: opening message (customer, or agent for outbound tickets) → optional bot
greeting (some chat/web tickets the bot solves alone) → routing (assignment + status open) →
first public agent reply (maybe a private note before it) → optional escalation (level 2,
reassignment to a technical agent, maybe on_hold; some reach level 3) → 0–3 more
customer/agent rounds → optional pending → solved → maybe reopened (customer message, status
open, agent reply, solved again) → usually closed four days later. Some tickets are never
answered. Events after the window's end are cut off later, which leaves an open backlog.
"""

from __future__ import annotations

import numpy as np

from supportkpi.demo import parameters as p
from supportkpi.demo.clock import DAY, HOUR, Clock
from supportkpi.demo.events import (
    AGENT,
    ASSIGNMENT,
    BOT,
    CLOSED,
    CUSTOMER,
    ESCALATION,
    FOLLOW_UP_MOOD,
    NOTE,
    ON_HOLD,
    OPEN,
    OPENING_MOOD,
    PENDING,
    SOLVED,
    SYSTEM,
    UPSET_MOOD,
    EventLog,
    bodies,
)
from supportkpi.demo.people import Roster
from supportkpi.demo.tickets import TicketDraft, categorical

TECHNICAL = p.TEAMS.index("technical")


def _lognormal(
    rng: np.random.Generator, median: np.ndarray, sigma: np.ndarray | float, floor: int
) -> np.ndarray:
    """Whole seconds, lognormal around ``median``, at least ``floor``."""
    draw = rng.lognormal(np.log(median), sigma)
    return np.maximum(np.round(draw), floor).astype(np.int64)


class _Simulation:
    """Mutable per-ticket state of the simulation (current time, assignee, team)."""

    def __init__(
        self, rng: np.random.Generator, clock: Clock, draft: TicketDraft, roster: Roster
    ) -> None:
        self.rng, self.clock, self.draft, self.roster = rng, clock, draft, roster
        self.log = EventLog()
        self.cursor = draft.created.copy()
        self.agent = draft.agent.copy()
        self.team = draft.team.copy()
        enterprise = np.where(draft.segment == 0, p.ENTERPRISE_SPEED, 1.0)
        self.speed = np.asarray(p.PRIORITY_SPEED)[draft.priority] * enterprise

    def response_delay(self, t: np.ndarray, factor: float = 1.0) -> np.ndarray:
        channel = self.draft.channel[t]
        median = np.asarray(p.CHANNEL_FIRST_RESPONSE_S)[channel] * self.speed[t] * factor
        return _lognormal(self.rng, median, np.asarray(p.CHANNEL_RESPONSE_SIGMA)[channel], 20)

    def customer_gap(self, t: np.ndarray) -> np.ndarray:
        median = np.asarray(p.CHANNEL_CUSTOMER_GAP_S)[self.draft.channel[t]]
        return _lognormal(self.rng, median, 1.0, 30)

    def customer_says(
        self, t: np.ndarray, at: np.ndarray, mood: tuple[float, float, float]
    ) -> None:
        self.log.message(t, at, CUSTOMER, body=bodies(self.rng, len(t), mood))
        self.cursor[t] = at

    def agent_replies(self, t: np.ndarray, factor: float = 1.0) -> None:
        at = self.clock.staffed(self.rng, self.cursor[t] + self.response_delay(t, factor))
        self.log.message(t, at, AGENT, agent=self.agent[t])
        self.cursor[t] = at

    def subset(self, t: np.ndarray, share: float | np.ndarray) -> np.ndarray:
        return t[self.rng.random(len(t)) < share]


def simulate_conversations(
    rng: np.random.Generator, clock: Clock, draft: TicketDraft, roster: Roster
) -> dict[str, np.ndarray]:
    """All events of all tickets (unsorted, not yet cut at the window's end) as code arrays."""
    sim = _Simulation(rng, clock, draft, roster)
    log, n = sim.log, len(draft)
    every = np.arange(n, dtype=np.int32)
    channel = draft.channel
    outbound = draft.agent_created

    # Opening message.
    inbound_t = every[~outbound]
    sim.customer_says(inbound_t, draft.created[inbound_t], OPENING_MOOD)
    outbound_t = every[outbound]
    log.message(outbound_t, draft.created[outbound_t], AGENT, agent=sim.agent[outbound_t])

    # The bot greets some inbound tickets and solves some of them alone (containment).
    bot = ~outbound & (rng.random(n) < np.asarray(p.CHANNEL_BOT_TOUCHED)[channel])
    contained = bot & (rng.random(n) < np.asarray(p.CHANNEL_BOT_CONTAINED)[channel])
    bot_t = every[bot]
    sim.cursor[bot_t] += rng.integers(2, 9, size=len(bot_t))
    log.message(bot_t, sim.cursor[bot_t], BOT)
    contained_t = every[contained]
    again = sim.subset(contained_t, p.BOT_FOLLOW_UP_SHARE)
    sim.customer_says(
        again,
        sim.cursor[again] + _lognormal(rng, np.full(len(again), 60.0), 0.6, 5),
        FOLLOW_UP_MOOD,
    )
    sim.cursor[again] += rng.integers(3, 11, size=len(again))
    log.message(again, sim.cursor[again], BOT)
    sim.cursor[contained_t] += rng.integers(30, 300, size=len(contained_t))
    log.status(contained_t, sim.cursor[contained_t], SOLVED, BOT)

    # Routing: assignment and status open; some never-answered tickets are not even routed.
    human = ~outbound & ~contained
    unanswered = human & (rng.random(n) < p.UNANSWERED_SHARE)
    routed_t = every[human & ~(unanswered & (rng.random(n) < p.UNANSWERED_UNROUTED))]
    fast = np.isin(channel[routed_t], [p.CHANNELS.index("chat"), p.CHANNELS.index("phone")])
    delay = np.where(
        fast,
        rng.integers(5, 40, size=len(routed_t)),
        _lognormal(rng, np.full(len(routed_t), 240.0), 1.0, 5),
    )
    sim.cursor[routed_t] += delay
    log.add(
        routed_t,
        sim.cursor[routed_t],
        ASSIGNMENT,
        SYSTEM,
        assignee=sim.agent[routed_t],
        team=sim.team[routed_t],
    )
    sim.cursor[routed_t] += 1
    log.status(routed_t, sim.cursor[routed_t], OPEN, SYSTEM)

    # Outbound tickets: the agent assigns themself and waits; most customers answer.
    log.add(
        outbound_t,
        draft.created[outbound_t] + 1,
        ASSIGNMENT,
        AGENT,
        actor_agent=sim.agent[outbound_t],
        assignee=sim.agent[outbound_t],
        team=sim.team[outbound_t],
    )
    sim.cursor[outbound_t] += 2
    log.status(outbound_t, sim.cursor[outbound_t], PENDING, AGENT, agent=sim.agent[outbound_t])
    answered_mask = rng.random(len(outbound_t)) < p.OUTBOUND_REPLY_SHARE
    replied_t, silent_t = outbound_t[answered_mask], outbound_t[~answered_mask]
    sim.customer_says(
        replied_t, sim.cursor[replied_t] + sim.customer_gap(replied_t), FOLLOW_UP_MOOD
    )
    sim.cursor[silent_t] += rng.integers(2 * DAY, 5 * DAY, size=len(silent_t))
    log.status(silent_t, sim.cursor[silent_t], SOLVED, SYSTEM)

    # Never answered: some customers chase once; most of these tickets are dismissed later
    # (spam, duplicates), the rest stay in the backlog.
    unanswered_t = every[unanswered]
    chasing = sim.subset(unanswered_t, p.UNANSWERED_CHASED)
    chase_gap = _lognormal(rng, np.full(len(chasing), DAY), 0.7, 600)
    sim.customer_says(chasing, sim.cursor[chasing] + chase_gap, UPSET_MOOD)
    dismissed_t = sim.subset(unanswered_t, p.UNANSWERED_DISMISSED)
    sim.cursor[dismissed_t] += rng.integers(DAY, 10 * DAY, size=len(dismissed_t))
    log.status(dismissed_t, sim.cursor[dismissed_t], SOLVED, SYSTEM)

    work = np.concatenate([every[human & ~unanswered], replied_t])
    _work_tickets(sim, work)

    # Solved tickets are closed about four days after their last solve.
    solved_t = np.concatenate([work, contained_t, silent_t, dismissed_t])
    closing = sim.subset(solved_t, p.CLOSED_SHARE)
    sim.cursor[closing] += 4 * DAY + rng.integers(0, 20 * HOUR, size=len(closing))
    log.status(closing, sim.cursor[closing], CLOSED, SYSTEM)
    return log.arrays()


def _work_tickets(sim: _Simulation, work: np.ndarray) -> None:
    """First reply, notes, escalation, rounds, solve and reopens of the worked tickets."""
    rng, log, draft = sim.rng, sim.log, sim.draft

    # A private note before the first public reply must not count as a response.
    first_reply = sim.clock.staffed(rng, sim.cursor[work] + sim.response_delay(work))
    noted = rng.random(len(work)) < p.NOTE_BEFORE_REPLY_SHARE
    gap = first_reply[noted] - sim.cursor[work[noted]]
    note_at = (
        sim.cursor[work[noted]] + 1 + ((gap - 2) * rng.uniform(0.1, 0.9, len(gap))).astype(np.int64)
    )
    log.add(work[noted], note_at, NOTE, AGENT, actor_agent=sim.agent[work[noted]], public=0)
    log.message(work, first_reply, AGENT, agent=sim.agent[work])
    sim.cursor[work] = first_reply
    after = sim.subset(work, p.NOTE_AFTER_REPLY_SHARE)
    sim.cursor[after] += rng.integers(60, 1_800, size=len(after))
    log.add(after, sim.cursor[after], NOTE, AGENT, actor_agent=sim.agent[after], public=0)

    # Escalation to tier 2: a technical agent takes over; some go on hold, some reach tier 3.
    esc_share = (
        p.ESCALATION_BASE
        + p.ESCALATION_URGENT * (draft.priority[work] == 3)
        + p.ESCALATION_TECHNICAL * (draft.team[work] == TECHNICAL)
    )
    escalated = rng.random(len(work)) < esc_share
    esc_t = work[escalated]
    at = sim.clock.staffed(rng, sim.cursor[esc_t] + rng.integers(300, 4 * HOUR, size=len(esc_t)))
    log.add(esc_t, at, ESCALATION, AGENT, actor_agent=sim.agent[esc_t], level=2)
    sim.agent[esc_t] = sim.roster.pick(
        rng, np.full(len(esc_t), TECHNICAL, np.int8), at, exclude=sim.agent[esc_t]
    )
    sim.team[esc_t] = TECHNICAL
    log.add(esc_t, at + 1, ASSIGNMENT, SYSTEM, assignee=sim.agent[esc_t], team=TECHNICAL)
    sim.cursor[esc_t] = at + 1
    hold = sim.subset(esc_t, p.ON_HOLD_AFTER_ESCALATION)
    sim.cursor[hold] += 1
    log.status(hold, sim.cursor[hold], ON_HOLD, AGENT, agent=sim.agent[hold])

    # Back-and-forth: 1-4 rounds in all; an escalated ticket gets at least one more.
    rounds = categorical(rng, np.broadcast_to(p.ROUNDS_SHARE, (len(work), 4)))
    rounds[escalated] = np.maximum(rounds[escalated], 1)
    level3 = escalated & (rng.random(len(work)) < p.ESCALATION_LEVEL3_SHARE)
    for extra in range(1, 4):
        more = work[rounds >= extra]
        sim.customer_says(more, sim.cursor[more] + sim.customer_gap(more), FOLLOW_UP_MOOD)
        sim.agent_replies(more, factor=0.8)
        if extra == 1:
            tier3 = work[level3]
            sim.cursor[tier3] += rng.integers(600, 2 * HOUR, size=len(tier3))
            log.add(
                tier3, sim.cursor[tier3], ESCALATION, AGENT, actor_agent=sim.agent[tier3], level=3
            )

    # Solve, some after waiting for the customer in pending; when the customer never comes
    # back, an automation solves the ticket after a week (a common help-desk trigger).
    pending = sim.subset(work, p.PENDING_BEFORE_SOLVE)
    sim.cursor[pending] += rng.integers(5, 120, size=len(pending))
    log.status(pending, sim.cursor[pending], PENDING, AGENT, agent=sim.agent[pending])
    auto = sim.subset(pending, p.PENDING_AUTO_SOLVE)
    sim.cursor[auto] += p.AUTO_SOLVE_AFTER_S + rng.integers(0, HOUR, size=len(auto))
    log.status(auto, sim.cursor[auto], SOLVED, SYSTEM)
    answered = np.setdiff1d(pending, auto, assume_unique=True)
    wait = _lognormal(rng, np.full(len(answered), float(p.PENDING_MEDIAN_S)), 1.0, 60)
    sim.cursor[answered] = sim.clock.staffed(rng, sim.cursor[answered] + wait)
    prompt = np.setdiff1d(work, pending, assume_unique=True)
    sim.cursor[prompt] += rng.integers(10, 900, size=len(prompt))
    by_agent = np.setdiff1d(work, auto, assume_unique=True)
    log.status(by_agent, sim.cursor[by_agent], SOLVED, AGENT, agent=sim.agent[by_agent])

    # Reopens: the customer writes again, the ticket opens, an agent answers and solves again.
    reopened = work
    for share in p.REOPEN_SHARE:
        reopened = sim.subset(reopened, share)
        wait = np.minimum(
            _lognormal(rng, np.full(len(reopened), 20.0 * HOUR), 1.0, 120), int(3.5 * DAY)
        )
        sim.customer_says(reopened, sim.cursor[reopened] + wait, UPSET_MOOD)
        sim.cursor[reopened] += 1
        log.status(reopened, sim.cursor[reopened], OPEN, SYSTEM)
        sim.agent_replies(reopened, factor=0.8)
        sim.cursor[reopened] += rng.integers(60, HOUR, size=len(reopened))
        log.status(reopened, sim.cursor[reopened], SOLVED, AGENT, agent=sim.agent[reopened])
