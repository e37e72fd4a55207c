"""``supportkpi ingest --dry-run``: what would be stored and quarantined, and nothing written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cli_support import run_cli

LOG = """case,at,activity,who,Status
C1,2024-01-01T08:00:00Z,Opened,,x
C1,2024-01-01T09:00:00Z,Reply,ann,x
C1,not a time,Reply,ann,x
C2,2024-01-02T08:00:00Z,Opened,,x
C2,2024-01-02T09:00:00Z,Escalate,ann,x
C2,2024-01-02T10:00:00Z,Escalate,bob,x
C2,2024-01-02T11:00:00Z,Merge,bob,x
"""
MAPPING = """
[columns]
ticket_id = "case"
at = "at"

[events]
activity_column = "activity"

[events.activities.Opened]
kind = "message"
actor_type = "customer"

[[events.rules]]
match = "Rep*"
kind = "message"
actor_type = "agent"
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    log, mapping = tmp_path / "log.csv", tmp_path / "map.toml"
    log.write_text(LOG, encoding="utf-8")
    mapping.write_text(MAPPING, encoding="utf-8")
    return log, mapping


def test_dry_run_reports_and_creates_no_store(
    tmp_path: Path, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    log, mapping = files
    db = tmp_path / "never.duckdb"
    args = ["ingest", "ticket_events", str(log), "--db", str(db), "--map", str(mapping)]
    result = run_cli(capsys, *args, "--dry-run", "--json")
    assert result.code == 0, result.err
    got = json.loads(result.out)
    assert not db.exists()
    assert (got["rows_in"], got["would_store"], got["would_quarantine"]) == (7, 3, 4)
    assert got["rows_in"] == got["would_store"] + got["would_quarantine"]
    assert got["by_rule"] == [["unknown_activity", "activity", 3], ["timestamp", "at", 1]]
    assert got["first_rejects"][0] == (
        "log.csv row 3: column 'at' value 'not a time' is not a timestamp (ISO 8601, or set "
        "[source] date_format)"
    )
    assert got["uncovered_activities"] == [["Escalate", 2], ["Merge", 1]]
    assert got["tickets"] == 2  # C1 (Opened, Reply) and C2 (Opened)
    text = run_cli(capsys, *args, "--dry-run")
    assert text.code == 0
    assert "7 rows in: 3 would be stored in ticket_events, 4 quarantined" in text.out
    assert "activities with no rule (are rejected):" in text.out
    assert "'Escalate': 2 rows" in text.out
    assert not db.exists()


def test_dry_run_leaves_an_existing_store_unchanged(
    tmp_path: Path, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    log, mapping = files
    db = tmp_path / "x.duckdb"
    args = ["ingest", "ticket_events", str(log), "--db", str(db), "--map", str(mapping)]
    assert run_cli(capsys, *args).code == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert run_cli(capsys, *args, "--dry-run").code == 0
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_dry_run_shows_implicit_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.csv"
    path.write_text("Number,Opened,Channel,Priority\nT1,2024-01-01,web,high\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\nticket_id = "Number"\ncreated_at = "Opened"\n')
    result = run_cli(capsys, "ingest", "tickets", str(path), "--db", str(tmp_path / "d.duckdb"),
                     "--map", str(mapping), "--dry-run", "--json")  # fmt: skip
    got = json.loads(result.out)
    assert got["implicit_columns"] == [["Channel", "channel"], ["Priority", "priority"]]
    assert got["uncovered_activities"] is None
    assert (got["would_store"], got["would_quarantine"], got["by_rule"]) == (1, 0, [])


def test_dry_run_of_a_bad_file_is_one_sentence(
    tmp_path: Path, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, mapping = files
    path = tmp_path / "empty.csv"
    path.write_text("x,y\n1,2\n", encoding="utf-8")
    db = tmp_path / "never.duckdb"
    result = run_cli(capsys, "ingest", "ticket_events", str(path), "--db", str(db),
                     "--map", str(mapping), "--dry-run")  # fmt: skip
    assert result.code != 0
    assert result.err.strip().splitlines()[0].startswith("Error: empty.csv: ")
    assert "Traceback" not in result.err
    assert not db.exists()
