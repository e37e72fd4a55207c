"""Agents and customers: who works when, who can open a ticket when."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from supportkpi.demo import parameters as p
from supportkpi.demo.clock import DAY, YEAR, Clock
from supportkpi.demo.columns import canonical_table, ids, pick, timestamps

NEVER = np.iinfo(np.int64).max
#: Resampling rounds before falling back to an always-eligible person.
_TRIES = 12


@dataclass
class Roster:
    """The agents; index ``i`` of every array is agent ``ids[i]``."""

    ids: pa.Array
    names: list[str]
    team: np.ndarray  # int8 index into TEAMS
    hourly_cost: np.ndarray
    active_from: np.ndarray  # epoch seconds
    active_to: np.ndarray  # epoch seconds, NEVER = still employed

    def __len__(self) -> int:
        return len(self.team)

    def active(self, agent: np.ndarray, at: np.ndarray, horizon: int = 0) -> np.ndarray:
        """Is each agent employed at ``at`` (and still ``horizon`` seconds later)?"""
        return (self.active_from[agent] <= at) & (at + horizon < self.active_to[agent])

    def pick(
        self,
        rng: np.random.Generator,
        team: np.ndarray,
        at: np.ndarray,
        exclude: np.ndarray | None = None,
    ) -> np.ndarray:
        """A uniformly chosen agent of each ``team`` employed at ``at`` (not ``exclude``)."""
        chosen = np.empty(len(team), np.int16)
        for code in range(len(p.TEAMS)):
            rows = np.flatnonzero(team == code)
            members = np.flatnonzero(self.team == code)
            todo = rows
            for _ in range(_TRIES):
                if len(todo) == 0:
                    break
                candidate = members[rng.integers(0, len(members), size=len(todo))]
                ok = self.active(candidate, at[todo], horizon=30 * DAY)
                if exclude is not None:
                    ok &= candidate != exclude[todo]
                chosen[todo[ok]] = candidate[ok]
                todo = todo[~ok]
            # The first member of each team is employed through the whole window.
            chosen[todo] = (
                members[0]
                if exclude is None
                else np.where(exclude[todo] == members[0], members[1], members[0])
            )
        return chosen

    def table(self) -> pa.Table:
        employed = self.active_to != NEVER
        return canonical_table(
            "agents",
            {
                "agent_id": self.ids,
                "name": pa.array(self.names, pa.string()),
                "team": pick(p.TEAMS, self.team),
                "hourly_cost": pa.array(self.hourly_cost),
                "active_from": timestamps(self.active_from),
                "active_to": timestamps(np.where(employed, self.active_to, 0), employed),
            },
        )


def make_roster(rng: np.random.Generator, clock: Clock) -> Roster:
    """Agents per team with hourly costs; a few join and a few leave inside the window."""
    team = np.repeat(np.arange(len(p.TEAMS), dtype=np.int8), p.TEAM_SIZES)
    n = len(team)
    low, high = np.asarray(p.TEAM_HOURLY_COST).T
    cost = np.round((low[team] + (high[team] - low[team]) * rng.random(n)) * 2) / 2
    window_days = (clock.end - clock.start) // DAY
    active_from = clock.start - rng.integers(30, 1_500, size=n) * DAY
    active_to = np.full(n, NEVER, np.int64)
    firsts = np.concatenate([[0], np.cumsum(p.TEAM_SIZES)[:-1]])
    movable = np.setdiff1d(np.arange(n), np.concatenate([firsts, firsts + 1]))
    changing = rng.choice(movable, size=p.AGENT_JOINERS + p.AGENT_LEAVERS, replace=False)
    joiners, leavers = changing[: p.AGENT_JOINERS], changing[p.AGENT_JOINERS :]
    active_from[joiners] = (
        clock.start + rng.integers(60, window_days * 3 // 4, size=len(joiners)) * DAY
    )
    active_to[leavers] = clock.start + rng.integers(120, window_days - 30, size=len(leavers)) * DAY
    names = [
        f"{p.FIRST_NAMES[i % len(p.FIRST_NAMES)]} {p.LAST_NAMES[j]}"
        for i, j in zip(rng.permutation(n), rng.integers(0, len(p.LAST_NAMES), size=n), strict=True)
    ]
    return Roster(ids("A", n, 3), names, team, cost, active_from, active_to)


@dataclass
class Customers:
    """The customers; index ``i`` of every array is customer ``ids[i]``."""

    ids: pa.Array
    created: np.ndarray
    churned: np.ndarray  # NEVER = still a customer
    segment: np.ndarray  # int8 index into SEGMENTS
    country: np.ndarray  # int8 index into COUNTRIES
    weight: np.ndarray  # relative propensity to contact support

    def __len__(self) -> int:
        return len(self.created)

    def alive(self, customer: np.ndarray, at: np.ndarray) -> np.ndarray:
        return (self.created[customer] <= at) & (at < self.churned[customer])

    def pick(self, rng: np.random.Generator, at: np.ndarray, weighted: bool = True) -> np.ndarray:
        """A customer who is a customer at ``at``, drawn by contact propensity."""
        cumulative = np.cumsum(self.weight if weighted else np.ones(len(self)))
        chosen = np.empty(len(at), np.int32)
        todo = np.arange(len(at))
        for _ in range(_TRIES):
            if len(todo) == 0:
                break
            draw = rng.random(len(todo)) * cumulative[-1]
            candidate = np.minimum(np.searchsorted(cumulative, draw, side="right"), len(self) - 1)
            ok = self.alive(candidate, at[todo])
            chosen[todo[ok]] = candidate[ok]
            todo = todo[~ok]
        loyal = np.flatnonzero((self.churned == NEVER) & (self.created <= at.min(initial=NEVER)))
        chosen[todo] = loyal[rng.integers(0, len(loyal), size=len(todo))] if len(loyal) else 0
        return chosen

    def table(self) -> pa.Table:
        churned = self.churned != NEVER
        return canonical_table(
            "customers",
            {
                "customer_id": self.ids,
                "created_at": timestamps(self.created),
                "churned_at": timestamps(np.where(churned, self.churned, 0), churned),
                "segment": pick(p.SEGMENTS, self.segment),
                "country": pick(p.COUNTRIES, self.country),
            },
        )


def make_customers(rng: np.random.Generator, clock: Clock, tickets: int) -> Customers:
    """Customers: some existed before the window, the rest join with the business's growth."""
    n = max(p.MIN_CUSTOMERS, round(tickets * p.CUSTOMERS_PER_TICKET))
    before = rng.random(n) < p.CUSTOMERS_BEFORE_WINDOW
    # At least one customer exists before the window and never churns (the pick fallback).
    before[0] = True
    window = clock.end - clock.start
    growth = np.log(p.GROWTH_PER_YEAR) / YEAR
    # Inverse-CDF sampling of a join time whose density grows exponentially with the business.
    u = rng.random(n)
    joined = clock.start + np.log1p(u * np.expm1(growth * window)) / growth
    created = np.where(before, clock.start - rng.integers(DAY, 4 * 365 * DAY, size=n), joined)
    created = np.sort(created.astype(np.int64))
    segment = rng.choice(len(p.SEGMENTS), size=n, p=p.SEGMENT_SHARE).astype(np.int8)
    country = rng.choice(len(p.COUNTRIES), size=n, p=p.COUNTRY_SHARE).astype(np.int8)
    # Memoryless churn from the later of joining and the window start.
    rate = -np.log1p(-np.asarray(p.SEGMENT_ANNUAL_CHURN)[segment]) / YEAR
    lifetime = rng.exponential(1.0 / rate)
    churned = np.maximum(created, clock.start) + lifetime.astype(np.int64)
    churned = np.where(churned < clock.end, churned, NEVER)
    churned[0] = NEVER
    weight = np.asarray(p.SEGMENT_TICKET_WEIGHT)[segment] * rng.lognormal(0.0, 0.8, size=n)
    return Customers(ids("C", n), created, churned, segment, country, weight)
