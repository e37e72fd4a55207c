"""``supportkpi import jira`` on a hand-made Jira Service Management export.

samples/jira/jira_issues.csv is written like the issue navigator's "Export CSV (all
fields)": "Issue key", "Summary", "Status", "Status Category", "Priority", "Created",
"Resolved", ... with repeated "Labels" and "Comment" columns and Jira's "12/Mar/24 9:41 AM"
dates. samples/jira/jira_changelog.json is a page of ``GET /rest/api/2/search?expand=
changelog`` (``issues[].changelog.histories[].items[]`` with ``field``, ``fromString``,
``toString``). By hand:

- SUP-1: created 09:41, In Progress 10:11, Resolved 13:41 -> resolution 4 h = 14400 s.
- SUP-2: Waiting for customer (pending), not resolved, no changelog.
- SUP-3: created 14/Mar 23:30, Resolved 15/Mar 10:00 (10.5 h = 37800 s), reopened by its
  reporter 12:00, Closed 15:30 (a second solve: 16 h = 57600 s) -> reopened once.
- SUP-4: "Triage by L2", a status of this project's own workflow, category In Progress ->
  open.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli

import supportkpi
from supportkpi.ingest.profiles import run_import
from supportkpi.ingest.profiles._jira_statuses import ticket_status
from supportkpi.store import Store

SAMPLES = Path(__file__).parent / "samples" / "jira"
CSV = SAMPLES / "jira_issues.csv"
CHANGELOG = SAMPLES / "jira_changelog.json"
MARCH = {"start": "2024-03-01", "end": "2024-04-01"}


def load(tmp_path: Path, *files: Path) -> tuple[Path, list[Any]]:
    db = tmp_path / "jira.duckdb"
    with Store(db) as store:
        summaries = run_import(store, "jira", list(files))
    assert all(s.reconciles for s in summaries)
    return db, summaries


def kpis(db: Path, *metrics: str) -> dict[str, tuple[Any, int]]:
    with supportkpi.connect(str(db)) as con:
        frame = con.kpi(list(metrics), **MARCH)
    return {r["metric"]: (r["value"], r["n"]) for r in frame.to_dict("records")}


def test_csv_with_changelog(tmp_path: Path) -> None:
    db, (tickets, events) = load(tmp_path, CSV, CHANGELOG)
    assert (tickets.rows_in, tickets.inserted, tickets.rejected) == (4, 4, 0)
    assert (events.rows_in, events.inserted, events.rejected) == (7, 7, 0)  # 6 status, 1 assignee
    assert events.file == "jira_changelog.json (changelog)"
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, created_at, customer_id, assignee_id, priority, status, tags, "
            "solved_at FROM tickets ORDER BY 1"
        ).fetchall()
        sup3 = store.con.execute(
            "SELECT status, actor_type FROM ticket_events WHERE ticket_id = 'SUP-3' ORDER BY \"at\""
        ).fetchall()
    at = lambda d, h, m=0: datetime(2024, 3, d, h, m, tzinfo=UTC)  # noqa: E731
    assert rows == [
        ("SUP-1", at(12, 9, 41), "Carl Customer", "Ana Agent", "high", "solved",
         ["Accounts", "login", "vip", "Get IT help"], at(12, 13, 41)),
        ("SUP-2", at(13, 8), "Dee Customer", "Bo Agent", "normal", "pending",
         ["Hardware", "hardware", "Report a problem"], None),
        ("SUP-3", at(14, 23, 30), "Eve Customer", "Bo Agent", "low", "closed",
         ["Network", "Report a problem"], at(15, 15, 30)),
        ("SUP-4", at(15, 10, 5), "Fay Customer", None, None, "open", ["Request hardware"],
         None),
    ]  # fmt: skip
    assert sup3 == [("open", "agent"), ("solved", "agent"), ("open", "customer"),
                    ("closed", "agent")]  # fmt: skip
    assert kpis(db, "reopen_rate", "resolution_time:mean", "first_resolution_time:mean") == {
        "reopen_rate": (0.5, 2),
        "resolution_time:mean": ((14400 + 57600) / 2, 2),
        "first_resolution_time:mean": ((14400 + 37800) / 2, 2),
    }


def test_csv_alone_uses_the_resolved_column(tmp_path: Path) -> None:
    """Without a changelog, tickets fall back on Resolved: SUP-1 4 h, SUP-3 16 h, no reopen."""
    db, (tickets,) = load(tmp_path, CSV)
    assert tickets.inserted == 4
    assert kpis(db, "resolution_time:mean", "reopen_rate") == {
        "resolution_time:mean": ((14400 + 57600) / 2, 2),
        "reopen_rate": (0.0, 2),
    }


def test_json_alone_gives_tickets_and_events(tmp_path: Path) -> None:
    db, (tickets, events) = load(tmp_path, CHANGELOG)
    assert (tickets.table, tickets.inserted, events.inserted) == ("tickets", 2, 7)
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, status, priority, customer_id, tags FROM tickets ORDER BY 1"
        ).fetchall()
    assert rows == [("SUP-1", "solved", "high", "Carl Customer", ["login", "vip"]),
                    ("SUP-3", "closed", "low", "Eve Customer", None)]  # fmt: skip
    assert kpis(db, "reopen_rate")["reopen_rate"] == (0.5, 2)


def test_statuses_by_name_then_category() -> None:
    assert [ticket_status(n, c) for n, c in [
        ("Waiting for customer", None), ("Done", None), ("Closed", None), ("QA check", "Done"),
        ("Triage", "In Progress"), ("Triage", None), ("", None)]] == [
        "pending", "solved", "closed", "solved", "open", "open", None]  # fmt: skip


def test_not_a_jira_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = tmp_path / "tickets.csv"
    other.write_text("id,Summary,Status,Created\n1,x,Open,12/Mar/24 9:41 AM\n")
    notjson = tmp_path / "export.json"
    notjson.write_text(json.dumps({"tickets": [{"id": 1}]}))
    for path, missing in [
        (other, "missing column 'Issue key'"),
        (notjson, "no 'issues' list of objects with 'key' and 'fields' or 'changelog'"),
    ]:
        result = run_cli(capsys, "import", "jira", str(path), "--db", str(tmp_path / "j.db"))
        assert result.code == 2
        assert result.err.startswith(f"Error: {path.name}: not a Jira issue export")
        assert result.err.endswith(f": {missing}\n")
        assert "Traceback" not in result.err
