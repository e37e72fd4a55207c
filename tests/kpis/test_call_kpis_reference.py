"""The call and agent KPIs on seeded random data, compared with the pandas reference.

About 600 calls over three months with every situation the definitions care about: short
and long abandons (some without ``ended_at``), waits exactly at the thresholds, outbound and
direction-less calls, calls without a talk time or with empty hold/after-call work, agents
without a team or a cost, unknown customers, repeat callers inside and outside the FCR
window, answers stamped before the offer (bad data); and agent activity in every state,
including zero-length intervals. Every KPI runs in several query shapes on DuckDB, a few on
PySpark.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from call_reference import inbound_calls, reference_kpi
from kpi_support import EnginePool, assert_same_rows, reference_params, result_keys

SEED = 20240331
N_CALLS = 600
BASE = pd.Timestamp("2024-03-01", tz="UTC")
DAYS = 92  # 2024-03-01 .. 2024-05-31
AGENTS = ["a1", "a2", "a3", "a4", "a5", "a9"]  # a9 is not in the agents table
QUEUES = ["billing", "support", "sales", None]
STATES = ["handling", "after_call_work", "available", "break", "training", "meeting", "offline"]


def _seconds(rng: np.random.Generator, low: int, high: int) -> pd.Timedelta:
    return pd.Timedelta(seconds=int(rng.integers(low, high)))


def _wait(rng: np.random.Generator) -> int:
    """Waits that hit the thresholds (5 s short abandon, 20 s service level) now and then."""
    if rng.random() < 0.35:
        return int(rng.choice([0, 4, 5, 6, 19, 20, 21, 45]))
    return int(rng.exponential(40))


def _call(rng: np.random.Generator, i: int, offered: pd.Timestamp, customer: str | None):
    wait = _wait(rng)
    answered = rng.random() < 0.72
    agent = str(rng.choice(AGENTS)) if answered and rng.random() < 0.95 else None
    row: dict[str, Any] = {
        "call_id": f"c{i:04d}", "queue": QUEUES[int(rng.integers(len(QUEUES)))],
        "direction": str(rng.choice(["inbound", "inbound", "none", "outbound"],
                                    p=[0.6, 0.1, 0.25, 0.05])),
        "customer_id": customer, "agent_id": agent, "offered_at": offered,
        "answered_at": None, "ended_at": None, "talk_s": None, "hold_s": None, "acw_s": None,
    }  # fmt: skip
    if row["direction"] == "none":
        row["direction"] = None
    if answered:
        answered_at = offered + pd.Timedelta(seconds=wait)
        if rng.random() < 0.02:  # bad data: answered before it was offered
            answered_at = offered - _seconds(rng, 1, 60)
        talk = None if rng.random() < 0.08 else float(rng.integers(30, 1200))
        row.update(
            answered_at=answered_at,
            ended_at=answered_at + pd.Timedelta(seconds=talk or 60),
            talk_s=talk,
            hold_s=None if rng.random() < 0.3 else float(rng.choice([0, 15, 60, 180])),
            acw_s=None if rng.random() < 0.2 else float(rng.integers(0, 300)),
        )
        if rng.random() < 0.03:  # a talk time on an unanswered call must never count
            row.update(answered_at=None)
    elif rng.random() < 0.85:
        row["ended_at"] = offered + pd.Timedelta(seconds=wait)
    return row


def generate(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The random-but-seeded calls, agents and agent_activity tables."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    i = 0
    while i < N_CALLS:
        offered = BASE + _seconds(rng, 0, DAYS * 86400)
        customer = None if rng.random() < 0.15 else f"k{int(rng.integers(1, 120)):03d}"
        rows.append(_call(rng, i, offered, customer))
        i += 1
        if customer is not None and rng.random() < 0.3:  # a repeat call, often within 7 d
            gap = pd.Timedelta(
                seconds=int(rng.choice([7 * 86400, 7 * 86400 + 1]))
                if rng.random() < 0.1
                else int(rng.exponential(4 * 86400))
            )
            rows.append(_call(rng, i, offered + gap, customer))  # fmt: skip
            i += 1
    calls = pd.DataFrame(rows)
    for col in ("offered_at", "answered_at", "ended_at"):
        calls[col] = pd.to_datetime(calls[col], utc=True)
    for col in ("talk_s", "hold_s", "acw_s"):
        calls[col] = calls[col].astype("float64")
    agents = pd.DataFrame(
        [
            {"agent_id": "a1", "team": "t1", "hourly_cost": 30.0},
            {"agent_id": "a2", "team": "t1", "hourly_cost": 42.5},
            {"agent_id": "a3", "team": "t2", "hourly_cost": None},
            {"agent_id": "a4", "team": None, "hourly_cost": 25.0},
            {"agent_id": "a5", "team": "t2", "hourly_cost": 55.0},
        ]
    )
    return {"calls": calls, "agents": agents, "agent_activity": _activity(rng)}


def _activity(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for agent in AGENTS:
        for day in pd.date_range("2024-03-01", "2024-05-31", freq="D", tz="UTC"):
            if rng.random() < 0.3:
                continue
            clock = day + pd.Timedelta(minutes=int(rng.integers(5 * 60, 10 * 60)))
            for _ in range(int(rng.integers(2, 7))):
                minutes = 0 if rng.random() < 0.03 else int(rng.integers(5, 180))
                end = clock + pd.Timedelta(minutes=minutes)
                rows.append({"agent_id": agent, "start_at": clock, "end_at": end,
                             "state": str(rng.choice(STATES))})  # fmt: skip
                clock = end + pd.Timedelta(seconds=1)  # keys (agent, start, state) stay unique
    return pd.DataFrame(rows)


# -- what is compared --------------------------------------------------------------------------
SHAPES: dict[str, dict[str, Any]] = {
    "range": {"start": "2024-03-01", "end": "2024-06-01"},
    "week-by-queue": {"start": "2024-03-04", "end": "2024-05-27", "grain": "week",
                      "by": ["queue"]},
    "day-berlin": {"start": "2024-03-25", "end": "2024-04-08", "grain": "day",
                   "tz": "Europe/Berlin"},
    "where-agent": {"start": "2024-03-01", "end": "2024-06-01", "where": {"agent": ["a2", "a9"]}},
    "month-by-team": {"start": "2024-03-01", "end": "2024-06-01", "grain": "month",
                      "by": ["team"]},
    "by-agent": {"by": ["agent"]},
    "all-time": {},
}  # fmt: skip

SPECS: list[tuple[str, dict[str, Any]]] = [
    ("calls_offered", {}), ("answered_rate", {}), ("answered_rate", {"short_abandon_s": 10}),
    ("abandonment_rate", {}), ("service_level", {}), ("service_level", {"service_level_s": 60}),
    ("service_level", {"service_level_variant": "answered_only"}),
    ("service_level", {"service_level_variant": "abandons_count_against"}),
    ("average_speed_of_answer", {}), ("average_speed_of_answer:p90", {}),
    ("average_wait_time", {}), ("average_wait_time:median", {}),
    ("average_handle_time", {}), ("average_handle_time:sum", {}),
    ("call_fcr_rate", {}), ("call_fcr_rate", {"call_fcr_days": 3}), ("cost_per_call", {}),
    ("agent_utilization", {}),
    ("agent_utilization", {"handling_states": ["handling"],
                           "logged_out_states": ["offline", "break"]}),
    ("occupancy", {}), ("occupancy", {"available_states": ["available", "training"]}),
]  # fmt: skip

#: (selector, options key, shape) run on PySpark too.
SPARK = {
    ("service_level", "", "week-by-queue"), ("average_wait_time", "", "day-berlin"),
    ("call_fcr_rate", "", "range"), ("cost_per_call", "", "month-by-team"),
    ("occupancy", "", "where-agent"), ("agent_utilization", "", "month-by-team"),
}  # fmt: skip

AGENT_KPIS = ("agent_utilization", "occupancy")


def applies(selector: str, shape: dict[str, Any]) -> bool:
    name = selector.split(":")[0]
    dims = set(shape.get("by", [])) | set(shape.get("where", {}))
    if name in AGENT_KPIS:
        return "queue" not in dims  # agent time has no queue
    return True


# -- fixtures and tests ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate()


@pytest.fixture(scope="module")
def connections(
    tables: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EnginePool]:
    pool = EnginePool(tables, lambda engine: tmp_path_factory.mktemp(f"call-reference-{engine}"))
    yield pool
    pool.close()


@pytest.mark.parametrize(
    ("selector", "options", "shape_id", "engine"),
    list(reference_params(SPECS, SHAPES, applies, SPARK)),
)
def test_library_equals_reference(
    selector: str,
    options: dict[str, Any],
    shape_id: str,
    engine: str,
    tables: dict[str, pd.DataFrame],
    connections: EnginePool,
) -> None:
    shape = SHAPES[shape_id]
    query = {**shape, "options": options} if options else dict(shape)
    expected = reference_kpi(tables, selector, **query)
    actual = connections.get(engine).kpi([selector], **query)
    assert_same_rows(
        actual,
        expected,
        result_keys(query, selector),
        check_ci=True,
        label=f"{engine} {selector} {shape_id}",
    )


def test_generated_data_has_every_situation(tables: dict[str, pd.DataFrame]) -> None:
    """The comparison is only as good as the data: every tricky case must occur."""
    calls = inbound_calls(tables)
    raw = tables["calls"]

    def count(test: Any) -> int:
        return sum(1 for c in calls if test(c))

    assert count(lambda c: c.short_abandon(5)) >= 10
    assert count(lambda c: not c.answered and c.wait == 5) >= 3  # exactly at the threshold
    assert count(lambda c: c.answered and c.wait == 20) >= 3
    assert count(lambda c: not c.answered and c.wait is None) >= 10  # no ended_at
    assert count(lambda c: c.answered and c.wait is None) >= 3  # answered before offered
    assert count(lambda c: c.answered and c.handle is None) >= 10
    assert count(lambda c: c.handle is not None and c.cost_per_s is None) >= 10
    assert count(lambda c: c.answered and c.dims["team"] is None) >= 10
    assert (raw["direction"] == "outbound").sum() >= 10
    assert raw["direction"].isna().sum() >= 50
    assert (raw["answered_at"].isna() & raw["talk_s"].notna()).sum() >= 3
    fcr = reference_kpi(tables, "call_fcr_rate")
    assert 0.2 < float(fcr["value"].iloc[0]) < 0.9  # both repeated and first-call resolved
    activity = tables["agent_activity"]
    assert (activity["start_at"] == activity["end_at"]).sum() >= 10
