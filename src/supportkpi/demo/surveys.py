"""Survey invitations and answers: CSAT and CES after solves, NPS per quarter, ASAT per month.

Scores follow the experience: CSAT drops with slow first responses, long resolutions, reopens
and angry messages; CES (higher = harder) rises with the number of messages, reopens and
escalations; NPS drops for customers with bad tickets.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supportkpi.demo import parameters as p
from supportkpi.demo.clock import DAY, HOUR, Clock, epoch
from supportkpi.demo.columns import canonical_table, nullable, pick, timestamps
from supportkpi.demo.derive import TicketOutcome
from supportkpi.demo.people import NEVER, Customers, Roster
from supportkpi.demo.tickets import TicketDraft
from supportkpi.schema.tables import SURVEY_KINDS

CSAT, NPS, CES, ASAT = (SURVEY_KINDS.index(k) for k in ("csat", "nps", "ces", "asat"))

_COMMENTS = (
    "Took far too long.",
    "Had to explain everything twice.",
    "OK.",
    "Quick and helpful!",
    "Very friendly agent, thanks.",
)


def _scale(latent: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.round(latent), low, high).astype(np.float64)


def _answers(
    rng: np.random.Generator, clock: Clock, sent: np.ndarray, share: float, median_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which invitations are answered (before the export) and when."""
    responded = sent + np.maximum(rng.lognormal(np.log(median_s), 1.0, len(sent)), 30).astype(
        np.int64
    )
    answered = (rng.random(len(sent)) < share) & (responded < clock.end)
    return answered, responded


class _Batch:
    """Rows of one survey kind, collected before they become one table."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        kind: int,
        sent: np.ndarray,
        answered: np.ndarray,
        responded: np.ndarray,
        score: np.ndarray,
        ticket: np.ndarray,
        customer: np.ndarray,
        agent: np.ndarray,
        comment: np.ndarray,
    ) -> None:
        order = np.argsort(sent, kind="stable")
        self.parts.append(
            {
                "kind": np.full(len(sent), kind, np.int8),
                "sent": sent[order],
                "answered": answered[order],
                "responded": responded[order],
                "score": score[order],
                "ticket": ticket[order],
                "customer": customer[order],
                "agent": agent[order],
                "comment": comment[order],
            }
        )


def surveys_table(
    rng: np.random.Generator,
    clock: Clock,
    draft: TicketDraft,
    outcome: TicketOutcome,
    ticket_ids: pa.Array,
    customers: Customers,
    roster: Roster,
) -> pa.Table:
    """All surveys; unanswered invitations have a null score."""
    batch = _Batch()
    solved = np.flatnonzero(outcome.solved_at != NEVER)

    # CSAT: a share of solved tickets, an hour to a day after the (last) solve.
    csat_t = solved[rng.random(len(solved)) < p.CSAT_SENT_SHARE]
    sent = outcome.solved_at[csat_t] + rng.integers(HOUR, DAY, size=len(csat_t))
    keep = sent < clock.end
    csat_t, sent = csat_t[keep], sent[keep]
    answered, responded = _answers(rng, clock, sent, p.CSAT_ANSWER_SHARE, 3 * HOUR)
    has_response = outcome.first_response[csat_t] != NEVER
    wait_h = (
        np.where(has_response, outcome.first_response[csat_t] - outcome.first_customer[csat_t], 0)
        / HOUR
    )
    resolution_d = (outcome.solved_at[csat_t] - draft.created[csat_t]) / DAY
    latent = (
        4.9
        - 0.35 * np.log1p(wait_h)
        - 0.35 * np.log1p(resolution_d)
        - 0.7 * outcome.reopens[csat_t]
        - 1.0 * outcome.angry[csat_t]
        + rng.normal(0.0, 0.8, len(csat_t))
    )
    score = _scale(latent, 1, 5)
    comment = np.where(
        answered & (rng.random(len(csat_t)) < 0.2),
        np.where(
            score <= 2,
            rng.integers(0, 2, len(csat_t)),
            np.where(score >= 4, rng.integers(3, 5, len(csat_t)), 2),
        ),
        -1,
    )
    batch.add(
        CSAT,
        sent,
        answered,
        responded,
        score,
        csat_t,
        draft.customer[csat_t],
        outcome.assignee[csat_t],
        comment,
    )

    # CES (1-5, higher = harder): effort grows with messages, reopens and escalations.
    ces_t = solved[rng.random(len(solved)) < p.CES_SENT_SHARE]
    sent = outcome.solved_at[ces_t] + rng.integers(HOUR, DAY, size=len(ces_t))
    keep = sent < clock.end
    ces_t, sent = ces_t[keep], sent[keep]
    answered, responded = _answers(rng, clock, sent, p.CES_ANSWER_SHARE, 5 * HOUR)
    latent = (
        1.4
        + 0.35 * (outcome.public_messages[ces_t] - 2)
        + 0.8 * outcome.reopens[ces_t]
        + 0.6 * outcome.escalated[ces_t]
        + rng.normal(0.0, 0.7, len(ces_t))
    )
    none = np.full(len(ces_t), -1)
    batch.add(
        CES,
        sent,
        answered,
        responded,
        _scale(latent, 1, 5),
        ces_t,
        draft.customer[ces_t],
        outcome.assignee[ces_t],
        none,
    )

    _nps(rng, clock, draft, outcome, customers, batch)
    _asat(rng, clock, roster, batch)
    return _table(batch, ticket_ids, customers, roster)


def _nps(
    rng: np.random.Generator,
    clock: Clock,
    draft: TicketDraft,
    outcome: TicketOutcome,
    customers: Customers,
    batch: _Batch,
) -> None:
    """NPS (0-10) to a random share of the customers each quarter."""
    known = draft.customer >= 0
    bad = (outcome.reopens > 0) | outcome.angry | outcome.escalated
    bad_tickets = np.bincount(draft.customer[known & bad], minlength=len(customers))
    segment_bonus = np.array([0.6, 0.2, -0.3])[customers.segment]
    everyone = np.arange(len(customers))
    quarter = clock.start
    while quarter < clock.end:
        sent_base = quarter + rng.integers(0, 20 * DAY, size=len(customers))
        chosen = customers.alive(everyone, sent_base) & (
            rng.random(len(customers)) < p.NPS_QUARTERLY_SHARE
        )
        chosen &= sent_base < clock.end
        c = everyone[chosen]
        sent = sent_base[chosen]
        answered, responded = _answers(rng, clock, sent, p.NPS_ANSWER_SHARE, DAY)
        latent = (
            8.6
            + segment_bonus[c]
            - 1.2 * np.minimum(bad_tickets[c], 3)
            + rng.normal(0, 2.0, len(c))
        )
        none = np.full(len(c), -1)
        batch.add(NPS, sent, answered, responded, _scale(latent, 0, 10), none, c, none, none)
        quarter += 91 * DAY


def _asat(rng: np.random.Generator, clock: Clock, roster: Roster, batch: _Batch) -> None:
    """Agent satisfaction (1-5), asked of every employed agent each month."""
    baseline = rng.normal(3.8, 0.5, len(roster))
    agents = np.arange(len(roster))
    for month in clock.month_starts()[:-1]:
        sent_at = max(clock.start, epoch(month)) + 2 * DAY + 9 * HOUR
        sent = np.full(len(roster), sent_at, np.int64)
        employed = roster.active(agents, sent) & (sent < clock.end)
        a = agents[employed]
        answered, responded = _answers(rng, clock, sent[employed], p.ASAT_ANSWER_SHARE, 2 * DAY)
        score = _scale(baseline[a] + rng.normal(0.0, 0.7, len(a)), 1, 5)
        none = np.full(len(a), -1)
        batch.add(ASAT, sent[employed], answered, responded, score, none, none, a, none)


def _table(batch: _Batch, ticket_ids: pa.Array, customers: Customers, roster: Roster) -> pa.Table:
    def joined(name: str) -> np.ndarray:
        return np.concatenate([np.asarray(part[name]) for part in batch.parts])

    kinds = joined("kind")
    # Ids number each kind's invitations in the order they were sent: csat-0000001, ...
    sequence = np.zeros(len(kinds), np.int64)
    for kind in np.unique(kinds):
        rows = kinds == kind
        sequence[rows] = np.arange(1, rows.sum() + 1)
    answered = joined("answered")
    kind_names = pick(SURVEY_KINDS, kinds)
    numbers = pc.utf8_lpad(pc.cast(pa.array(sequence), pa.string()), width=7, padding="0")
    return canonical_table(
        "surveys",
        {
            "response_id": pc.binary_join_element_wise(kind_names, numbers, "-"),
            "kind": kind_names,
            "score": nullable(joined("score"), answered, pa.float64()),
            "sent_at": timestamps(joined("sent")),
            "responded_at": timestamps(joined("responded"), answered),
            "ticket_id": pick(ticket_ids, joined("ticket")),
            "customer_id": pick(customers.ids, joined("customer")),
            "agent_id": pick(roster.ids, joined("agent")),
            "comment": pick(_COMMENTS, np.where(answered, joined("comment"), -1)),
        },
    )
