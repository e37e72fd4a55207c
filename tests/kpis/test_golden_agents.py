"""Golden cases for ``supportkpi.metrics.agents``: agent utilization and occupancy.

The KPIs defined in that module and nothing else (the call KPIs are ``test_golden_calls.py``).
Every expected value was worked out on paper from the metric definitions; the comment next to
it shows the arithmetic (seconds of agent time by state). Each case runs on DuckDB (a subset on
PySpark) and on the independent pandas reference in ``call_reference.py``, which covers the
agent KPIs too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from call_reference import reference_kpi
from golden import Golden, connections_fixture, row, run_golden, run_reference
from kpi_support import Connections, frame_with_times, golden_params

Tables = dict[str, pd.DataFrame]


def activity_frame(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return frame_with_times(
        [{"agent_id": a, "start_at": s, "end_at": e, "state": st} for a, s, e, st in rows],
        ["start_at", "end_at"],
    )


# -- data set AGENTS: utilization and occupancy (4 March 2024, UTC) ----------------------------
def agents_data() -> Tables:
    d = "2024-03-04 "
    activity = [
        ("b1", d + "09:00", d + "10:00", "handling"),  # 3600
        ("b1", d + "10:00", d + "10:30", "after_call_work"),  # 1800
        ("b1", d + "10:30", d + "11:30", "available"),  # 3600
        ("b1", d + "11:30", d + "12:00", "break"),  # 1800
        ("b1", d + "12:00", d + "13:00", "offline"),  # 3600, not logged in
        ("b1", d + "13:00", d + "14:00", "training"),  # 3600
        ("b2", d + "09:00", d + "11:00", "handling"),  # 7200
        ("b2", d + "11:00", d + "11:30", "available"),  # 1800
        ("b2", d + "11:30", d + "12:30", "meeting"),  # 3600
        ("b2", d + "12:30", d + "13:00", "offline"),  # 1800, not logged in
        ("b3", d + "09:00", d + "10:00", "available"),  # 3600; b3 is not in agents: team null
        ("b3", d + "10:00", d + "10:00", "handling"),  # zero length: ignored
    ]
    agents = pd.DataFrame([{"agent_id": "b1", "team": "tA"}, {"agent_id": "b2", "team": "tB"}])
    return {"agent_activity": activity_frame(activity), "agents": agents}


# -- data set SEED_UTIL: seed 003, 400 h on support tasks of 500 working hours (a week) --------
def seed_utilization_data() -> Tables:
    rows = []
    for i in range(10):  # ten agents: 40 h handling + 10 h available each
        start = pd.Timestamp("2024-04-01 00:00", tz="UTC") + pd.Timedelta(hours=i)
        middle, end = start + pd.Timedelta(hours=40), start + pd.Timedelta(hours=50)
        rows += [(f"s{i}", str(start), str(middle), "handling"),
                 (f"s{i}", str(middle), str(end), "available")]  # fmt: skip
    return {"agent_activity": activity_frame(rows), "agents": pd.DataFrame({"agent_id": ["s0"]})}


DATASETS: dict[str, Callable[[], Tables]] = {
    "agents": agents_data,
    "seed_util": seed_utilization_data,
}

MAR: dict[str, Any] = {"start": "2024-03-01", "end": "2024-04-01"}

# AGENTS: b1 logged in 3600 + 1800 + 3600 + 1800 + 3600 = 14400 s (not offline), handling
# 3600 + 1800 (after-call work) = 5400, available 3600. b2 logged in 7200 + 1800 + 3600 =
# 12600, handling 7200, available 1800. b3 (no team) logged in 3600, all available.
CASES: list[Golden] = [
    # (5400 + 7200 + 0) / (14400 + 12600 + 3600); n = 5 + 3 + 1 logged-in intervals.
    Golden("util", "agents", "agent_utilization", MAR, [row(12600 / 30600, 9)]),
    Golden("util-by-agent", "agents", "agent_utilization", {**MAR, "by": ["agent"]}, [
        row(5400 / 14400, 5, agent="b1"),  # 0.375
        row(7200 / 12600, 3, agent="b2"),
        row(0.0, 1, agent="b3"),  # logged in, handled nothing: 0, not empty
    ]),
    Golden("util-by-team", "agents", "agent_utilization", {**MAR, "by": ["team"]}, [
        row(0.375, 5, team="tA"), row(7200 / 12600, 3, team="tB"), row(0.0, 1, team=None),
    ], spark=True),  # b3 is not in agents: a null team, which must survive the quotient
    # Only 'handling' is handling time: b1 3600 + b2 7200 = 10800 / 30600.
    Golden("util-handling-only", "agents", "agent_utilization", MAR, [row(10800 / 30600, 9)],
           options={"handling_states": ["handling"]}),
    # Breaks are logged out too: b1 logged in 12600, total 12600 + 12600 + 3600 = 28800; n 8.
    Golden("util-break-logged-out", "agents", "agent_utilization", MAR,
           [row(12600 / 28800, 8)], options={"logged_out_states": ["offline", "break"]}),
    # Occupancy: (5400 + 7200) / (5400 + 3600 + 7200 + 1800 + 3600); n 3 + 2 + 1 intervals.
    Golden("occ", "agents", "occupancy", MAR, [row(12600 / 21600, 6)], spark=True),
    Golden("occ-by-agent", "agents", "occupancy", {**MAR, "by": ["agent"]}, [
        row(0.6, 3, agent="b1"),  # 5400 / 9000
        row(0.8, 2, agent="b2"),  # 7200 / 9000
        row(0.0, 1, agent="b3"),
    ]),
    # Training is available time too: b1 5400 / 12600; total 12600 / 25200.
    Golden("occ-training-available", "agents", "occupancy", MAR, [row(0.5, 7)],
           options={"available_states": ["available", "training"]}),
    # Only 'handling' is handling: after-call work is neither, so it leaves the denominator:
    # (3600 + 7200) / (3600 + 3600 + 7200 + 1800 + 3600) = 10800 / 19800; n 2 + 2 + 1.
    Golden("occ-handling-only", "agents", "occupancy", MAR, [row(10800 / 19800, 5)],
           options={"handling_states": ["handling"]}),
    # Seed 003: 400 h / 500 h = 0.8 (ten agents, 2 intervals each).
    Golden("util-seed-003", "seed_util", "agent_utilization",
           {"start": "2024-04-01", "end": "2024-04-08"}, [row(0.8, 20)]),
]  # fmt: skip

connections = connections_fixture(DATASETS, "agents")


@pytest.mark.parametrize(("case", "engine"), golden_params(CASES))
def test_library_matches_hand_computed_answer(
    case: Golden, engine: str, connections: Connections
) -> None:
    run_golden(case, engine, connections)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_matches_hand_computed_answer(case: Golden) -> None:
    run_reference(case, DATASETS, reference_kpi)
