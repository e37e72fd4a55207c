"""Shift scheduling on hand-checkable cases: four hourly intervals, two shift patterns.

Requirement 2, 3, 3, 1 agents at 08:00–11:00; pattern A works 08:00–10:00 (the 08 and 09
intervals), pattern B 09:00–12:00 (09, 10, 11). With a agents on A and b on B the intervals
have a, a + b, b and b agents.

- Fewest agents never short: 08 needs a ≥ 2 and 10 needs b ≥ 3, and a = 2, b = 3 meets every
  interval, so 5 agents: 2, 5, 3, 3 scheduled, over-staffed by 2 at 09 and at 11.
- Least total |scheduled − required|: |a − 2| + |a + b − 3| + |b − 3| + |b − 1|; a = 2, b = 1
  gives 0 + 0 + 2 + 0 = 2 and every other pair more (a = 2, b = 2: 3; a = 1, b = 2: 3;
  a = 2, b = 3: 4), so 2, 3, 1, 1 scheduled, short by 2 at 10.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_support import run_cli

from supportkpi.demo.columns import canonical_table, ids, timestamps
from supportkpi.errors import InputError, UnsupportedError
from supportkpi.forecast.shifts import ShiftPattern, parse_shifts, schedule_shifts

PATTERNS = (ShiftPattern("A", 8 * 60, 10 * 60), ShiftPattern("B", 9 * 60, 12 * 60))
REQUIRED = [2, 3, 3, 1]
needs_solver = pytest.mark.skipif(
    importlib.util.find_spec("pyworkforce") is None,
    reason="the shifts extra (pyworkforce, OR-Tools) is not installed",
)


def plan(required: dict[str, list[int]], hours: tuple[int, ...] = (8, 9, 10, 11)) -> pd.DataFrame:
    """Plan rows as `plan_from_forecast` makes them, one series per queue."""
    records = []
    for queue, agents in required.items():
        for hour, n in zip(hours, agents, strict=True):
            records.append(
                {
                    "metric": "calls_offered",
                    "at": f"2026-01-05T{hour:02d}:00:00+01:00",
                    "queue": queue,
                    "value": 10.0,
                    "agents": n,
                    "agents_with_shrinkage": n,
                }
            )
    return pd.DataFrame(records)


def figures(rows: pd.DataFrame, queue: str, column: str) -> list[int]:
    return rows.loc[rows["queue"] == queue, column].astype(int).tolist()


def test_patterns_parse_to_whole_intervals() -> None:
    early, late = parse_shifts("08:00-16:00, 12:00-20:00", 30)
    assert (early.start, early.end, late.name) == (480, 960, "12:00-20:00")
    cover = early.covers(30)
    assert len(cover) == 48 and sum(cover) == 16 and cover[16] == 1 and cover[32] == 0
    assert sum(ShiftPattern("n", 22 * 60, 1440).covers(60)) == 2  # 22:00 and 23:00


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("22:00-06:00", "split a night shift"),
        ("08:15-16:00", "whole 30-minute intervals"),
        ("8-16", "use HH:MM-HH:MM"),
        ("08:00-25:00", "00:00 to 24:00"),
        ("", "no shift pattern"),
    ],
)
def test_bad_patterns_are_one_sentence(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_shifts(text, 30)
    with pytest.raises(InputError, match="intervals within a day"):
        parse_shifts("00:00-24:00", 1440)  # daily forecasts have no shifts to place


def test_without_the_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyworkforce.scheduling", None)  # import fails
    with pytest.raises(UnsupportedError, match=r"supportkpi\[shifts\]"):
        schedule_shifts(plan({"a": REQUIRED}), 60, PATTERNS)


@needs_solver
def test_fewest_agents_never_short() -> None:
    result = schedule_shifts(plan({"a": REQUIRED, "b": [1, 1, 0, 0]}), 60, PATTERNS)
    rows = result.rows
    assert figures(rows, "a", "scheduled") == [2, 5, 3, 3]
    assert figures(rows, "a", "over") == [0, 2, 0, 2]
    assert figures(rows, "a", "under") == [0, 0, 0, 0]
    # Queue b on its own: a ≥ 1 at 08 covers 09 too; nobody on B.
    assert figures(rows, "b", "scheduled") == [1, 1, 0, 0]
    shifts = result.shifts.set_index(["queue", "shift"])["agents"].to_dict()
    assert shifts == {("a", "A"): 2, ("a", "B"): 3, ("b", "A"): 1, ("b", "B"): 0}
    assert set(result.shifts["day"]) == {"2026-01-05"} and not result.notes


@needs_solver
def test_least_difference_may_leave_a_peak_short() -> None:
    rows = schedule_shifts(plan({"a": REQUIRED}), 60, PATTERNS, method="min_difference").rows
    assert figures(rows, "a", "scheduled") == [2, 3, 1, 1]
    assert figures(rows, "a", "under") == [0, 0, 2, 0]
    assert figures(rows, "a", "over") == [0, 0, 0, 0]


@needs_solver
def test_an_interval_no_pattern_covers_is_short_with_a_note() -> None:
    hours = (8, 9, 10, 11, 12)  # 12:00 is after both patterns
    result = schedule_shifts(plan({"a": [*REQUIRED, 1]}, hours), 60, PATTERNS)
    assert figures(result.rows, "a", "scheduled") == [2, 5, 3, 3, 0]
    assert figures(result.rows, "a", "under") == [0, 0, 0, 0, 1]
    assert len(result.notes) == 1 and "outside every shift pattern" in result.notes[0]


def test_unknown_method() -> None:
    with pytest.raises(InputError, match="min_resources or min_difference"):
        schedule_shifts(plan({"a": REQUIRED}), 60, PATTERNS, method="cheapest")


@pytest.fixture(scope="module")
def calls_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """15 days of calls: one every 20 minutes from 08:00 to 16:00 UTC."""
    from supportkpi.store import Store

    day_starts = 1_767_225_600 + 86_400 * np.arange(15)  # from 2026-01-01
    offered = (day_starts[:, None] + 8 * 3600 + 1200 * np.arange(24)[None, :]).ravel()
    table = canonical_table(
        "calls",
        {
            "call_id": ids("C", offered.size),
            "offered_at": timestamps(offered),
            "answered_at": timestamps(offered + 10),
        },
    )
    path = tmp_path_factory.mktemp("shifts") / "calls.duckdb"
    with Store(path) as store:
        store.upsert("calls", table)
    return str(path)


@needs_solver
def test_cli_covers_the_plan_with_shifts(calls_db: str, capsys: pytest.CaptureFixture) -> None:
    args = ["forecast", "calls_offered", "--db", calls_db, "--interval", "60m", "--horizon"]
    args += ["1d", "--staffing", "calls", "--aht-s", "300", "--shifts", "08:00-16:00"]
    result = run_cli(capsys, *args, "--format", "json")
    assert result.code == 0, result.err
    body = json.loads(result.out)
    [shift] = body["shifts"]
    rows = pd.DataFrame(body["rows"])
    assert len(rows) == 24 and shift["shift"] == "08:00-16:00"
    hours = rows["at"].str.slice(11, 13).astype(int)
    inside = (hours >= 8) & (hours < 16)
    # One pattern: every interval it works in has its agents, none outside it.
    assert (rows.loc[inside, "scheduled"] == shift["agents"]).all()
    assert (rows.loc[~inside, "scheduled"] == 0).all()
    assert shift["agents"] == rows.loc[inside, "required"].max()
    assert (rows["scheduled"] - rows["required"] == rows["over"] - rows["under"]).all()


def test_cli_shifts_need_a_staffing_plan(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    result = run_cli(capsys, "forecast", "calls_offered", "--db", str(tmp_path / "x.duckdb"),
                     "--shifts", "08:00-16:00")  # fmt: skip
    assert result.code == 2 and result.err.startswith("Error: --shifts covers a staffing plan")
