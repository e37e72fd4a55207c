"""``supportkpi import servicenow`` on a hand-made incident event log.

The sample (samples/servicenow/incident_event_log.csv) is written in the layout of the
public ServiceNow "incident event log" export (one row per update, the incident table's
columns, "?" for missing, day-first "29/2/2016 01:16" dates). By hand:

- INC0000045: New, Active, Resolved (29/2 11:29), Resolved again (identical state), Closed:
  solved once, never reopened; resolution 01:16 -> 11:29 = 36780 s.
- INC0000047: New, Active, Resolved (2/3 10:00), Active (reopened), Resolved (3/3 15:00),
  Resolved again: reopened once; first resolution 25 h = 90000 s, resolution 54 h =
  194400 s. Its last row differs from its first (priority 4 - Low -> 2 - High, group
  Group 70 -> Group 24): the ticket takes the last.
- INC0000050: New, Awaiting User Info (twice): pending, unsolved, no contact type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli

import supportkpi
from supportkpi.ingest.profiles import run_import
from supportkpi.store import LoadSummary, Store

SAMPLE = Path(__file__).parent / "samples" / "servicenow" / "incident_event_log.csv"
TWITTER = Path(__file__).parent / "samples" / "twitter" / "twcs.csv"
MARCH = {"start": "2016-02-01", "end": "2016-04-01"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[LoadSummary]]:
    db = tmp_path_factory.mktemp("servicenow") / "sn.duckdb"
    with Store(db) as store:
        summaries = run_import(store, "servicenow", [SAMPLE])
    return db, summaries


def kpis(db: Path, *metrics: str) -> dict[str, tuple[Any, int]]:
    with supportkpi.connect(str(db)) as con:
        frame = con.kpi(list(metrics), **MARCH)
    return {r["metric"]: (r["value"], r["n"]) for r in frame.to_dict("records")}


def test_rows_reconcile(loaded: tuple[Path, list[LoadSummary]]) -> None:
    _, (tickets, events) = loaded
    lines = len(SAMPLE.read_text().splitlines()) - 1
    assert (tickets.table, tickets.rows_in, tickets.inserted, tickets.rejected) == (
        "tickets", lines, 3, lines - 3)  # fmt: skip
    assert (events.table, events.rows_in, events.inserted, events.rejected) == (
        "ticket_events", 11, 11, 0)  # fmt: skip
    assert all(s.reconciles for s in (tickets, events))
    assert events.file == "incident_event_log.csv (state changes)"


def test_last_snapshot_is_the_ticket(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, created_at, channel, customer_id, assignee_id, team, priority, "
            "status, tags, solved_at, closed_at, reopens FROM tickets ORDER BY 1"
        ).fetchall()
    at = lambda d, m, h, mi=0: datetime(2016, m, d, h, mi, tzinfo=UTC)  # noqa: E731
    assert rows == [
        ("INC0000045", at(29, 2, 1, 16), "phone", "Caller 2403", "Resolver 89", "Group 56",
         "normal", "closed", ["Category 55", "Subcategory 170"], at(29, 2, 11, 29),
         at(5, 3, 12), 0),
        ("INC0000047", at(1, 3, 9), "email", "Caller 2833", "Resolver 31", "Group 24", "high",
         "solved", ["Category 40", "Subcategory 215"], at(3, 3, 15), None, 1),
        ("INC0000050", at(10, 3, 8), "unknown", "Caller 10", "Resolver 7", "Group 70",
         "urgent", "pending", ["Category 26"], None, None, 0),
    ]  # fmt: skip


def test_state_changes_only(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            'SELECT ticket_id, list(status ORDER BY "at", event_id) FROM ticket_events '
            "WHERE kind = 'status' GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert rows == [
        ("INC0000045", ["new", "open", "solved", "closed"]),
        ("INC0000047", ["new", "open", "solved", "open", "solved"]),
        ("INC0000050", ["new", "pending"]),
    ]


def test_kpis(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    got = kpis(db, "reopen_rate", "reopens", "resolution_time:mean",
               "first_resolution_time:mean", "ticket_volume")  # fmt: skip
    assert got == {
        "reopen_rate": (0.5, 2),
        "reopens": (1.0, 1),
        "resolution_time:mean": ((36780 + 194400) / 2, 2),
        "first_resolution_time:mean": ((36780 + 90000) / 2, 2),
        "ticket_volume": (3.0, 3),
    }


def test_repeated_resolved_snapshots_are_no_reopen(tmp_path: Path) -> None:
    """Resolved written four times, then Closed: one solve, reopen rate 0 (not 3 reopens)."""
    lines = SAMPLE.read_text().splitlines()
    resolved = next(line for line in lines if line.startswith("INC0000045,Resolved"))
    incident = [line for line in lines if line.startswith("INC0000045")]
    log = tmp_path / "repeats.csv"
    log.write_text("\n".join([lines[0], *incident, resolved, resolved]) + "\n")
    db = tmp_path / "r.duckdb"
    with Store(db) as store:
        run_import(store, "servicenow", [log])
    assert kpis(db, "reopen_rate")["reopen_rate"] == (0.0, 1)


def test_loading_again_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "twice.duckdb"
    with Store(db) as store:
        run_import(store, "servicenow", [SAMPLE])
        again = run_import(store, "servicenow", [SAMPLE])
        assert store.count("ticket_events") == 11
    assert [(s.inserted, s.updated, s.unchanged) for s in again] == [(0, 0, 3), (0, 0, 11)]


def test_not_a_servicenow_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "no.duckdb"
    result = run_cli(capsys, "import", "servicenow", str(TWITTER), "--db", str(db))
    assert result.code == 2
    assert result.err == (
        "Error: twcs.csv: not a ServiceNow incident export with one row per update (incident "
        "event log layout): missing columns 'number', 'incident_state', 'sys_mod_count', "
        "'opened_at', 'sys_updated_at'\n"
    )
    assert not db.exists()  # the files are checked before the store is created
