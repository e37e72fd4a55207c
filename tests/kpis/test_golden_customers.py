"""Golden cases for ``supportkpi.metrics.customers``: retention, churn, repurchase, CLV,
conversion and cases per customer.

Expected values are worked out by hand in the comments, including the seeds' worked examples
(retention 90% from 90 of 100, seed 003; CLV $720 from $20 x 12 x 3 years, seed 003). Each case
also runs against the pandas reference (business_reference).

The KPIs defined in that module and nothing else: ``test_golden_coverage.py`` fails when
one has no case here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from business_reference import business_kpi, rate
from golden import Golden, connections_fixture, row, run_golden, run_reference
from kpi_support import Connections, golden_params, ticket, tickets_frame

Tables = dict[str, pd.DataFrame]
FEB = {"start": "2024-02-01", "end": "2024-03-01"}


def _customer(cid: str, created: str, segment: str, churned: str | None = None) -> dict[str, Any]:
    return {"customer_id": cid, "created_at": created, "churned_at": churned, "segment": segment}


def _customers(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("created_at", "churned_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="mixed")
    return frame


def retention_data() -> Tables:
    """103 customers from 2023, 6 who join in February 2024."""
    rows = [
        _customer(f"b{i:02d}", "2023-06-01", "basic", "2024-02-10" if i < 10 else None)
        for i in range(40)
    ]
    rows += [
        # p00 and p01 leave at the first instant of March: still customers at February's end.
        _customer(f"p{i:02d}", "2023-06-01", "pro", "2024-03-01 00:00" if i < 2 else None)
        for i in range(60)
    ]
    rows += [_customer(f"j{i}", "2023-06-01", "basic", "2024-01-15") for i in range(3)]
    # Joiners during February are not in February's base; n05 joins at its first instant.
    rows += [
        _customer(f"n{i:02d}", "2024-02-05", "pro", "2024-02-20" if i == 0 else None)
        for i in range(5)
    ]
    rows.append(_customer("n05", "2024-02-01 00:00", "pro"))
    tickets = [
        ticket("T1", "2024-02-02 09:00", customer_id="b00"),
        ticket("T2", "2024-02-03 09:00", customer_id="b00"),
        ticket("T3", "2024-02-04 09:00", customer_id="p00"),
        ticket("T4", "2024-02-06 09:00", customer_id="n00"),
        ticket("T5", "2024-02-07 09:00", customer_id="n05"),
        ticket("T6", "2024-02-08 09:00", customer_id="p10"),
        ticket("T7", "2024-02-09 09:00"),  # no customer: not a case of a known customer
    ]
    return {"customers": _customers(rows), "tickets": tickets_frame(tickets)}


def _orders(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "amount"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], utc=True)
    return frame


def orders_data() -> Tables:
    customers = [_customer(c, "2023-01-01", s) for c, s in
                 (("c1", "a"), ("c2", "a"), ("c3", "b"), ("c4", "b"))]  # fmt: skip
    orders = [
        ("o1", "c1", "2024-02-05 10:00", 10.0), ("o2", "c1", "2024-02-10 10:00", 10.0),
        ("o3", "c1", "2024-02-20 10:00", 10.0), ("o4", "c2", "2024-02-12 10:00", 10.0),
        ("o5", "c3", "2024-02-01 10:00", 10.0), ("o6", "c3", "2024-02-04 10:00", 10.0),
        ("o7", "c4", "2024-02-28 10:00", 10.0), ("o8", "c2", "2024-03-03 10:00", 10.0),
    ]  # fmt: skip
    tickets = [
        ticket("T1", "2024-02-01 10:00", "email", customer_id="c1"),  # order o1 4 days later
        ticket("T2", "2024-02-02 10:00", "chat", customer_id="c2"),  # o4 10 days later
        ticket("T3", "2024-02-05 10:00", "email", customer_id="c3"),  # c3 ordered before only
        ticket("T4", "2024-02-06 10:00", "chat"),  # no customer: left out
        ticket("T5", "2024-02-21 10:00", "chat", customer_id="c1"),  # c1 ordered before only
    ]
    return {
        "customers": _customers(customers),
        "orders": _orders(orders),
        "tickets": tickets_frame(tickets),
    }


def clv_data() -> Tables:
    """Seed 003: $20 a purchase, 12 purchases a year, a third of the customers leave a year."""
    customers = [
        _customer("k1", "2022-06-01", "s"),
        _customer("k2", "2022-06-01", "s"),
        _customer("k3", "2022-06-01", "s", "2023-12-31 12:00"),
        _customer("k4", "2023-06-01", "s"),  # joins during 2023: not in the base
    ]
    orders = [
        (f"{c}-{m:02d}", c, f"2023-{m:02d}-15 10:00", 20.0)
        for c in ("k1", "k2", "k3")
        for m in range(1, 13)
    ]
    orders += [(f"k4-{m:02d}", "k4", f"2023-{m:02d}-15 10:00", 50.0) for m in range(7, 13)]
    return {"customers": _customers(customers), "orders": _orders(orders)}


DATASETS = {"retention": retention_data, "orders": orders_data, "clv": clv_data}
Q1 = {"start": "2024-01-01", "end": "2024-04-01", "grain": "month"}

CASES: list[Golden] = [
    # February: base = 40 basic + 60 pro created in 2023 (the j's left in January, the n's
    # joined in February); 10 basic leave on Feb 10: retained 90 / 100 (seed 003).
    Golden("retention-seed", "retention", "customer_retention_rate", FEB, [rate(90, 100)],
           spark=True),
    Golden("churn-feb", "retention", "customer_churn_rate", FEB, [rate(10, 100)]),
    Golden("retention-by-segment", "retention", "customer_retention_rate",
           {**FEB, "by": ["segment"]},
           [rate(30, 40, segment="basic"), rate(60, 60, segment="pro")]),
    # Each month is its own period. January: base 103 (40 + 60 + 3 j's), 3 leave: 100/103.
    # February: 90/100. March: base 30 basic + 60 pro (p00, p01 leave at March's first
    # instant, so they are at its start) + n01..n04 + n05 = 95; p00 and p01 leave: 93/95.
    Golden("retention-month", "retention", "customer_retention_rate", Q1, [
        rate(100, 103, period="2024-01-01"), rate(90, 100, period="2024-02-01"),
        rate(93, 95, period="2024-03-01"),
    ], spark=True),
    Golden("churn-month", "retention", "customer_churn_rate", Q1, [
        rate(3, 103, period="2024-01-01"), rate(10, 100, period="2024-02-01"),
        rate(2, 95, period="2024-03-01"),
    ]),
    # Known customers' tickets in February (T1..T6 = 6) / customers active in February
    # (100 + the 6 joiners = 106; the j's left in January).
    Golden("cases-per-customer", "retention", "cases_per_customer", FEB, [row(6 / 106, 6)]),
    # basic: T1, T2 / 40; pro: T3..T6 / (60 + 6).
    Golden("cases-by-segment", "retention", "cases_per_customer", {**FEB, "by": ["segment"]},
           [row(2 / 40, 2, segment="basic"), row(4 / 66, 4, segment="pro")]),
    # February orders: c1 3, c2 1, c3 2, c4 1: 2 of 4 ordered again.
    Golden("repurchase-feb", "orders", "repurchase_rate", FEB, [rate(2, 4)], spark=True),
    # February and March together: c2's March order is its second: 3 of 4.
    Golden("repurchase-two-months", "orders", "repurchase_rate",
           {"start": "2024-02-01", "end": "2024-04-01"}, [rate(3, 4)]),
    Golden("repurchase-month", "orders", "repurchase_rate",
           {"start": "2024-02-01", "end": "2024-04-01", "grain": "month"},
           [rate(2, 4, period="2024-02-01"), rate(0, 1, period="2024-03-01")]),
    Golden("repurchase-by-segment", "orders", "repurchase_rate", {**FEB, "by": ["segment"]},
           [rate(1, 2, segment="a"), rate(1, 2, segment="b")]),
    # Tickets of known customers: T1 converts (order 4 days later); T2's order is 10 days
    # later; T3 and T5 were preceded, not followed, by orders. 1 / 4.
    Golden("conversion-7d", "orders", "conversion_rate", FEB, [rate(1, 4)], spark=True),
    Golden("conversion-14d", "orders", "conversion_rate",
           {**FEB, "options": {"conversion_days": 14}}, [rate(2, 4)]),
    Golden("conversion-by-channel", "orders", "conversion_rate", {**FEB, "by": ["channel"]},
           [rate(1, 2, channel="email"), rate(0, 2, channel="chat")]),
    # 2023: base k1, k2, k3; AOV 720/36 = $20; 36 orders / 3 customers / 1 year = 12 a year;
    # 1 of 3 left: annual churn 1/3, lifespan 3 years. 20 x 12 x 3 = $720 = 720 / 1.
    # n is the base's 36 orders (k4 joined during 2023 and is left out).
    Golden("clv-seed", "clv", "customer_lifetime_value",
           {"start": "2023-01-01", "end": "2024-01-01"}, [row(720.0, 36)], spark=True),
    # January-June 2023: nobody left, the lifespan is not observed: null, on 18 orders.
    Golden("clv-no-churn", "clv", "customer_lifetime_value",
           {"start": "2023-01-01", "end": "2023-07-01"}, [row(None, 18)]),
]  # fmt: skip


connections = connections_fixture(DATASETS, "customers")


@pytest.mark.parametrize(("case", "engine"), golden_params(CASES))
def test_library_matches_hand_computed_answer(
    case: Golden, engine: str, connections: Connections
) -> None:
    run_golden(case, engine, connections)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_matches_hand_computed_answer(case: Golden) -> None:
    run_reference(case, DATASETS, business_kpi)


def test_retention_rows_list_the_base(connections: Connections) -> None:
    # The rows behind February's retention are the 100 customers of its base.
    con = connections.get("retention", "duckdb")
    page = con.rows_behind("customer_retention_rate", page_size=1000, **FEB)
    assert page.total == 100
    assert not ({"j0", "n00", "n05"} & set(page.rows["customer_id"]))
