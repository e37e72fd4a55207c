"""`supportkpi check` and `supportkpi sla at-risk` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli
from kpi_support import make_source, ticket, tickets_frame

# January 2024: three tickets answered after 30 min, 1 h and 3 h (median 1 h); none escalated.
TICKETS = [
    ticket("a", "2024-01-02 09:00", first_response_at="2024-01-02 09:30"),
    ticket("b", "2024-01-03 09:00", first_response_at="2024-01-03 10:00"),
    ticket("c", "2024-01-04 09:00", first_response_at="2024-01-04 12:00"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("check")
    return make_source(folder, {"tickets": tickets_frame(TICKETS)}, "duckdb")


def _config(tmp_path: Path, targets: str) -> str:
    path = tmp_path / "kpi.toml"
    path.write_text(f"[targets]\n{targets}\n")
    return str(path)


def test_all_targets_pass(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, '"first_response_time:median" = "<= 1h"\nescalation_rate = "< 5%"')
    result = run_cli(capsys, "check", "--db", db, "--config", config,
                     "--from", "2024-01-01", "--to", "2024-02-01", "--json")  # fmt: skip
    assert result.code == 0, result.err
    payload = json.loads(result.out)
    assert payload["ok"] is True
    assert [(t["metric"], t["value"], t["status"]) for t in payload["targets"]] == [
        ("first_response_time:median", 3600.0, "pass"),
        ("escalation_rate", 0.0, "pass"),
    ]


def test_a_miss_exits_1(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, '"first_response_time:median" = "< 1h"\nticket_volume = ">= 3"')
    result = run_cli(capsys, "check", "--db", db, "--config", config,
                     "--from", "2024-01-01", "--to", "2024-02-01")  # fmt: skip
    assert result.code == 1
    assert "miss" in result.out and "pass" in result.out


def test_no_data_is_not_a_miss(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, '"first_response_time:p90" = "<= 2h"')
    result = run_cli(capsys, "check", "--db", db, "--config", config,
                     "--from", "2030-01-01", "--to", "2030-02-01", "--json")  # fmt: skip
    assert result.code == 0
    assert json.loads(result.out)["targets"][0]["status"] == "no_data"


def test_bad_config_lists_problems(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, 'nope = "<= 1h"\n"first_response_time" = "<= 1hx"')
    result = run_cli(capsys, "check", "--db", db, "--config", config)
    assert result.code == 2
    assert "targets.nope: unknown metric 'nope'" in result.err
    assert "'1hx' is not a duration" in result.err
    assert "Traceback" not in result.err


def test_at_risk_command(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sla.toml"
    path.write_text('[[sla]]\nname = "all"\nresolution = "2d"\n')
    # Ticket a (created 2 Jan 09:00, unsolved) falls due 4 Jan 09:00; at 4 Jan 08:00 it is
    # 1 h away. Tickets b and c fall due later (5 and 6 Jan).
    result = run_cli(capsys, "sla", "at-risk", "--db", db, "--config", str(path),
                     "--horizon", "2h", "--as-of", "2024-01-04T08:00:00+00:00",
                     "--format", "json")  # fmt: skip
    assert result.code == 0, result.err
    rows = json.loads(result.out)["rows"]
    assert [(r["ticket_id"], r["due_at"]) for r in rows] == [("a", "2024-01-04T09:00:00+00:00")]
