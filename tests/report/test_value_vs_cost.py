"""The value-vs-cost view: per customer, contacts, support cost evenly per contact, revenue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kpi_support import frame_with_times, make_source, ticket, tickets_frame
from typer.testing import CliRunner

import supportkpi
from supportkpi.cli.main import app
from supportkpi.report.value_vs_cost import value_vs_cost

MARCH = {"start": "2024-03-01", "end": "2024-04-01"}


def _tables() -> dict[str, pd.DataFrame]:
    tickets = [
        ticket("T1", "2024-03-02 09:00", customer_id="c1"),
        ticket("T2", "2024-03-03 09:00", customer_id="c1"),
        ticket("T3", "2024-03-04 09:00", customer_id="c2"),
        ticket("T4", "2024-03-05 09:00"),  # unknown customer: shares the cost, not listed
        ticket("T5", "2024-04-05 09:00", customer_id="c2"),  # outside March
    ]
    calls = [
        {"call_id": "k1", "customer_id": "c1", "offered_at": "2024-03-06 10:00",
         "answered_at": "2024-03-06 10:01"},
        {"call_id": "k2", "customer_id": "c2", "offered_at": "2024-03-07 10:00",
         "answered_at": None},  # abandoned: not a contact
    ]  # fmt: skip
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "customer_id": ["c1", "c3", "c1"],
            "ordered_at": pd.to_datetime(
                ["2024-03-10 10:00", "2024-03-11 10:00", "2024-05-01 10:00"], utc=True
            ),
            "amount": [3000.0, 500.0, 99.0],
        }
    )
    costs = pd.DataFrame(
        {
            "period_start": [pd.Timestamp("2024-03-01").date()],
            "period_end": [pd.Timestamp("2024-03-31").date()],
            "amount": [1000.0],
            "category": ["labor"],
        }
    )
    customers = frame_with_times(
        [{"customer_id": c, "created_at": "2023-01-01", "segment": s}
         for c, s in (("c1", "gold"), ("c2", "silver"), ("c3", "gold"))],
        ["created_at"],
    )  # fmt: skip
    return {
        "tickets": tickets_frame(tickets),
        "calls": frame_with_times(calls, ["offered_at", "answered_at"]),
        "orders": orders,
        "costs": costs,
        "customers": customers,
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_source(tmp_path_factory.mktemp("vvc"), _tables(), "duckdb")


@pytest.fixture(scope="module")
def con(source: str) -> Iterator[Any]:
    with supportkpi.connect(source) as connection:
        yield connection


# March: 1,000 of cost over 5 contacts (T1, T2, T3, T4 and the answered call k1) = 200 each.
# c1: 2 tickets + 1 call = 600, revenue 3,000 (its May order is outside); c2: 1 ticket = 200,
# no revenue; c3: no contact, revenue 500.
EXPECTED = [
    {"customer_id": "c1", "segment": "gold", "tickets": 2, "calls": 1, "contacts": 3,
     "support_cost": 600.0, "revenue": 3000.0, "cost_to_revenue": 0.2},
    {"customer_id": "c2", "segment": "silver", "tickets": 1, "calls": 0, "contacts": 1,
     "support_cost": 200.0, "revenue": 0.0, "cost_to_revenue": None},
    {"customer_id": "c3", "segment": "gold", "tickets": 0, "calls": 0, "contacts": 0,
     "support_cost": 0.0, "revenue": 500.0, "cost_to_revenue": 0.0},
]  # fmt: skip


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


def test_cost_is_attributed_evenly_per_contact(con: Any) -> None:
    assert _records(value_vs_cost(con, **MARCH)) == EXPECTED


def test_the_attributed_cost_adds_up_to_cost_per_conversation(con: Any) -> None:
    frame = value_vs_cost(con, **MARCH)
    per_contact = con.kpi(["cost_per_conversation"], **MARCH)["value"].iloc[0]
    assert per_contact == pytest.approx(200.0)
    expected = (frame["contacts"] * per_contact).round(2)  # the view rounds to cents
    assert frame["support_cost"].tolist() == pytest.approx(expected.tolist())


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_cli_prints_the_view(source: str, fmt: str, tmp_path: Path) -> None:
    args = ["customers", "--db", source, "--from", "2024-03-01", "--to", "2024-04-01"]
    result = CliRunner().invoke(app, [*args, "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert json.loads(result.stdout)["rows"] == EXPECTED
    elif fmt == "csv":
        lines = result.stdout.splitlines()
        assert lines[0] == ("customer_id,segment,tickets,calls,contacts,support_cost,revenue,"
                            "cost_to_revenue")  # fmt: skip
        assert lines[1] == "c1,gold,2,1,3,600.0,3000.0,0.2"
    else:
        assert "c1" in result.stdout and "600.00" in result.stdout


def test_cli_rejects_an_unknown_format(source: str) -> None:
    result = CliRunner().invoke(app, ["customers", "--db", source, "--format", "xml"])
    assert result.exit_code != 0


@pytest.mark.spark
def test_the_view_is_the_same_on_pyspark(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = make_source(tmp_path_factory.mktemp("vvc-spark"), _tables(), "pyspark")
    with supportkpi.connect(folder, engine="pyspark") as spark_con:
        assert _records(value_vs_cost(spark_con, **MARCH)) == EXPECTED
