"""Tickets without events: ``closed_at`` and a solved/closed status count (issue 11, defect 5).

A help-desk export often has one row per ticket with ``status = closed`` and a ``closed_at``
but no ``solved_at``. Hand-computed golden cases, on DuckDB and PySpark, and the same data
through the independent pandas reference. January 2024, UTC; the backlog is read at the range
end 2024-01-10 00:00.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kpi_support import ENGINES, make_source, ticket, tickets_frame
from ticket_reference import reference_kpi

import supportkpi

RANGE = {"start": "2024-01-01", "end": "2024-01-10"}


def _tables() -> dict[str, pd.DataFrame]:
    rows = [
        # C1: closed after 2 h, only closed_at: solved at 11:00 (resolution 7200 s).
        ticket("C1", "2024-01-02 09:00", status="closed", closed_at="2024-01-02 11:00"),
        # C2: solved_at wins over closed_at: solved at 10:00 (resolution 3600 s).
        ticket(
            "C2",
            "2024-01-02 09:00",
            status="closed",
            solved_at="2024-01-02 10:00",
            closed_at="2024-01-03 10:00",
        ),
        # C3: status closed, no time at all: never in the backlog, no resolution time.
        ticket("C3", "2024-01-03 09:00", status="closed"),
        # C4: status solved, no time: the same.
        ticket("C4", "2024-01-03 09:00", status="solved"),
        # C5: open, no times: in the backlog.
        ticket("C5", "2024-01-04 09:00", status="open"),
        # C6: closed on 12 Jan, after the range end: still in the backlog at the end.
        ticket("C6", "2024-01-04 09:00", status="closed", closed_at="2024-01-12 09:00"),
    ]
    return {"tickets": tickets_frame(rows)}


@pytest.fixture(scope="module", params=ENGINES)
def con(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp(f"close-{request.param}")
    connection = supportkpi.connect(
        make_source(folder, _tables(), request.param), engine=request.param
    )
    yield connection
    connection.close()


def test_closed_at_is_the_solve(con: supportkpi.api.Connection) -> None:
    page = con.rows_behind("resolution_time", page_size=100, **RANGE)
    got = dict(zip(page.rows["ticket_id"], page.rows["value"], strict=True))
    # C6 is solved after the range (12 Jan): not in it.
    assert got == {"C1": 7200.0, "C2": 3600.0}
    solved = con.kpi(["tickets_solved"], **RANGE)
    assert solved["value"].tolist() == [2]


def test_closed_status_is_never_in_the_backlog(con: supportkpi.api.Connection) -> None:
    backlog = con.kpi(["backlog"], **RANGE)
    # Open at 10 Jan 00:00: C5 (open) and C6 (closed on 12 Jan). n: all six were created.
    assert backlog[["value", "n"]].values.tolist() == [[2, 6]]
    page = con.rows_behind("backlog", page_size=100, **RANGE)
    assert sorted(page.rows["ticket_id"]) == ["C5", "C6"]


def test_reference_agrees() -> None:
    tables = _tables()
    backlog = reference_kpi(tables, "backlog", RANGE["start"], RANGE["end"])
    assert backlog[["value", "n"]].values.tolist() == [[2, 6]]
    solved = reference_kpi(tables, "tickets_solved", RANGE["start"], RANGE["end"])
    assert solved["value"].tolist() == [2]
