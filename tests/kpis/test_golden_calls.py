"""Golden cases for ``supportkpi.metrics.calls``: the contact-centre call KPIs.

The KPIs defined in that module (calls offered, answered and abandonment rates, service level,
speed of answer, wait and handle time, call FCR, cost per call) and nothing else; agent time
(utilization, occupancy) is ``test_golden_agents.py``. Every expected value was worked out on
paper from the metric definitions; the comment next to it shows the arithmetic (seconds). Each
case runs on DuckDB (a subset on PySpark) and on the independent pandas reference in
``call_reference.py``. Defaults: short_abandon_s = 5, service_level_s = 20, call_fcr_days = 7.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from call_reference import reference_kpi
from golden import Golden, connections_fixture, row, run_golden, run_reference
from kpi_support import Connections, frame_with_times, golden_params

from supportkpi.errors import InputError

Tables = dict[str, pd.DataFrame]
CALL_TIMES = ["offered_at", "answered_at", "ended_at"]
Z = 1.959963984540054


def call(call_id: str, offered: str, answered: str | None = None, ended: str | None = None,
         **cols: Any) -> dict[str, Any]:  # fmt: skip
    """One ``calls`` row; instants are UTC strings."""
    return {"call_id": call_id, "offered_at": offered, "answered_at": answered,
            "ended_at": ended, **cols}  # fmt: skip


def calls_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = frame_with_times(rows, CALL_TIMES)
    for col in ("talk_s", "hold_s", "acw_s"):
        if col in frame:
            frame[col] = frame[col].astype("float64")
    return frame


# -- data set CALLS: rates, speed, wait, handle time, cost (8-9 January 2024, UTC) -------------
def calls_data() -> Tables:
    """Ten inbound calls and one outbound; a1 and a3 are in team t1, a2 in t2."""
    d = "2024-01-08 "
    calls = [
        # K01-K03 answered in 10 s, exactly 20 s (= T: within) and 21 s (outside).
        call("K01", d + "09:00:00", d + "09:00:10", d + "09:05:10", queue="billing",
             agent_id="a1", talk_s=240, hold_s=30, acw_s=60),  # handle 330
        call("K02", d + "09:10:00", d + "09:10:20", d + "09:15:20", queue="billing",
             agent_id="a2", talk_s=300, hold_s=None, acw_s=30),  # handle 300 + 0 + 30 = 330
        call("K03", d + "09:20:00", d + "09:20:21", d + "09:31:21", queue="billing",
             agent_id="a1", talk_s=600, hold_s=60, acw_s=None),  # handle 660
        # K04 hangs up after 3 s: a short abandon. K05 after exactly 5 s: not short (< 5).
        call("K04", d + "09:30:00", None, d + "09:30:03", queue="billing"),
        call("K05", d + "09:40:00", None, d + "09:40:05", queue="billing"),
        # K06 abandons after 90 s; K07 abandons with no ended_at (unknown wait, not short).
        call("K06", d + "10:00:00", None, d + "10:01:30", queue="support"),
        call("K07", d + "10:10:00", None, None, queue="support", direction="inbound"),
        # K08 answered in 45 s without a talk time: no handle time.
        call("K08", d + "10:20:00", d + "10:20:45", d + "10:30:00", queue="support",
             agent_id="a3", talk_s=None, hold_s=20, acw_s=10),
        call("K09", d + "10:30:00", d + "10:30:05", d + "10:32:05", queue="support",
             agent_id="a2", talk_s=120, hold_s=0, acw_s=0),  # handle 120
        # K10 is outbound: no call KPI counts it.
        call("K10", d + "11:00:00", d + "11:00:01", d + "11:10:00", queue="support",
             agent_id="a1", direction="outbound", talk_s=600, hold_s=0, acw_s=0),
        # K11: the next day, answered in 15 s.
        call("K11", "2024-01-09 09:00:00", "2024-01-09 09:00:15", "2024-01-09 09:03:15",
             queue="support", agent_id="a1", talk_s=180, hold_s=0, acw_s=60),  # handle 240
    ]  # fmt: skip
    agents = pd.DataFrame(
        [
            {"agent_id": "a1", "team": "t1", "hourly_cost": 36.0},  # 0.01 per second
            {"agent_id": "a2", "team": "t2", "hourly_cost": 72.0},  # 0.02 per second
            {"agent_id": "a3", "team": "t1", "hourly_cost": None},
        ]
    )
    return {"calls": calls_frame(calls), "agents": agents}


# -- data set AHT: the seed 003 example, 800 + 200 + 400 minutes over 100 calls (March 2024) ---
def aht_data() -> Tables:
    rows = []
    for i in range(100):
        offered = pd.Timestamp("2024-03-01 08:00", tz="UTC") + pd.Timedelta(minutes=3 * i)
        rows.append(
            call(
                f"A{i:03d}", str(offered), str(offered + pd.Timedelta(seconds=10)), None,
                talk_s=(6 if i % 2 == 0 else 10) * 60.0,  # 50 x 6 + 50 x 10 = 800 min
                hold_s=5 * 60.0 if i < 40 else (None if i < 70 else 0.0),  # 40 x 5 = 200 min
                acw_s=5 * 60.0 if i < 80 else None,  # 80 x 5 = 400 min
            )
        )  # fmt: skip
    # Two abandoned calls with a talk time (bad data): not handled, so not counted.
    for call_id, at in (("A900", "2024-03-01 12:00:00+00:00"),
                        ("A901", "2024-03-01 12:05:00+00:00")):  # fmt: skip
        rows.append(call(call_id, at, None, at.replace(":00+", ":50+"), talk_s=600.0))
    return {"calls": calls_frame(rows)}


# -- data set FCR: repeat calls inside and outside the window (February 2024) ------------------
def fcr_data() -> Tables:
    def answered(call_id: str, at: str, customer: str | None, **cols: Any) -> dict[str, Any]:
        start = pd.Timestamp(at)
        return call(call_id, at, str(start + pd.Timedelta(seconds=30)),
                    str(start + pd.Timedelta(minutes=5)), customer_id=customer, **cols)  # fmt: skip

    calls = [
        answered("F01", "2024-02-01 09:00:00", "c1"),
        answered("F02", "2024-02-08 09:00:00", "c1"),  # exactly 7 d after F01: inside
        # F03 c1 abandons 7 d + 1 s after F02: outside the 7-day window.
        call("F03", "2024-02-15 09:00:01", None, "2024-02-15 09:01:01", customer_id="c1"),
        answered("F04", "2024-02-02 10:00:00", "c2"),
        # F05 is a short abandon (2 s): not a repeat. F06 comes 18 days later.
        call("F05", "2024-02-02 11:00:00", None, "2024-02-02 11:00:02", customer_id="c2"),
        answered("F06", "2024-02-20 10:00:00", "c2"),
        answered("F07", "2024-02-03 10:00:00", "c3"),
        answered("F08", "2024-02-04 10:00:00", "c3", direction="outbound"),  # not a repeat
        answered("F09", "2024-02-05 10:00:00", None),  # unknown customer: not counted
        answered("F12", "2024-02-06 10:00:00", "c5"),
        # F13 c5 abandons with no ended_at: an unknown wait is not short, so it is a repeat.
        call("F13", "2024-02-06 12:00:00", None, None, customer_id="c5"),
    ]
    return {"calls": calls_frame(calls)}


DATASETS: dict[str, Callable[[], Tables]] = {
    "calls": calls_data,
    "aht": aht_data,
    "fcr": fcr_data,
}


# -- cases -------------------------------------------------------------------------------------
JAN: dict[str, Any] = {"start": "2024-01-01", "end": "2024-02-01"}
FEB: dict[str, Any] = {"start": "2024-02-01", "end": "2024-03-01"}
MAR: dict[str, Any] = {"start": "2024-03-01", "end": "2024-04-01"}


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval, written out here so the test stands alone."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def rate(k: int, n: int, **keys: Any) -> dict[str, Any]:
    low, high = wilson(k, n)
    return {"value": k / n, "n": n, "ci_low": low, "ci_high": high, **keys}


# CALLS, inbound: K01-K09, K11 (10 calls). Short abandons: K04 only (3 s; K05's 5 s is not
# shorter than 5). Counted by the rates: 9. Answered: K01 K02 K03 K08 K09 K11 = 6; abandoned:
# K05 K06 K07 = 3. Speeds: 10 20 21 45 5 15. Waits: K01 10, K02 20, K03 21, K04 3, K05 5,
# K06 90, K08 45, K09 5, K11 15 (K07 unknown) = 214 over 9. Handle: K01 330, K02 330,
# K03 660, K09 120, K11 240 = 1680 over 5 (K08 has no talk time).
CALL_CASES = [
    Golden("offered", "calls", "calls_offered", JAN, [row(10, 10)], spark=True),
    Golden("offered-by-day-queue", "calls", "calls_offered",
           {**JAN, "grain": "day", "by": ["queue"]}, [
               row(5, 5, period="2024-01-08", queue="billing"),  # K01-K05
               row(4, 4, period="2024-01-08", queue="support"),  # K06-K09
               row(1, 1, period="2024-01-09", queue="support"),  # K11
           ]),
    Golden("answered", "calls", "answered_rate", JAN, [rate(6, 9)], spark=True),
    Golden("abandoned", "calls", "abandonment_rate", JAN, [rate(3, 9)]),
    # short_abandon_s = 6: K05 (5 s) is short too: 6 answered of 8, 2 abandoned of 8.
    Golden("answered-short-6", "calls", "answered_rate", JAN, [rate(6, 8)],
           options={"short_abandon_s": 6}),
    Golden("abandoned-short-6", "calls", "abandonment_rate", JAN, [rate(2, 8)],
           options={"short_abandon_s": 6}),
    # short_abandon_s = 0: nothing is short; K04 counts as abandoned: 4 of 10.
    Golden("abandoned-short-0", "calls", "abandonment_rate", JAN, [rate(4, 10)],
           options={"short_abandon_s": 0}),
    # By team (the answering agent's): unanswered calls have no agent, hence no team.
    Golden("answered-by-team", "calls", "answered_rate", {**JAN, "by": ["team"]}, [
        rate(4, 4, team="t1"),  # K01 K03 K08 (a3) K11
        rate(2, 2, team="t2"),  # K02 K09
        rate(0, 3, team=None),  # K05 K06 K07
    ]),
    # Within 20 s: K01 (10), K02 (20 = T counts), K09 (5), K11 (15) = 4; K03 21 and K08 45
    # are late.
    Golden("sl", "calls", "service_level", JAN, [rate(4, 9)], spark=True),
    Golden("sl-answered-only", "calls", "service_level", JAN, [rate(4, 6)],
           options={"service_level_variant": "answered_only"}),
    Golden("sl-abandons-against", "calls", "service_level", JAN, [rate(4, 10)],
           options={"service_level_variant": "abandons_count_against"}),
    # T = 45: K03 (21) and K08 (exactly 45) join: 6 of 9.
    Golden("sl-45", "calls", "service_level", JAN, [rate(6, 9)],
           options={"service_level_s": 45}),
    Golden("sl-by-queue", "calls", "service_level", {**JAN, "by": ["queue"]}, [
        rate(2, 4, queue="billing"),  # K01 K02 of K01 K02 K03 K05
        rate(2, 5, queue="support"),  # K09 K11 of K06 K07 K08 K09 K11
    ]),
    Golden("asa", "calls", "average_speed_of_answer", JAN, [row(116 / 6, 6)]),
    Golden("asa-median", "calls", "average_speed_of_answer:median", JAN,
           [row(17.5, 6)]),  # 5 10 15 20 21 45: (15 + 20) / 2
    Golden("awt", "calls", "average_wait_time", JAN, [row(214 / 9, 9)], spark=True),
    # Sorted waits 3 5 5 10 15 20 21 45 90: p90 at rank 0.9 x 8 = 7.2: 45 + 0.2 x 45.
    Golden("awt-p90", "calls", "average_wait_time:p90", JAN, [row(54, 9)]),
    Golden("aht", "calls", "average_handle_time", JAN, [row(336, 5)]),  # 1680 / 5
    Golden("aht-by-team", "calls", "average_handle_time", {**JAN, "by": ["team"]}, [
        row(410, 3, team="t1"),  # (330 + 660 + 240) / 3
        row(225, 2, team="t2"),  # (330 + 120) / 2
    ]),
    Golden("aht-where-agent", "calls", "average_handle_time",
           {**JAN, "where": {"agent": ["a2"]}}, [row(225, 2)]),
    # Cost: a1 0.01/s, a2 0.02/s, a3 unknown (K08 has no handle time anyway):
    # K01 3.30, K02 6.60, K03 6.60, K09 2.40, K11 2.40 = 21.30 / 5.
    Golden("cost", "calls", "cost_per_call", JAN, [row(4.26, 5)], spark=True),
    Golden("cost-sum-by-day", "calls", "cost_per_call:sum", {**JAN, "grain": "day"}, [
        row(18.9, 4, period="2024-01-08"),  # 3.30 + 6.60 + 6.60 + 2.40
        row(2.4, 1, period="2024-01-09"),
    ]),
]  # fmt: skip

# Seed 003: (800 + 200 + 400) minutes / 100 calls = 14 minutes = 840 s.
AHT_CASES = [
    Golden("aht-seed-003", "aht", "average_handle_time", MAR, [row(840, 100)], spark=True),
    Golden("aht-seed-003-sum", "aht", "average_handle_time:sum", MAR, [row(84000, 100)]),
]

# Answered calls of a known customer: F01 F02 F04 F06 F07 F12 = 6 (F03 F13 abandoned, F05 a
# short abandon, F08 outbound, F09 unknown customer). Repeats within 7 d: F01 (F02 at exactly
# 7 d), F12 (F13 two hours later). F02: F03 comes 7 d + 1 s later; F04: F05 is a short
# abandon and F06 comes 18 d later; F06, F07: nothing after (F08 is outbound).
FCR_CASES = [
    Golden("call-fcr", "fcr", "call_fcr_rate", FEB, [rate(4, 6)], spark=True),
    # 3 days: F01 is no longer repeated (F02 comes 7 d later): 5 of 6.
    Golden("call-fcr-3d", "fcr", "call_fcr_rate", FEB, [rate(5, 6)],
           options={"call_fcr_days": 3}),
    # 10 days: F02 is repeated too (F03 at 7 d + 1 s): 3 of 6.
    Golden("call-fcr-10d", "fcr", "call_fcr_rate", FEB, [rate(3, 6)],
           options={"call_fcr_days": 10}),
    Golden("call-fcr-by-week", "fcr", "call_fcr_rate",
           {"start": "2024-01-29", "end": "2024-02-26", "grain": "week"}, [
               rate(2, 3, period="2024-01-29"),  # F01 F04 F07 (Thu-Sat): F04 F07
               rate(1, 2, period="2024-02-05"),  # F12 (Tue), F02 (Thu): F02
               rate(1, 1, period="2024-02-19"),  # F06 (Tue)
           ]),
]  # fmt: skip

CASES: list[Golden] = CALL_CASES + AHT_CASES + FCR_CASES

connections = connections_fixture(DATASETS, "calls")


@pytest.mark.parametrize(("case", "engine"), golden_params(CASES))
def test_library_matches_hand_computed_answer(
    case: Golden, engine: str, connections: Connections
) -> None:
    run_golden(case, engine, connections)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_matches_hand_computed_answer(case: Golden) -> None:
    run_reference(case, DATASETS, reference_kpi)


def test_answered_and_abandoned_add_up_to_offered(connections: Connections) -> None:
    con = connections.get("calls", "duckdb")
    result = con.kpi(["answered_rate", "abandonment_rate"], **JAN, by=["queue"])
    by_queue: dict[str, list[float]] = {}
    for r in result.to_dict("records"):
        by_queue.setdefault(r["queue"], []).append(float(r["value"]))
    assert {q: sum(v) for q, v in by_queue.items()} == pytest.approx(
        {"billing": 1.0, "support": 1.0}
    )


def test_calls_behind_the_service_level(connections: Connections) -> None:
    con = connections.get("calls", "duckdb")
    page = con.rows_behind("service_level", **JAN)
    # The 9 counted calls (K04, a short abandon, and K10, outbound, are not among them).
    assert page.total == 9
    assert set(page.rows["call_id"]) == {f"K{i:02d}" for i in (1, 2, 3, 5, 6, 7, 8, 9, 11)}
    within = set(page.rows.loc[page.rows["counted"] == 1, "call_id"])
    assert within == {"K01", "K02", "K09", "K11"}


def test_call_kpis_reject_ticket_dimensions(connections: Connections) -> None:
    con = connections.get("calls", "duckdb")
    with pytest.raises(InputError, match="cannot be broken down by 'channel'"):
        con.kpi(["answered_rate"], **JAN, by=["channel"])
