"""Loads: per-row rules, whole-file errors, idempotency, update counting, the load log,
event keys and tickets derived from events."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supportkpi.errors import InputError, NotFoundError
from supportkpi.ingest import ingest_file, ingest_files
from supportkpi.store import Store


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def q(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def counts(summary: Any) -> tuple[int, int, int, int, int]:
    return (summary.rows_in, summary.inserted, summary.updated, summary.unchanged,
            summary.rejected)  # fmt: skip


TICKETS = """ticket_id,created_at,channel,status,priority,reopens,escalated,solved_at
T1,2024-01-01 10:00,Email,Open,High,0,yes,
T2,2024-01-01 11:00,phone,on hold,low,1,no,
T3,yesterday,chat,open,,,,
T4,2024-01-02,web,in review,,,,
T1,2024-01-03,web,open,,,,
,2024-01-03,web,open,,,,
T5,2024-01-03,web,open,,2.5,,
T6,2024-01-03,,open,,,,
T7,2024-01-03,Carrier Pigeon,solved,custom,,maybe,
T8,2024-01-05 00:00,web,solved,,,,2024-01-04 00:00
"""


def test_row_rules(store: Store, tmp_path: Path) -> None:
    summary = ingest_file(store, "tickets", write(tmp_path, TICKETS))
    assert counts(summary) == (10, 3, 0, 0, 7)
    assert q(store, "SELECT row_number, column_name, value, rule FROM _quarantine "
                    "ORDER BY row_number") == [
        (3, "created_at", "yesterday", "timestamp"),
        (4, "status", "in review", "enum"),
        (5, "ticket_id", "T1", "duplicate_key"),
        (6, "ticket_id", None, "required"),
        (7, "reopens", "2.5", "integer"),
        (8, "channel", None, "required"),
        (9, "escalated", "maybe", "boolean"),
    ]  # fmt: skip
    # open enums (channel, priority) are lower-cased and accepted; closed ones normalised.
    assert q(store, "SELECT ticket_id, channel, status, priority FROM tickets ORDER BY 1") == [
        ("T1", "email", "open", "high"),
        ("T2", "phone", "on_hold", "low"),
        ("T8", "web", "solved", None),
    ]
    assert any("1 tickets answered, solved or closed before" in w for w in summary.warnings)


def test_reject_messages_name_file_row_column_and_rule(store: Store, tmp_path: Path) -> None:
    ingest_file(store, "tickets", write(tmp_path, TICKETS))
    messages = [r[0] for r in q(store, "SELECT message FROM _quarantine ORDER BY row_number")]
    assert messages[0] == (
        "t.csv row 3: column 'created_at' value 'yesterday' is not a timestamp "
        "(ISO 8601, or set [source] date_format)"
    )
    assert messages[2] == (
        "t.csv row 5: key (ticket_id) value 'T1' is a duplicate key in this file; row 1 is kept"
    )
    assert messages[3] == "t.csv row 6: column 'ticket_id' is required but empty"


def test_quarantine_mentions_the_source_column(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "Case,Opened,Via\nC1,soon,web\n")
    mapping = {"columns": {"ticket_id": "Case", "created_at": "Opened", "channel": "Via"}}
    ingest_file(store, "tickets", path, mapping=mapping)
    assert q(store, "SELECT message FROM _quarantine") == [
        ("t.csv row 1: column 'created_at' (from 'Opened') value 'soon' is not a timestamp "
         "(ISO 8601, or set [source] date_format)",)
    ]  # fmt: skip


def test_missing_required_column_names_file_and_source(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "Ticket,created_at,channel\nA,2024-01-01,web\n", "helpdesk.csv")
    with pytest.raises(InputError) as info:
        ingest_file(store, "tickets", path, mapping={"columns": {"ticket_id": "Case ID"}})
    assert str(info.value) == (
        "helpdesk.csv: required column 'ticket_id' is missing (mapped from 'Case ID')"
    )
    path = write(tmp_path, "id\nA\n", "helpdesk.csv")
    with pytest.raises(InputError, match=r"helpdesk\.csv: required columns are missing: "
                       r"'ticket_id' .*, 'created_at' .*, 'channel' "):  # fmt: skip
        ingest_file(store, "tickets", path)
    assert store.load_log().num_rows == 0  # nothing was loaded, nothing logged


def test_unknown_table(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="unknown table 'tix'"):
        ingest_file(store, "tix", write(tmp_path, "a\n1\n"))


def test_reload_is_unchanged_and_changes_count_as_updates(store: Store, tmp_path: Path) -> None:
    first = "ticket_id,created_at,channel\nA,2024-01-01,web\nB,2024-01-02,web\n"
    assert counts(ingest_file(store, "tickets", write(tmp_path, first))) == (2, 2, 0, 0, 0)
    assert counts(ingest_file(store, "tickets", write(tmp_path, first))) == (2, 0, 0, 2, 0)
    second = "ticket_id,created_at,channel\nA,2024-01-01,web\nB,2024-01-02,chat\nC,2024-01-03,web\n"
    assert counts(ingest_file(store, "tickets", write(tmp_path, second))) == (3, 1, 1, 1, 0)
    assert q(store, "SELECT ticket_id, channel FROM tickets ORDER BY 1") == [
        ("A", "web"), ("B", "chat"), ("C", "web"),
    ]  # fmt: skip


def test_load_log_records_every_load_with_hash(store: Store, tmp_path: Path) -> None:
    text = "ticket_id,created_at,channel\nA,never,web\n"
    path = write(tmp_path, text)
    summary = ingest_file(store, "tickets", path)
    assert counts(summary) == (1, 0, 0, 0, 1)  # rejects everything, still logged
    log = store.load_log().to_pylist()
    assert len(log) == 1
    assert log[0]["load_id"] == 1
    assert log[0]["file_name"] == str(path)
    assert log[0]["content_hash"] == hashlib.sha256(text.encode()).hexdigest()
    assert (log[0]["rows_in"], log[0]["rejected"]) == (1, 1)
    ingest_file(store, "tickets", path)
    assert [r["load_id"] for r in store.load_log().to_pylist()] == [1, 2]
    assert q(store, "SELECT load_id FROM _quarantine ORDER BY 1") == [(1,), (2,)]


def test_ingest_files_is_one_load_per_file(store: Store, tmp_path: Path) -> None:
    a = write(tmp_path, "ticket_id,created_at,channel\nA,2024-01-01,web\n", "a.csv")
    b = write(tmp_path, "ticket_id,created_at,channel\nA,2024-01-01,chat\n", "b.csv")
    summaries = ingest_files(store, "tickets", [a, b])
    assert [counts(s) for s in summaries] == [(1, 1, 0, 0, 0), (1, 0, 1, 0, 0)]
    with pytest.raises(InputError, match=r"missing\.csv: file not found"):
        ingest_files(store, "tickets", [a, tmp_path / "missing.csv"])
    assert store.load_log().num_rows == 2  # the missing file stopped the batch up front


EVENTS = """ticket_id,at,kind,actor_type,actor_id,channel,status,assignee_id,team
E1,2024-01-01T09:00:00Z,message,customer,cust1,Chat,,,
E1,2024-01-01T09:05:00Z,assignment,system,,,,ann,tier1
E1,2024-01-01T09:07:00Z,message,agent,ann,,,,
E1,2024-01-01T09:07:00Z,message,agent,ann,,,,
E1,2024-01-01T10:00:00Z,status,agent,bob,,solved,,
E2,2024-01-02T09:00:00Z,note,agent,carl,,,,
"""


def test_events_alone_derive_tickets(store: Store, tmp_path: Path) -> None:
    summary = ingest_file(store, "ticket_events", write(tmp_path, EVENTS))
    # the exact duplicate row is a second event, as the source recorded it
    assert counts(summary) == (6, 6, 0, 0, 0)
    assert "derived 2 tickets from events (2 new, 0 updated, 0 unchanged)" in summary.warnings
    got = q(store, "SELECT ticket_id, created_at, channel, customer_id, assignee_id, team, "
                   "status, derived FROM tickets ORDER BY 1")  # fmt: skip
    assert got == [
        ("E1", datetime(2024, 1, 1, 9, tzinfo=UTC), "chat", "cust1", "ann", "tier1", "solved",
         True),
        # no assignment: the last agent who acted; no status event: open
        ("E2", datetime(2024, 1, 2, 9, tzinfo=UTC), "unknown", None, "carl", None, "open",
         True),
    ]  # fmt: skip
    again = ingest_file(store, "ticket_events", write(tmp_path, EVENTS))
    assert counts(again) == (6, 0, 0, 6, 0)
    assert store.count("tickets") == 2


def test_mapping_channel_for_derived_tickets(store: Store, tmp_path: Path) -> None:
    ingest_file(store, "ticket_events", write(tmp_path, EVENTS),
                mapping={"tickets": {"channel": "Email"}})  # fmt: skip
    assert q(store, "SELECT ticket_id, channel FROM tickets ORDER BY 1") == [
        ("E1", "chat"), ("E2", "email"),
    ]  # fmt: skip


def test_new_events_rederive_and_real_tickets_replace(store: Store, tmp_path: Path) -> None:
    ingest_file(store, "ticket_events", write(tmp_path, EVENTS))
    more = "ticket_id,at,kind,actor_type,status\nE2,2024-01-03T00:00:00Z,status,agent,closed\n"
    summary = ingest_file(store, "ticket_events", write(tmp_path, more, "more.csv"))
    assert "derived 1 tickets from events (0 new, 1 updated, 0 unchanged)" in summary.warnings
    assert q(store, "SELECT status FROM tickets WHERE ticket_id = 'E2'") == [("closed",)]

    real = "ticket_id,created_at,channel\nE1,2024-01-01T08:59:00Z,chat\n"
    loaded = ingest_file(store, "tickets", write(tmp_path, real, "tickets.csv"))
    assert counts(loaded) == (1, 1, 0, 0, 0)  # the derived row was never the user's
    assert "replaced 1 tickets derived from events with the loaded rows" in loaded.warnings
    assert q(store, "SELECT ticket_id, derived FROM tickets ORDER BY 1") == [
        ("E1", False), ("E2", True),
    ]  # fmt: skip
    # events of a ticket with a real row never overwrite it
    ingest_file(store, "ticket_events", write(tmp_path, EVENTS))
    assert q(store, "SELECT created_at FROM tickets WHERE ticket_id = 'E1'") == [
        (datetime(2024, 1, 1, 8, 59, tzinfo=UTC),)
    ]


def test_events_of_unknown_tickets_are_kept_with_a_warning(store: Store, tmp_path: Path) -> None:
    real = "ticket_id,created_at,channel\nE1,2024-01-01,chat\n"
    ingest_file(store, "tickets", write(tmp_path, real, "tickets.csv"))
    summary = ingest_file(store, "ticket_events", write(tmp_path, EVENTS))
    assert summary.inserted == 6
    assert "1 events refer to 1 tickets not in the tickets table; kept, with tickets derived " \
        "from the events" in summary.warnings  # fmt: skip


def test_explicit_event_ids_and_duplicates(store: Store, tmp_path: Path) -> None:
    text = """event_id,ticket_id,at,kind,actor_type
ev1,A,2024-01-01T00:00:00Z,message,customer
ev1,A,2024-01-01T00:01:00Z,message,agent
ev2,A,2024-01-01T00:02:00Z,message,agent
"""
    summary = ingest_file(store, "ticket_events", write(tmp_path, text))
    assert counts(summary) == (3, 2, 0, 0, 1)
    assert q(store, "SELECT rule, row_number FROM _quarantine") == [("duplicate_key", 2)]
    changed = text.replace("00:02:00Z,message,agent", "00:02:00Z,note,agent")
    assert counts(ingest_file(store, "ticket_events", write(tmp_path, changed))) == (3, 0, 1, 1, 1)


def test_fixing_an_activity_mapping_updates_events(store: Store, tmp_path: Path) -> None:
    text = "case,when,what\nC1,2024-01-01T00:00:00Z,Ping\nC1,2024-01-01T00:00:00Z,Ping\n"
    mapping: dict[str, Any] = {
        "columns": {"ticket_id": "case", "at": "when"},
        "events": {"activity_column": "what",
                   "activities": {"Ping": {"kind": "note", "actor_type": "agent"}}},
    }  # fmt: skip
    assert counts(ingest_file(store, "ticket_events", write(tmp_path, text), mapping)) == (
        2, 2, 0, 0, 0)  # fmt: skip
    mapping["events"]["activities"]["Ping"]["kind"] = "message"
    assert counts(ingest_file(store, "ticket_events", write(tmp_path, text), mapping)) == (
        2, 0, 2, 0, 0)  # fmt: skip
    assert q(store, "SELECT kind, count(*) FROM ticket_events GROUP BY 1") == [("message", 2)]
