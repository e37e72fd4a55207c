"""Golden cases for ``supportkpi.metrics.costs``: cost per resolution, per conversation and
to revenue.

Expected values are worked out by hand in the comments, including the seed 003 examples
($10,000 a month over 200 tickets = $50 per resolution; support costs 10% of revenue), a cost
period straddling the range (prorated by days) and the labor-cost fallback on days no costs row
covers. Each case also runs against the pandas reference (business_reference).

The KPIs defined in that module and nothing else: ``test_golden_coverage.py`` fails when
one has no case here.
"""

from __future__ import annotations

import pandas as pd
import pytest
from business_reference import business_kpi
from golden import Golden, connections_fixture, row, run_golden, run_reference
from kpi_support import Connections, frame_with_times, golden_params, ticket, tickets_frame

Tables = dict[str, pd.DataFrame]
MARCH = {"start": "2024-03-01", "end": "2024-04-01"}
APRIL = {"start": "2024-04-01", "end": "2024-05-01"}


def costs_data() -> Tables:
    costs = pd.DataFrame(
        {
            "period_start": [pd.Timestamp("2024-03-01").date(), pd.Timestamp("2024-04-26").date()],
            "period_end": [pd.Timestamp("2024-03-31").date(), pd.Timestamp("2024-05-05").date()],
            "amount": [10_000.0, 1_000.0],  # the second: 10 days at 100 a day
            "category": ["overhead", "tooling"],
        }
    )
    # 200 tickets created and solved in March (8 a day on the 1st-25th), 4 in April, 2 in June.
    tickets = [
        ticket(f"M{d:02d}-{i}", f"2024-03-{d:02d} 09:00", solved_at=f"2024-03-{d:02d} 10:00")
        for d in range(1, 26)
        for i in range(8)
    ]
    tickets += [
        ticket(f"A{d}", f"2024-04-{d:02d} 09:00", solved_at=f"2024-04-{d:02d} 10:00")
        for d in (2, 10, 20, 29)
    ]
    tickets += [
        ticket(f"J{d}", f"2024-06-{d:02d} 09:00", solved_at=f"2024-06-{d:02d} 10:00")
        for d in (5, 6)
    ]
    calls = [
        {"call_id": f"ans{i}", "offered_at": f"2024-03-{i % 28 + 1:02d} 11:00",
         "answered_at": f"2024-03-{i % 28 + 1:02d} 11:01", "direction": "inbound"}
        for i in range(50)
    ]  # fmt: skip
    calls += [
        {"call_id": f"lost{i}", "offered_at": "2024-03-05 12:00", "answered_at": None,
         "direction": "inbound"} for i in range(10)
    ]  # fmt: skip
    calls += [
        {"call_id": f"out{i}", "offered_at": "2024-03-06 12:00",
         "answered_at": "2024-03-06 12:00", "direction": "outbound"} for i in range(5)
    ]  # fmt: skip
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(10)],
            "customer_id": ["c1"] * 10,
            "ordered_at": pd.to_datetime(
                [f"2024-03-{i + 1:02d} 15:00" for i in range(10)], utc=True
            ),
            "amount": [10_000.0] * 10,  # revenue 100,000 in March
        }
    )
    agents = pd.DataFrame({"agent_id": ["a1"], "hourly_cost": [30.0]})
    activity = frame_with_times(
        [
            {"agent_id": "a1", "start_at": "2024-04-10 08:00", "end_at": "2024-04-10 16:00",
             "state": "handling"},  # 8 h x 30 = 240, on a day no costs row covers
            {"agent_id": "a1", "start_at": "2024-04-11 08:00", "end_at": "2024-04-11 16:00",
             "state": "offline"},  # not logged in: no cost
            {"agent_id": "a1", "start_at": "2024-04-28 08:00", "end_at": "2024-04-28 16:00",
             "state": "available"},  # covered by the tooling row: not added
            {"agent_id": "a1", "start_at": "2024-03-15 08:00", "end_at": "2024-03-15 16:00",
             "state": "handling"},  # covered by March's row: not added
            {"agent_id": "a1", "start_at": "2024-06-05 08:00", "end_at": "2024-06-05 16:00",
             "state": "handling"},  # June has no costs at all: labor 240
        ],
        ["start_at", "end_at"],
    )  # fmt: skip
    return {
        "costs": costs,
        "tickets": tickets_frame(tickets),
        "calls": frame_with_times(calls, ["offered_at", "answered_at"]),
        "orders": orders,
        "agents": agents,
        "agent_activity": activity,
    }


DATASETS = {"costs": costs_data}

CASES: list[Golden] = [
    # Seed 003: 10,000 / 200 tickets solved = 50. n counts the denominator: 200 tickets.
    Golden("cpr-seed", "costs", "cost_per_resolution", MARCH, [row(50.0, 200)], spark=True),
    # 10,000 / (200 tickets + 50 answered inbound calls) = 40.
    Golden("cpc-march", "costs", "cost_per_conversation", MARCH, [row(40.0, 250)]),
    # Seed 003's ratio: 10,000 / 100,000 = 10%; n = the 10 orders.
    Golden("cost-to-revenue-seed", "costs", "support_cost_to_revenue", MARCH, [row(0.1, 10)],
           spark=True),
    # April: the tooling row straddles April/May: 5 of its 10 days (Apr 26-30) x 100 = 500;
    # labor on Apr 10 (no row covers it) 240; Apr 28's labor is covered. 740 / 4 = 185.
    Golden("cpr-straddle", "costs", "cost_per_resolution", APRIL, [row(185.0, 4)], spark=True),
    # Range Apr 28 - May 2 inside the straddling row: 5 days x 100 = 500 / 1 solve (Apr 29).
    Golden("cpr-inside", "costs", "cost_per_resolution",
           {"start": "2024-04-28", "end": "2024-05-03"}, [row(500.0, 1)]),
    # June: no costs row at all: labor 240 / 2 solves = 120.
    Golden("cpr-labor-only", "costs", "cost_per_resolution",
           {"start": "2024-06-01", "end": "2024-07-01"}, [row(120.0, 2)]),
    # Each month: March 50; April 185; May 500 of cost and no solve: null.
    # n counts the denominator's rows (tickets solved).
    Golden("cpr-month", "costs", "cost_per_resolution",
           {"start": "2024-03-01", "end": "2024-06-01", "grain": "month"}, [
               row(50.0, 200, period="2024-03-01"), row(185.0, 4, period="2024-04-01"),
               # May has cost but no solve: value null with n 0 (an empty row).
           ]),
    # In New York time each day's share is dated at local midnight, so March still holds the
    # 31 days of its row: 10,000 / 200 = 50.
    Golden("cpr-new-york", "costs", "cost_per_resolution",
           {**MARCH, "tz": "America/New_York"}, [row(50.0, 200)]),
]  # fmt: skip


connections = connections_fixture(DATASETS, "costs")


@pytest.mark.parametrize(("case", "engine"), golden_params(CASES))
def test_library_matches_hand_computed_answer(
    case: Golden, engine: str, connections: Connections
) -> None:
    run_golden(case, engine, connections)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_matches_hand_computed_answer(case: Golden) -> None:
    run_reference(case, DATASETS, business_kpi)


def test_cost_metrics_have_no_breakdowns(connections: Connections) -> None:
    con = connections.get("costs", "duckdb")
    with pytest.raises(Exception, match="cannot be broken down by 'channel'"):
        con.kpi(["cost_per_resolution"], by=["channel"], **MARCH)
