"""The data commands: ingest, rejects, export. Errors run the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from supportkpi.cli.main import app

GOOD = "ticket_id,created_at,channel\nA,2024-01-01,web\nB,2024-01-02,chat\n"
WITH_BAD = "ticket_id,created_at,channel\nA,2024-01-01,web\nB,someday,chat\n"
runner = CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def supportkpi(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (falling back to the module) as a user would."""
    script = Path(sys.executable).with_name("supportkpi")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "supportkpi.cli.main"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_ingest_json_one_file(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", GOOD)
    result = runner.invoke(app, ["ingest", "tickets", str(path), "--db", str(tmp_path / "db"),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "table": "tickets", "rows_in": 2, "inserted": 2, "updated": 0, "unchanged": 0,
        "rejected": 0,
    }  # fmt: skip


def test_ingest_json_several_files_is_a_list(tmp_path: Path) -> None:
    a, b = write(tmp_path, "a.csv", GOOD), write(tmp_path, "b.csv", WITH_BAD)
    db = str(tmp_path / "db")
    result = runner.invoke(app, ["ingest", "tickets", str(a), str(b), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert [(r["inserted"], r["unchanged"], r["rejected"]) for r in json.loads(result.stdout)] == [
        (2, 0, 0),
        (0, 1, 1),
    ]


def test_ingest_table_reports_rejects_and_exits_zero(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", WITH_BAD)
    result = runner.invoke(app, ["ingest", "tickets", str(path), "--db", str(tmp_path / "db")])
    assert result.exit_code == 0, result.output
    assert "t.csv row 2: column 'created_at' value 'someday' is not a timestamp" in result.stdout
    assert "1 rows rejected" in result.stdout


def test_ingest_with_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "Case,Opened\nC1,2024-01-01\n")
    mapping = write(tmp_path, "m.toml", '[columns]\nticket_id = "Case"\ncreated_at = "Opened"\n'
                    '[constants]\nchannel = "email"\n')  # fmt: skip
    result = runner.invoke(app, ["ingest", "tickets", str(path), "--db", str(tmp_path / "db"),
                                 "--map", str(mapping), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inserted"] == 1


def test_rejects_and_export(tmp_path: Path) -> None:
    db = str(tmp_path / "db")
    runner.invoke(app, ["ingest", "tickets", str(write(tmp_path, "t.csv", WITH_BAD)), "--db", db])
    result = runner.invoke(app, ["rejects", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    rejects = json.loads(result.stdout)
    assert [(r["row_number"], r["column_name"], r["value"], r["rule"]) for r in rejects] == [
        (2, "created_at", "someday", "timestamp")
    ]
    table = runner.invoke(app, ["rejects", "--db", db, "--limit", "5"])
    assert "timestamp" in table.stdout and "someday" in table.stdout

    out = tmp_path / "out"
    result = runner.invoke(app, ["export", "--db", db, "--to", str(out)])
    assert result.exit_code == 0, result.output
    assert pq.read_table(out / "tickets.parquet").num_rows == 1
    assert pq.read_table(out / "ticket_events.parquet").num_rows == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ingest", "tickets", "nope.csv"], "Error: nope.csv: file not found"),
        (["ingest", "tix", "good.csv"], "Error: unknown table 'tix'; known tables: tickets, "),
        (["ingest", "tickets", "nocol.csv"],
         "Error: nocol.csv: required column 'created_at' is missing (no such column"),
        (["rejects"], "Error: database db.duckdb does not exist"),
    ],
)  # fmt: skip
def test_fatal_errors_are_one_line_without_traceback(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    write(tmp_path, "good.csv", GOOD)
    write(tmp_path, "nocol.csv", "ticket_id,channel\nA,web\n")
    result = supportkpi(*args, "--db", "db.duckdb", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected), lines[0]


def test_unparseable_value_is_reported_not_fatal(tmp_path: Path) -> None:
    write(tmp_path, "bad.csv", WITH_BAD)
    result = supportkpi("ingest", "tickets", "bad.csv", "--db", "db.duckdb", "--json",
                        cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout) == {
        "table": "tickets", "rows_in": 2, "inserted": 1, "updated": 0, "unchanged": 0,
        "rejected": 1,
    }  # fmt: skip
