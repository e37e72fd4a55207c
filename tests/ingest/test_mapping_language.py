"""Mapping language: conditions on several columns, wildcard and regex activity rules, a row
filter, coalesced columns, case-insensitive names, the row number as a column, keep-last
snapshots; and their mistakes, every one listed at once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supportkpi.errors import ConfigError, InputError
from supportkpi.ingest import ingest_file, load_mapping
from supportkpi.schema import get_table
from supportkpi.store import LoadSummary, Store
from supportkpi.store.quarantine import quarantine_entries


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def write(tmp_path: Path, text: str, name: str = "src.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def reconciles(summary: LoadSummary) -> tuple[int, int, int]:
    stored = summary.inserted + summary.updated + summary.unchanged
    assert summary.rows_in == stored + summary.rejected
    return summary.rows_in, stored, summary.rejected


def utc(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


LOG = """case,at,activity,state,sub
C1,2024-01-01T08:00:00Z,Opened,New,
C1,2024-01-01T09:00:00Z,Reply sent,Open,email
C1,2024-01-01T10:00:00Z,Reply sent,Open,internal
C1,2024-01-01T11:00:00Z,State change,Resolved,Fixed
C1,2024-01-01T12:00:00Z,State change,Resolved,Duplicate
C1,2024-01-01T13:00:00Z,RESOLVED-BUG,Closed,
C1,2024-01-01T14:00:00Z,Something else,Closed,
"""
RULES: dict[str, Any] = {
    "columns": {"ticket_id": "case", "at": "at"},
    "events": {
        "activity_column": "activity",
        "activities": {"Opened": {"kind": "message", "actor_type": "customer"}},
        "rules": [
            # conditions on two columns
            {"when": {"state": "Resolved", "sub": ["Fixed", "Workaround"]},
             "kind": "status", "status": "solved", "actor_type": "agent"},
            {"match": "Reply*", "when": {"sub": "internal"}, "kind": "note",
             "actor_type": "agent", "public": False},
            {"match": "Reply*", "kind": "message", "actor_type": "agent"},  # wildcard
            {"regex": "(RESOLVED|VERIFIED)-.*", "kind": "note", "actor_type": "system"},
            # a row whose activity is "Opened" is listed by name: that wins over this rule
            {"when": {"state": "New"}, "kind": "escalation", "actor_type": "agent"},
        ],
        "default": {"kind": "note", "actor_type": "system"},
    },
}  # fmt: skip


def test_rules_by_condition_wildcard_and_regex(store: Store, tmp_path: Path) -> None:
    summary = ingest_file(store, "ticket_events", write(tmp_path, LOG), mapping=RULES)
    assert reconciles(summary) == (7, 7, 0)
    assert rows(store, 'SELECT "at", kind, actor_type, status, public FROM ticket_events '
                       'ORDER BY "at"') == [
        (utc(1, 8), "message", "customer", None, True),  # listed by name
        (utc(1, 9), "message", "agent", None, True),  # Reply*
        (utc(1, 10), "note", "agent", None, False),  # Reply* and sub = internal: first rule
        (utc(1, 11), "status", "agent", "solved", True),  # state and sub
        (utc(1, 12), "note", "system", None, True),  # sub Duplicate: no rule, the default
        (utc(1, 13), "note", "system", None, True),  # the regex
        (utc(1, 14), "note", "system", None, True),  # the default
    ]  # fmt: skip


def test_without_a_default_an_unmatched_activity_names_the_rules(
    store: Store, tmp_path: Path
) -> None:
    mapping = {**RULES, "events": {k: v for k, v in RULES["events"].items() if k != "default"}}
    summary = ingest_file(store, "ticket_events", write(tmp_path, LOG), mapping=mapping)
    assert reconciles(summary) == (7, 5, 2)
    assert rows(store, "SELECT row_number, message FROM _quarantine ORDER BY 1")[1] == (
        7, "src.csv row 7: activity column 'activity' value 'Something else' is not listed in "
        "[events.activities], matches no [[events.rules]] (and there is no [events] default)",
    )  # fmt: skip


def test_a_rule_column_missing_from_the_file_is_one_sentence(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "case,at,activity\nC1,2024-01-01,Opened\n")
    with pytest.raises(InputError) as info:
        ingest_file(store, "ticket_events", path, mapping=RULES)
    assert str(info.value) == (
        "src.csv: columns 'state' (from [[events.rules]] 1 when), 'sub' (from [[events.rules]] 1 "
        "when), 'sub' (from [[events.rules]] 2 when), 'state' (from [[events.rules]] 5 when) "
        "not in the file"
    )


def test_computed_when_on_two_columns(store: Store, tmp_path: Path) -> None:
    text = (
        "id,at,answered,kind,wait\n"
        "A,2024-01-01T08:00:00Z,Y,voice,30\n"
        "B,2024-01-01T08:00:00Z,Y,chat,30\n"
    )
    mapping = {
        "columns": {"call_id": "id", "offered_at": "at"},
        "computed": {"answered_at": {"from": "offered_at", "add": "wait",
                                     "when": {"answered": "Y", "kind": "voice"}}},
    }  # fmt: skip
    ingest_file(store, "calls", write(tmp_path, text), mapping=mapping)
    assert rows(store, "SELECT call_id, answered_at FROM calls ORDER BY 1") == [
        ("A", datetime(2024, 1, 1, 8, 0, 30, tzinfo=UTC)),
        ("B", None),
    ]


TICKETS = """id,created,type,state,resolved_at,closed_at
T1,2024-01-01,Incident,Open,,
T2,2024-01-01,Request,Draft,,
T3,2024-01-02,Incident,Draft,,
T4,2024-01-02,Incident,Closed,2024-01-03,2024-01-05
T5,2024-01-02,Incident,Closed,,2024-01-06
"""
TICKET_COLUMNS = {"ticket_id": "id", "created_at": "created", "channel": "type"}


def test_row_filter_quarantines_what_it_leaves_out(store: Store, tmp_path: Path) -> None:
    mapping = {"columns": TICKET_COLUMNS,
               "filter": {"keep": {"type": "Incident"}, "drop": {"state": "Draft"}}}  # fmt: skip
    summary = ingest_file(store, "tickets", write(tmp_path, TICKETS), mapping=mapping)
    assert reconciles(summary) == (5, 3, 2)
    assert rows(store, "SELECT ticket_id FROM tickets ORDER BY 1") == [("T1",), ("T4",), ("T5",)]
    assert rows(store, "SELECT row_number, rule, message FROM _quarantine ORDER BY 1") == [
        (2, "filtered", "src.csv row 2: the row is left out by [filter] (keep rows where 'type' "
         "is 'Incident'; drop rows where 'state' is 'Draft')"),
        (3, "filtered", "src.csv row 3: the row is left out by [filter] (keep rows where 'type' "
         "is 'Incident'; drop rows where 'state' is 'Draft')"),
    ]  # fmt: skip


def test_rows_left_out_on_purpose_are_accounted_for_but_not_open(
    store: Store, tmp_path: Path
) -> None:
    mapping = {"columns": TICKET_COLUMNS, "filter": {"drop": {"state": "Draft"}}}
    ingest_file(store, "tickets", write(tmp_path, TICKETS), mapping=mapping)
    bad = "id,created,type,state\nT9,not a date,Incident,Open\n"
    ingest_file(store, "tickets", write(tmp_path, bad, "bad.csv"), mapping=mapping)
    # The filtered rows are resolved by their own load: nothing to fix, but not lost.
    assert rows(store, "SELECT load_id, rule, resolved_by, resolution FROM _quarantine "
                       "ORDER BY load_id, row_number") == [
        (1, "filtered", 1, "left out"),
        (1, "filtered", 1, "left out"),
        (2, "timestamp", None, None),
    ]  # fmt: skip
    assert [e["rule"] for e in quarantine_entries(store.con)] == ["timestamp"]
    assert len(quarantine_entries(store.con, include_resolved=True)) == 3


def test_coalesce_across_columns(store: Store, tmp_path: Path) -> None:
    mapping = {"columns": {**TICKET_COLUMNS, "solved_at": ["resolved_at", "closed_at"]}}
    ingest_file(store, "tickets", write(tmp_path, TICKETS), mapping=mapping)
    assert rows(store, "SELECT ticket_id, solved_at FROM tickets WHERE solved_at IS NOT NULL "
                       "ORDER BY 1") == [("T4", utc(3)), ("T5", utc(6))]  # fmt: skip


def test_coalesce_names_every_column_when_the_value_is_bad(store: Store, tmp_path: Path) -> None:
    text = "id,created,type,resolved_at,closed_at\nT1,2024-01-01,web,,soon\n"
    mapping = {"columns": {**TICKET_COLUMNS, "solved_at": ["resolved_at", "closed_at"]}}
    ingest_file(store, "tickets", write(tmp_path, text), mapping=mapping)
    assert rows(store, "SELECT message FROM _quarantine") == [
        ("src.csv row 1: column 'solved_at' (from 'resolved_at' or 'closed_at') value 'soon' is "
         "not a timestamp (ISO 8601, or set [source] date_format)",)
    ]  # fmt: skip


def test_ignore_case_matches_mapped_names(store: Store, tmp_path: Path) -> None:
    text = "Case ID ,OPENED,Via\nC1,2024-01-01,web\n"
    mapping: dict[str, Any] = {
        "columns": {"ticket_id": "case id", "created_at": "Opened", "channel": "via"}
    }
    with pytest.raises(InputError, match="required columns are missing"):
        ingest_file(store, "tickets", write(tmp_path, text), mapping=mapping)
    mapping["source"] = {"ignore_case": True}
    summary = ingest_file(store, "tickets", write(tmp_path, text), mapping=mapping)
    assert reconciles(summary) == (1, 1, 0)


def test_row_number_as_a_column_builds_keys(store: Store, tmp_path: Path) -> None:
    text = "queue,opened,answered\nsales,2024-01-01T08:00:00Z,Y\nsales,2024-01-01T08:05:00Z,N\n"
    mapping = {
        "source": {"row_number_column": "line"},
        "columns": {"offered_at": "opened", "queue": "queue"},
        "computed": {"call_id": {"join": ["queue", "line"], "separator": "-"}},
    }
    for _ in range(2):  # the same file again: the same keys
        summary = ingest_file(store, "calls", write(tmp_path, text, "calls.csv"), mapping=mapping)
    assert (summary.inserted, summary.unchanged) == (0, 2)
    assert rows(store, "SELECT call_id FROM calls ORDER BY 1") == [("sales-1",), ("sales-2",)]


SNAPSHOTS = """number,opened,updated,state,priority
INC1,2024-01-01T08:00:00Z,2024-01-01T08:00:00Z,new,low
INC2,2024-01-01T09:00:00Z,2024-01-01T09:00:00Z,new,normal
INC1,2024-01-01T08:00:00Z,2024-01-03T10:00:00Z,solved,urgent
INC1,2024-01-01T08:00:00Z,2024-01-02T10:00:00Z,open,high
"""
SNAPSHOT_MAPPING = {
    "source": {"duplicates": "keep_last", "order_by": "updated_at"},
    "columns": {"ticket_id": "number", "created_at": "opened", "updated_at": "updated",
                "status": "state"},
    "constants": {"channel": "web"},
}  # fmt: skip


def test_keep_last_takes_the_last_snapshot_by_the_named_column(
    store: Store, tmp_path: Path
) -> None:
    summary = ingest_file(store, "tickets", write(tmp_path, SNAPSHOTS), mapping=SNAPSHOT_MAPPING)
    assert reconciles(summary) == (4, 2, 2)
    # Row 3 is the last INC1 by updated_at (row 4 is later in the file, earlier in time).
    assert rows(store, "SELECT ticket_id, status, priority FROM tickets ORDER BY 1") == [
        ("INC1", "solved", "urgent"),
        ("INC2", "new", "normal"),
    ]
    assert rows(store, "SELECT row_number, rule, message FROM _quarantine ORDER BY 1") == [
        (1, "older_snapshot", "src.csv row 1: key (ticket_id) value 'INC1' has a later snapshot "
         "in this file; row 3 (the last by updated_at) is kept"),
        (4, "older_snapshot", "src.csv row 4: key (ticket_id) value 'INC1' has a later snapshot "
         "in this file; row 3 (the last by updated_at) is kept"),
    ]  # fmt: skip


def test_keep_last_without_order_takes_the_last_row(store: Store, tmp_path: Path) -> None:
    mapping = {**SNAPSHOT_MAPPING, "source": {"duplicates": "keep_last"}}
    ingest_file(store, "tickets", write(tmp_path, SNAPSHOTS), mapping=mapping)
    assert rows(store, "SELECT status FROM tickets WHERE ticket_id = 'INC1'") == [("open",)]


def test_the_default_still_keeps_the_first(store: Store, tmp_path: Path) -> None:
    mapping = {k: v for k, v in SNAPSHOT_MAPPING.items() if k != "source"}
    ingest_file(store, "tickets", write(tmp_path, SNAPSHOTS), mapping=mapping)
    assert rows(store, "SELECT status FROM tickets WHERE ticket_id = 'INC1'") == [("new",)]


def test_every_mistake_of_the_new_keys_is_listed_at_once() -> None:
    data = {
        "source": {"duplicates": "newest", "order_by": "updated", "ignore_case": "yes"},
        "filter": {"keep": {"type": []}, "drop": "Draft", "where": {}},
        "columns": {"solved_at": ["resolved_at", 3]},
        "events": {
            "activity_column": "activity",
            "rules": [
                {"match": "A*", "regex": "B.*", "kind": "note", "actor_type": "agent"},
                {"regex": "(?=x)", "kind": "note", "actor_type": "agent"},
                {"kind": "note", "actor_type": "agent"},
                {"match": "C*"},
                {"match": "D*", "kind": "chat", "actor_type": "agent"},
            ],
        },
    }
    with pytest.raises(ConfigError) as info:
        load_mapping(data, get_table("ticket_events"))
    assert info.value.problems == [
        "[source] ignore_case must be true or false",
        "[source] duplicates 'newest' is not one of reject, keep_last",
        '[source] order_by goes with duplicates = "keep_last"',
        "[source] order_by updated: unknown column of table 'ticket_events'",
        "[filter] keep 'type': give a value or a non-empty list of values",
        '[filter] drop must be a table of source column = value: { "State" = "New" }',
        "[filter] unknown key 'where'; known: keep, drop",
        "[columns] solved_at: unknown column of table 'ticket_events'",
        "[[events.rules]] 1: give match (a wildcard pattern) or regex, not both",
        "[[events.rules]] 2 regex '(?=x)' is not a valid RE2 expression: Invalid Input Error: "
        "invalid perl operator: (?=",
        "[[events.rules]] 3: give match, regex or when (which rows the rule is for)",
        "[[events.rules]] 4: sets nothing (give kind, actor_type, ...)",
        "[[events.rules]] 5 kind: 'chat' is not one of message, status, assignment, escalation, "
        "priority, note",
    ]
