"""The call-log example (examples/call_log): loaded through the CLI, its KPIs checked by hand.

The sample has 21 calls on 4-5 January 2021 (London time = UTC in winter). ID0021 says
answered but its speed of answer is "n/a": quarantined. Of the 20 stored calls, 4 were not
answered (ID0004, ID0006, ID0012, ID0016); the log has no hang-up time, so their wait is
unknown (never short abandons, not in the wait time). Speeds of the 16 answered calls:

    ID  01 02 03 05 07 08 09 10 11 13 14 15 17 18  19 20
    s   12 20 75  8 45 21 60  5 19 61 30 15 10 120 25 40   sum 566

Talk times (hh:mm:ss in the file), in seconds:

    Diane  01 150, 07 200, 10 55, 13 180, 19 90            = 675 over 5
    Becky  02 240, 05 105, 08 300, 11 450, 14 270, 17 225, 20 340  = 1930 over 7
    Greg   03 375, 09 120, 15 130, 18 480                  = 1105 over 4   (3710 over 16)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import supportkpi
from supportkpi.cli.main import app
from supportkpi.store import Store

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "call_log"
JAN: dict[str, Any] = {"start": "2021-01-04", "end": "2021-01-06"}


def ingest(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["ingest", *args, "--json"])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("call_log") / "calls.duckdb"
    calls = [str(EXAMPLE / "calls.csv"), "--db", str(path), "--map", str(EXAMPLE / "mapping.toml")]
    first = ingest("calls", *calls)
    assert first == {"table": "calls", "rows_in": 21, "inserted": 20, "updated": 0,
                     "unchanged": 0, "rejected": 1}  # fmt: skip
    again = ingest("calls", *calls)  # re-loading the same file changes nothing
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 20, 1)
    agents = ingest("agents", str(EXAMPLE / "agents.csv"), "--db", str(path))
    assert agents["inserted"] == 3
    return path


def kpi(db: Path, metric: str, **query: Any) -> list[dict[str, Any]]:
    with supportkpi.connect(str(db)) as con:
        frame = con.kpi([metric], **JAN, **query)
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def values(rows: list[dict[str, Any]], key: str | None = None) -> Any:
    if key is None:
        (row,) = rows
        return (pytest.approx(row["value"]), row["n"])
    return {r[key]: (pytest.approx(r["value"]), r["n"]) for r in rows}


def test_rows_as_stored(db: Path) -> None:
    with Store(db, read_only=True) as store:
        got = store.con.execute(
            "SELECT call_id, queue, agent_id, offered_at, answered_at, talk_s, resolved "
            "FROM calls WHERE call_id IN ('ID0001', 'ID0004') ORDER BY 1"
        ).fetchall()
        message = store.con.execute("SELECT message FROM _quarantine").fetchone()
    first, unanswered = got
    assert first[:3] == ("ID0001", "Billing", "Diane")
    assert (first[3].isoformat(), first[4].isoformat()) == (
        "2021-01-04T09:00:05+00:00",
        "2021-01-04T09:00:17+00:00",  # + 12 s speed of answer
    )
    assert first[5:] == (150.0, True)  # 00:02:30
    # Not answered: no answer time, and the routed-to agent is not an answering agent.
    assert unanswered[:3] == ("ID0004", "Technical Support", None)
    assert (unanswered[4], unanswered[5], unanswered[6]) == (None, None, False)
    assert message == (
        "calls.csv row 21: column 'answered_at' (computed from 'offered_at' + 'Speed of "
        "answer in seconds') value 'offered_at=2021-01-05 12:05:00; Speed of answer in "
        "seconds=n/a' cannot be computed from its inputs (one is empty, or they do not parse)",
    )


def test_volume_and_answered_rate(db: Path) -> None:
    assert values(kpi(db, "calls_offered")) == (20, 20)
    assert values(kpi(db, "answered_rate")) == (16 / 20, 20)
    assert values(kpi(db, "abandonment_rate")) == (4 / 20, 20)
    assert values(kpi(db, "answered_rate", by=["queue"]), "queue") == {
        "Billing": (8 / 8, 8),  # 01 02 05 09 10 13 17 18
        "Technical Support": (5 / 7, 7),  # 04 and 16 not answered
        "Contract related": (3 / 5, 5),  # 06 and 12 not answered
    }
    assert values(kpi(db, "answered_rate", grain="day"), "period") == {
        "2021-01-04": (8 / 10, 10),
        "2021-01-05": (8 / 10, 10),
    }


def test_service_level(db: Path) -> None:
    # Within 20 s: 01 (12), 02 (20, exactly T), 05, 10, 11 (19), 15, 17 = 7 of 20 offered.
    assert values(kpi(db, "service_level")) == (7 / 20, 20)
    answered_only = {"service_level_variant": "answered_only"}
    assert values(kpi(db, "service_level", options=answered_only)) == (7 / 16, 16)
    # Seed 001's 60 s: also 07 (45), 08 (21), 09 (60, exactly), 14 (30), 19 (25), 20 (40).
    assert values(kpi(db, "service_level", options={"service_level_s": 60})) == (13 / 20, 20)
    assert values(kpi(db, "service_level", by=["queue"]), "queue") == {
        "Billing": (5 / 8, 8),  # 01 02 05 10 17
        "Technical Support": (2 / 7, 7),  # 11 15
        "Contract related": (0.0, 5),  # 45, 30 and 25 s
    }


def test_speed_wait_and_handle_time(db: Path) -> None:
    assert values(kpi(db, "average_speed_of_answer")) == (566 / 16, 16)  # 35.375 s
    # Abandoned calls have no hang-up time: the wait is known for the answered ones only.
    assert values(kpi(db, "average_wait_time")) == (566 / 16, 16)
    assert values(kpi(db, "average_handle_time")) == (3710 / 16, 16)  # talk only: 231.875 s
    assert values(kpi(db, "average_handle_time", by=["agent"]), "agent") == {
        "Diane": (675 / 5, 5),
        "Becky": (1930 / 7, 7),
        "Greg": (1105 / 4, 4),
    }
    assert values(kpi(db, "average_handle_time", by=["team"]), "team") == {
        "Team A": ((675 + 1930) / 12, 12),
        "Team B": (1105 / 4, 4),
    }


def test_cost_per_call_and_fcr(db: Path) -> None:
    # Diane 30/h: 675 s x 30 / 3600 = 5.625; Becky 36/h: 1930 x 0.01 = 19.30;
    # Greg 45/h: 1105 x 0.0125 = 13.8125. Total 38.7375 over 16 calls.
    assert values(kpi(db, "cost_per_call")) == (38.7375 / 16, 16)
    assert values(kpi(db, "cost_per_call:sum")) == (38.7375, 16)
    # The log names no customer: call FCR has nothing to measure (n = 0, no value).
    (fcr,) = kpi(db, "call_fcr_rate")
    assert (fcr["value"], fcr["n"]) == (None, 0)
