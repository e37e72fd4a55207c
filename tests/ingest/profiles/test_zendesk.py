"""``supportkpi import zendesk`` on a hand-made export written to Zendesk's API reference.

The sample (samples/zendesk/) follows developer.zendesk.com: a ticket page of the
Incremental Ticket Export (``tickets.json``, with sideloaded ``users``), a page of ticket
audits (``audits.json``: Create/Change/Comment/Notification events) and the Incremental
Ticket Event Export as JSON Lines (``ticket_events.jsonl``, comments without the
``comment_events`` sideload). Expected values, counted by hand from those files:

- ticket 1 (email): customer 09:00, agent reply 10:30, solved 11:00  -> first reply 5400 s,
  resolution 7200 s, never reopened;
- ticket 2 (web): customer 08:00, private note 08:20 (not a reply), reply 09:00 (3600 s),
  solved 09:00, customer again next day 10:00 -> reopened, solved 12:00 -> resolution
  28 h = 100800 s, first resolution 3600 s;
- ticket 3 (voice -> phone): only the requester's comment and a tag change -> unanswered.
- ratings: good on ticket 1 (audit at 12:00), bad on ticket 2 -> csat 1 of 2.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli
from profile_imports import assert_reconciled, import_sample

import supportkpi
from supportkpi.errors import InputError
from supportkpi.facts import open_store
from supportkpi.ingest.profiles import get_profile, preview_import, run_import
from supportkpi.store import LoadSummary

SAMPLES = Path(__file__).parent / "samples" / "zendesk"
FILES = [SAMPLES / "tickets.json", SAMPLES / "audits.json", SAMPLES / "ticket_events.jsonl"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[LoadSummary]]:
    return import_sample(tmp_path_factory, "zendesk", FILES)


def test_rows_reconcile(loaded: tuple[Path, list[LoadSummary]]) -> None:
    _, summaries = loaded
    # 3 tickets; 22 events: ticket 1 has 7 (comment, status, status, assignee, comment,
    # status, the rating's update as a note), ticket 2 has 12, ticket 3 has 3 (comment,
    # status, the tag update as a note); 2 ratings (good, bad; "unoffered" is no survey).
    assert [(s.table, s.rows_in, s.inserted, s.rejected) for s in summaries] == [
        ("tickets", 3, 3, 0), ("ticket_events", 22, 22, 0), ("surveys", 2, 2, 0)
    ]  # fmt: skip
    assert_reconciled(summaries)


def test_tickets(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with open_store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, created_at, channel, customer_id, assignee_id, team, priority, "
            "status, tags FROM tickets ORDER BY ticket_id"
        ).fetchall()
    assert rows == [
        ("1", datetime(2024, 3, 4, 9, tzinfo=UTC), "email", "501", "901", "11", "high",
         "solved", ["billing", "invoice"]),
        ("2", datetime(2024, 3, 5, 8, tzinfo=UTC), "web", "502", "902", "12", "normal",
         "solved", None),
        ("3", datetime(2024, 3, 6, 14, tzinfo=UTC), "phone", "503", None, None, None,
         "new", ["callback"]),
    ]  # fmt: skip


def test_events(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with open_store(db, read_only=True) as store:
        two = store.con.execute(
            "SELECT kind, actor_type, public, status FROM ticket_events WHERE ticket_id = '2' "
            'ORDER BY "at", event_id'
        ).fetchall()
        three = store.con.execute(
            "SELECT kind, actor_type, status FROM ticket_events WHERE ticket_id = '3' "
            'ORDER BY "at", event_id'
        ).fetchall()
    assert two == [
        ("message", "customer", True, None), ("status", "customer", True, "new"),
        ("note", "agent", False, None), ("status", "agent", True, "open"),
        ("assignment", "agent", True, None),
        ("message", "agent", True, None), ("status", "agent", True, "solved"),
        ("message", "customer", True, None), ("status", "customer", True, "open"),
        ("message", "agent", True, None), ("status", "agent", True, "solved"),
        ("note", "customer", False, None),  # the rating's update
    ]  # fmt: skip
    # The requester's comment (author: the updater), its Create status, and the rule's
    # tag change (updater -1: the system) kept as a private note.
    assert three == [("message", "customer", None), ("status", "customer", "new"),
                     ("note", "system", None)]  # fmt: skip


def test_kpis(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with supportkpi.connect(str(db)) as con:
        df = con.kpi(["first_response_time", "unanswered_tickets", "reopen_rate",
                      "resolution_time", "first_resolution_time", "csat"])  # fmt: skip
    got = {row["metric"]: (row["value"], row["n"]) for row in df.to_dict("records")}
    assert got == {
        "first_response_time:median": ((5400 + 3600) / 2, 2),
        "unanswered_tickets": (1, 3),
        "reopen_rate": (0.5, 2),  # ticket 2 of the two solved
        "resolution_time:median": ((7200 + 100800) / 2, 2),
        "first_resolution_time:median": ((7200 + 3600) / 2, 2),
        # good (5) on ticket 1, bad (1) on ticket 2, dated by the audits that recorded them
        "csat": (0.5, 2),
    }


def test_a_file_that_is_not_a_zendesk_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "export.json"
    other.write_text('{"results": [{"id": 1, "name": "x"}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"export.json: not a Zendesk export: expected .*"
                       r"\{\"tickets\": \[\.\.\.\]\}.*its keys are results"):  # fmt: skip
        get_profile("zendesk").plan([other], tmp_path)
    csv = tmp_path / "tickets.csv"
    csv.write_text("id,subject\n1,hello\n", encoding="utf-8")
    result = run_cli(capsys, "import", "zendesk", str(csv), "--db", str(tmp_path / "x.duckdb"))
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert (
        "tickets.csv: not a Zendesk export: the file is not JSON (line 1, column 1: " in result.err
    )
    assert "Traceback" not in result.err + result.out
    assert not (tmp_path / "x.duckdb").exists()


def test_every_record_is_stored_or_quarantined(tmp_path: Path) -> None:
    # The incremental export repeats a ticket updated twice; a line that is no ticket and
    # a line that is no JSON are records too. Nothing is written (a dry run).
    export = tmp_path / "tickets.jsonl"
    export.write_text(
        '{"id": 5, "created_at": "2024-03-01T08:00:00Z", "updated_at": "2024-03-01T09:00:00Z",'
        ' "status": "open", "via": {"channel": "email"}}\n'
        '{"id": 5, "created_at": "2024-03-01T08:00:00Z", "updated_at": "2024-03-02T09:00:00Z",'
        ' "status": "solved", "via": {"channel": "email"}}\n'
        '{"id": 6, "created_at": "not a time", "status": "open", "via": {"channel": "web"}}\n'
        '{"results": 1}\n'
        "{not json\n",
        encoding="utf-8",
    )
    (preview,) = preview_import("zendesk", [export])
    assert (preview.rows_in, preview.would_store, preview.would_quarantine) == (5, 1, 4)
    rules = sorted(rule for rule, _, _ in preview.by_rule)
    assert rules == ["older_snapshot", "required", "timestamp"]


def test_audits_alone_take_the_first_commenter_as_the_requester(tmp_path: Path) -> None:
    # Without the ticket file and users, ticket 2's audits never name its requester: the
    # author of its first comment (the description) is the customer, 902 the agent.
    parts = get_profile("zendesk").plan([SAMPLES / "audits.json"], tmp_path)
    assert [(p.table, p.label) for p in parts] == [("ticket_events", "audits.json")]
    rows = [json.loads(line) for line in parts[0].path.read_text().splitlines()]
    messages = [(r["actor_id"], r["actor_type"]) for r in rows
                if r["ticket_id"] == "2" and r["kind"] == "message"]  # fmt: skip
    assert messages == [("502", "customer"), ("902", "agent"), ("502", "customer"),
                        ("902", "agent")]  # fmt: skip


def test_map_adds_a_field_of_the_export(tmp_path: Path) -> None:
    # docs/importers.md's example: every ticket field is there as source:<field>.
    extra = {"tickets": {"columns": {"team": "source:organization_id"}}}
    with open_store(tmp_path / "z.duckdb") as store:
        (tickets, _surveys) = run_import(store, "zendesk", [FILES[0]], extra_mapping=extra)
        teams = store.con.execute("SELECT ticket_id, team FROM tickets ORDER BY 1").fetchall()
    assert (tickets.rows_in, tickets.inserted, tickets.warnings) == (3, 3, [])
    assert teams == [("1", "7"), ("2", None), ("3", None)]


def test_a_users_page_alone_has_nothing_to_load(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    users.write_text('{"users": [{"id": 901, "role": "agent"}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"users\.json: no Zendesk records to load"):
        get_profile("zendesk").plan([users], tmp_path)
