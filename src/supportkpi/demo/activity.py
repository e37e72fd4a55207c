"""Agent shifts and their state intervals (handling, after-call work, available, breaks, ...).

Each employed agent works most weekdays (not on public holidays) and some Saturdays. A shift
is cut into back-to-back intervals, so an agent's intervals never overlap: an optional
meeting (Mondays) and training, four work blocks of handling / after-call work / available
cycles, two short breaks, lunch, and sometimes a few minutes offline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from supportkpi.demo.clock import DAY, HOUR, Clock
from supportkpi.demo.columns import canonical_table, pick, timestamps
from supportkpi.demo.people import Roster

STATES = ("handling", "after_call_work", "available", "break", "training", "meeting", "offline")
HANDLING, AFTER_CALL, AVAILABLE, BREAK, TRAINING, MEETING, OFFLINE = range(len(STATES))
CYCLES_PER_BLOCK = 2
#: Local shift starts (seconds after midnight) agents are rostered on.
SHIFT_STARTS = (7.5 * HOUR, 8 * HOUR, 9 * HOUR, 10 * HOUR, 11.5 * HOUR)
WEEKDAY_SHIFT = int(8.5 * HOUR)
SATURDAY_SHIFT = 6 * HOUR
#: Mean share of work time in each state of a work cycle.
CYCLE_SHARE = (0.58, 0.12, 0.30)


@dataclass
class Shifts:
    """One entry per worked agent-day."""

    agent: np.ndarray
    start: np.ndarray  # epoch seconds
    length: np.ndarray  # seconds, breaks included


def plan_shifts(rng: np.random.Generator, clock: Clock, roster: Roster) -> Shifts:
    """Which agent works which day, from when."""
    n_agents, n_days = len(roster), clock.n_days
    weekday = clock.day_weekday()
    agent, day = (
        a.ravel() for a in np.meshgrid(np.arange(n_agents), np.arange(n_days), indexing="ij")
    )
    noon = clock.start + day.astype(np.int64) * DAY + 12 * HOUR
    u = rng.random(len(agent))
    rostered = np.where(weekday[day] < 5, u < 0.92, (weekday[day] == 5) & (u < 0.2))
    works = rostered & ~clock.day_holiday[day] & roster.active(agent, noon)
    agent, day = agent[works], day[works]
    saturday = weekday[day] == 5
    usual_start = np.asarray(SHIFT_STARTS)[rng.integers(0, len(SHIFT_STARTS), n_agents)]
    local_start = np.where(saturday, 10 * HOUR, usual_start[agent]) + rng.integers(
        -600, 600, len(day)
    )
    start = clock.local_to_utc(day, local_start.astype(np.int64))
    length = np.where(saturday, SATURDAY_SHIFT, WEEKDAY_SHIFT)
    keep = start + length <= clock.end
    return Shifts(agent[keep].astype(np.int16), start[keep], length[keep])


def _work_block(rng: np.random.Generator, count: int) -> tuple[np.ndarray, list[int]]:
    """Relative durations (count × cycles·3) and states of one work block's cycles."""
    shape = (count, CYCLES_PER_BLOCK)
    parts = [rng.gamma(4.0, share / 4.0, shape) for share in CYCLE_SHARE]
    weights = np.stack(parts, axis=2).reshape(count, -1)
    return weights / weights.sum(axis=1, keepdims=True), [
        HANDLING,
        AFTER_CALL,
        AVAILABLE,
    ] * CYCLES_PER_BLOCK


def activity_table(
    rng: np.random.Generator, shifts: Shifts, clock: Clock, roster: Roster
) -> pa.Table:
    """``agent_activity``: the state intervals of every shift."""
    count = len(shifts.start)
    weekday = ((shifts.start - clock.start) // DAY + clock.first_day.weekday()) % 7
    full_day = shifts.length == WEEKDAY_SHIFT
    meeting = np.where((weekday == 0) & full_day & (rng.random(count) < 0.8), 1_800, 0)
    training = np.where(
        full_day & (rng.random(count) < 0.06), rng.choice([3_600, 5_400, 7_200], count), 0
    )
    first_break = np.full(count, 900)
    lunch = np.where(full_day, 1_800, 0)
    offline = np.where(rng.random(count) < 0.07, rng.integers(300, 1_500, count), 0)
    second_break = np.where(full_day, 900, 0)
    fixed = meeting + training + first_break + lunch + offline + second_break
    block_share = rng.dirichlet([8.0] * 4, count) * (shifts.length - fixed)[:, None]

    # Sequence: meeting, training, block 1, break, block 2, lunch, block 3, offline, break,
    # block 4. Absent pieces have length 0 and are dropped below.
    pauses_after: tuple[list[tuple[np.ndarray, int]], ...] = (
        [(first_break, BREAK)],
        [(lunch, BREAK)],
        [(offline, OFFLINE), (second_break, BREAK)],
        [],
    )
    durations: list[np.ndarray] = [meeting[:, None], training[:, None]]
    states: list[int] = [MEETING, TRAINING]
    for block, pauses in enumerate(pauses_after):
        weights, block_states = _work_block(rng, count)
        durations.append(weights * block_share[:, block : block + 1])
        states.extend(block_states)
        for length, state_code in pauses:
            durations.append(length[:, None])
            states.append(state_code)
    matrix = np.concatenate(durations, axis=1).astype(np.float64)
    ends = shifts.start[:, None] + np.round(np.cumsum(matrix, axis=1)).astype(np.int64)
    ends[:, -1] = shifts.start + shifts.length
    begins = np.concatenate([shifts.start[:, None], ends[:, :-1]], axis=1)
    state = np.broadcast_to(np.asarray(states, np.int8), matrix.shape)
    agent = np.broadcast_to(shifts.agent[:, None], matrix.shape)
    keep = ends > begins
    return canonical_table(
        "agent_activity",
        {
            "agent_id": pick(roster.ids, agent[keep]),
            "start_at": timestamps(begins[keep]),
            "end_at": timestamps(ends[keep]),
            "state": pick(STATES, state[keep]),
        },
    )
