"""``supportkpi import freshdesk`` on a hand-made export written to Freshdesk's documentation.

``samples/freshdesk/tickets.csv`` has the columns of the Freshdesk ticket export (Tickets ->
Export) with status, priority and source as names and as the API's codes (status ``4`` =
Resolved, priority ``4`` = Urgent, source ``3`` = Phone); ``conversations.json`` holds
conversation objects of ``GET /api/v2/tickets/{id}/conversations`` (developers.freshdesk.com).
Times are UTC. Expected values, counted by hand:

- 101: created 09:00, reply 10:00 (3600 s), resolved 12:00, closed two days later ->
  resolution 10800 s (the close after the resolve is no second solve);
- 102: created 08:00, private note 08:30, reply 09:00 (3600 s), resolved 10:00, customer
  writes next day and the ticket is Open again -> one reopen, not solved now;
- 103: created, only a private note, Pending -> unanswered;
- 104: no conversations, so its own columns: first response 10:30 (1800 s), resolved
  11:00 (resolution 3600 s).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli
from profile_imports import assert_reconciled, import_sample

import supportkpi
from supportkpi.errors import InputError
from supportkpi.facts import open_store
from supportkpi.ingest.profiles import get_profile
from supportkpi.ingest.profiles.freshdesk import tickets_mapping
from supportkpi.store import LoadSummary

SAMPLES = Path(__file__).parent / "samples" / "freshdesk"
FILES = [SAMPLES / "tickets.csv", SAMPLES / "conversations.json"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[LoadSummary]]:
    return import_sample(tmp_path_factory, "freshdesk", FILES)


def test_rows_reconcile(loaded: tuple[Path, list[LoadSummary]]) -> None:
    _, summaries = loaded
    # 6 conversations; for 101-103 (which have conversations) the description as the
    # opening message (3), resolved + closed of 101, resolved + reopen of 102.
    assert [(s.table, s.rows_in, s.inserted, s.rejected) for s in summaries] == [
        ("tickets", 4, 4, 0), ("ticket_events", 6 + 3 + 2 + 2, 13, 0)
    ]  # fmt: skip
    assert_reconciled(summaries)


def test_tickets(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with open_store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, created_at, channel, status, priority, assignee_id, team, "
            "customer_id, first_response_at, solved_at, tags FROM tickets ORDER BY ticket_id"
        ).fetchall()

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2024, 4, day, hour, minute, tzinfo=UTC)

    assert rows == [
        ("101", at(1, 9), "email", "closed", "low", "Dana Agent", "Billing", "7001",
         at(1, 10), at(1, 12), ["refund"]),
        ("102", at(2, 8), "web", "open", "normal", "Finn Agent", "Tech", "7002",
         at(2, 9), at(2, 10), ["crash", "android"]),
        ("103", at(3, 10), "phone", "pending", "urgent", None, "Tech", "7003",
         None, None, None),
        ("104", at(4, 10), "chat", "solved", "high", "Dana Agent", "Billing", "7004",
         at(4, 10, 30), at(4, 11), None),
    ]  # fmt: skip


def test_events(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with open_store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT kind, actor_type, public, status FROM ticket_events WHERE ticket_id = '102' "
            'ORDER BY "at", kind'
        ).fetchall()
        none_for_104 = store.con.execute(
            "SELECT count(*) FROM ticket_events WHERE ticket_id = '104'"
        ).fetchone()
    assert rows == [
        ("message", "customer", True, None),  # the description, at Created time
        ("note", "agent", False, None),
        ("message", "agent", True, None),
        ("status", "agent", True, "solved"),
        ("message", "customer", True, None),
        ("status", "customer", True, "open"),  # reopened, dated at Last update time
    ]
    assert none_for_104 == (0,)


def test_kpis(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with supportkpi.connect(str(db)) as con:
        df = con.kpi(["first_response_time", "unanswered_tickets", "reopen_rate",
                      "resolution_time"])  # fmt: skip
    got = {row["metric"]: (row["value"], row["n"]) for row in df.to_dict("records")}
    assert got == {
        "first_response_time:median": (3600, 3),  # 3600, 3600, 1800
        "unanswered_tickets": (1, 4),
        "reopen_rate": (pytest.approx(1 / 3), 3),  # 102 of 101, 102, 104
        "resolution_time:median": ((10800 + 3600) / 2, 2),  # 101 and 104 are solved now
    }


def test_a_file_that_is_not_a_freshdesk_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "incidents.csv"
    other.write_text("number,opened_at,state\nINC1,2024-01-01,New\n", encoding="utf-8")
    message = (
        "incidents.csv: not a Freshdesk ticket export: no 'Ticket ID' or 'Created time' column"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        get_profile("freshdesk").plan([other], tmp_path)
    result = run_cli(capsys, "import", "freshdesk", str(other), "--db", str(tmp_path / "x.db"))
    assert result.code == 2
    assert result.err.count("\n") == 1 and message in result.err
    assert "Traceback" not in result.err + result.out
    notes = tmp_path / "conversations.json"
    notes.write_text('[{"id": 1, "body": "hi"}]', encoding="utf-8")
    with pytest.raises(InputError, match=r"conversations\.json: not a Freshdesk conversations"):
        get_profile("freshdesk").plan([SAMPLES / "tickets.csv", notes], tmp_path)


def test_an_export_without_initial_response_time_adds_the_hours() -> None:
    header = {n.lower(): n for n in ["Ticket ID", "Created time", "First response time (in hrs)"]}
    mapping = tickets_mapping(header)
    assert mapping["columns"] == {"ticket_id": "Ticket ID", "created_at": "Created time"}
    assert mapping["computed"] == {
        "first_response_at": {"from": "created_at", "add": "First response time (in hrs)",
                              "unit": "hours"}
    }  # fmt: skip
