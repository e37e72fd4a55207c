"""Source columns that share a canonical column's name (issue 11, defect 4): the [events]
activity rules own status, kind and actor_type; elsewhere the match is reported, and a
mapping can turn it off with ``[source] implicit_columns = false``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli

from supportkpi.errors import ConfigError, InputError
from supportkpi.ingest import ingest_file
from supportkpi.ingest.mapping import load_mapping
from supportkpi.schema import get_table
from supportkpi.store import Store

# An incident log: its own Status column holds the incident's state, in its own words.
INCIDENTS = """Number,Activity,Time,Status,Kind
INC1,Opened,2024-01-01 09:00,New,ticket
INC1,Replied,2024-01-01 10:00,In Progress,ticket
INC1,Note added,2024-01-01 10:30,In Progress,ticket
INC1,Resolved,2024-01-02 09:00,Resolved,ticket
INC1,Closed,2024-01-09 09:00,Closed,ticket
"""
EVENTS_MAPPING: dict[str, Any] = {
    "columns": {"ticket_id": "Number", "at": "Time"},
    "events": {
        "activity_column": "Activity",
        "activities": {
            "Opened": {"kind": "message", "actor_type": "customer"},
            "Replied": {"kind": "message", "actor_type": "agent"},
            "Note added": {"kind": "note", "actor_type": "agent", "public": False},
            "Resolved": {"kind": "status", "status": "solved", "actor_type": "agent"},
            "Closed": {"kind": "status", "status": "closed", "actor_type": "system"},
        },
    },
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_event_rules_own_status_kind_and_actor_type(tmp_path: Path) -> None:
    with Store(":memory:") as store:
        summary = ingest_file(store, "ticket_events", write(tmp_path, "inc.csv", INCIDENTS),
                              mapping=EVENTS_MAPPING)  # fmt: skip
        got = store.con.execute('SELECT kind, status FROM ticket_events ORDER BY "at"').fetchall()
    assert (summary.rows_in, summary.inserted, summary.rejected) == (5, 5, 0)
    # Only the status events say a status, the one their activity rule sets.
    assert got == [("message", None), ("message", None), ("note", None),
                   ("status", "solved"), ("status", "closed")]  # fmt: skip
    assert (
        "columns 'Kind', 'Status' are not read as kind, status: with [events] the activity "
        "rules set status, kind and actor_type (an activity can copy one: "
        'copy = { status = "Status" })'
    ) in summary.warnings


def test_an_activity_that_does_not_set_kind_is_not_rescued_by_a_same_named_column(
    tmp_path: Path,
) -> None:
    mapping = json.loads(json.dumps(EVENTS_MAPPING))
    del mapping["events"]["activities"]["Replied"]["kind"]
    with (
        Store(":memory:") as store,
        pytest.raises(
            InputError,
            match=r"required column 'kind' is missing \(activities 'Replied' do not set it",
        ),
    ):
        ingest_file(store, "ticket_events", write(tmp_path, "inc.csv", INCIDENTS), mapping=mapping)


def test_an_activity_can_still_copy_the_source_status(tmp_path: Path) -> None:
    mapping = json.loads(json.dumps(EVENTS_MAPPING))
    mapping["events"]["activities"]["Opened"] = {
        "kind": "status", "actor_type": "customer", "copy": {"status": "Status"},
    }  # fmt: skip
    with Store(":memory:") as store:
        summary = ingest_file(store, "ticket_events", write(tmp_path, "inc.csv", INCIDENTS),
                              mapping=mapping)  # fmt: skip
        got = store.con.execute('SELECT status FROM ticket_events ORDER BY "at"').fetchall()
    assert summary.rejected == 0
    assert [s for (s,) in got] == ["new", None, None, "solved", "closed"]


TICKETS = """Case,Opened,Channel,Priority,Status
C1,2024-01-01,email,High,Open
C2,2024-01-02,web,Low,Solved
"""


def test_same_name_matches_are_reported_in_the_load_summary(tmp_path: Path) -> None:
    mapping = {"columns": {"ticket_id": "Case", "created_at": "Opened"}}
    with Store(":memory:") as store:
        summary = ingest_file(store, "tickets", write(tmp_path, "t.csv", TICKETS), mapping=mapping)
        got = store.con.execute("SELECT priority, status FROM tickets ORDER BY 1").fetchall()
    assert got == [("high", "open"), ("low", "solved")]
    assert summary.warnings == [
        "read columns 'Channel' as channel, 'Priority' as priority, 'Status' as status "
        "(same name, not in the mapping; [source] implicit_columns = false reads only mapped "
        "columns)"
    ]


def test_a_canonical_file_without_a_mapping_loads_without_notes(tmp_path: Path) -> None:
    text = "ticket_id,created_at,channel\nA,2024-01-01,web\n"
    with Store(":memory:") as store:
        summary = ingest_file(store, "tickets", write(tmp_path, "t.csv", text))
    assert summary.warnings == []
    text = "Ticket_ID,created_at,channel\nA,2024-01-01,web\n"  # only the spelling differs
    with Store(":memory:") as store:
        summary = ingest_file(store, "tickets", write(tmp_path, "t.csv", text))
    assert summary.warnings[0].startswith("read column 'Ticket_ID' as ticket_id (same name")


def test_implicit_columns_false_reads_only_mapped_columns(tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.toml", '[source]\nimplicit_columns = false\n\n[columns]\n'
                    'ticket_id = "Case"\ncreated_at = "Opened"\nchannel = "Channel"\n')  # fmt: skip
    with Store(":memory:") as store:
        summary = ingest_file(store, "tickets", write(tmp_path, "t.csv", TICKETS), mapping)
        got = store.con.execute("SELECT priority, status FROM tickets").fetchall()
    assert got == [(None, None), (None, None)]
    assert summary.warnings == []


def test_a_required_column_left_out_says_why(tmp_path: Path) -> None:
    mapping = {"source": {"implicit_columns": False}, "columns": {"ticket_id": "Case"}}
    text = "Case,created_at,channel\nC1,2024-01-01,web\n"
    with Store(":memory:") as store, pytest.raises(InputError) as info:
        ingest_file(store, "tickets", write(tmp_path, "t.csv", text), mapping=mapping)
    assert str(info.value) == (
        "t.csv: required columns are missing: 'created_at' (the file has a column of that "
        "name, but [source] implicit_columns = false reads only mapped columns), 'channel' "
        "(the file has a column of that name, but [source] implicit_columns = false reads "
        "only mapped columns)"
    )


def test_implicit_columns_is_validated_like_the_other_keys() -> None:
    with pytest.raises(ConfigError) as info:
        load_mapping({"source": {"implicit_columns": "no"}}, get_table("tickets"))
    assert info.value.problems == ["[source] implicit_columns must be true or false"]
    parsed = load_mapping({"source": {"implicit_columns": False}}, get_table("tickets"))
    assert parsed.implicit_columns is False
    assert load_mapping(None, get_table("tickets")).implicit_columns is True


def test_the_ingest_command_prints_the_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = write(tmp_path, "m.toml", '[columns]\nticket_id = "Case"\ncreated_at = "Opened"\n')
    source = write(tmp_path, "t.csv", TICKETS)
    result = run_cli(capsys, "ingest", "tickets", str(source), "--db", str(tmp_path / "s.duckdb"),
                     "--map", str(mapping))  # fmt: skip
    assert result.code == 0, result.err
    assert "note: t.csv: read columns 'Channel' as channel" in " ".join(result.out.split())


REAL_LOG = Path(__file__).resolve().parents[3] / "shared" / "data" / "helpdesk_eventlog.csv"
REAL_MAPPING = (
    Path(__file__).resolve().parents[2] / "examples" / "helpdesk_eventlog" / "mapping.toml"
)


@pytest.mark.skipif(not REAL_LOG.is_file(), reason="the shared real data is not here")
def test_the_real_log_with_an_incident_status_column_loads_every_row(tmp_path: Path) -> None:
    # The real help-desk log, given the per-row state column an incident export carries.
    lines = REAL_LOG.read_text(encoding="utf-8").splitlines()[:2001]
    states = ("Closed", "In Progress", "Waiting")
    text = "\n".join([lines[0] + ",Status"] + [f"{line},{states[i % 3]}"
                     for i, line in enumerate(lines[1:])]) + "\n"  # fmt: skip
    with Store(":memory:") as store:
        summary = ingest_file(store, "ticket_events", write(tmp_path, "log.csv", text),
                              mapping=REAL_MAPPING)  # fmt: skip
        statuses = store.con.execute(
            "SELECT DISTINCT status FROM ticket_events WHERE status IS NOT NULL ORDER BY 1"
        ).fetchall()
    assert (summary.rows_in, summary.rejected) == (2000, 0)
    assert statuses == [("closed",), ("pending",), ("solved",)]


DOCS = Path(__file__).resolve().parents[2] / "docs" / "loading.md"


def test_every_source_key_is_documented_and_every_example_mapping_is_valid() -> None:
    import re
    import tomllib

    from supportkpi.ingest.mapping import SECTIONS, SOURCE_KEYS

    text = DOCS.read_text(encoding="utf-8")
    undocumented = [k for k in SOURCE_KEYS if f"| `{k}` |" not in text]
    assert undocumented == [], "add these [source] keys to docs/loading.md"
    assert [s for s in SECTIONS if f"[{s}]" not in text and f"`[{s}" not in text] == []
    examples = re.findall(r"```toml\n# table: (\w+)\n(.*?)```", text, flags=re.S)
    assert len(examples) == 9
    for table, body in examples:
        load_mapping(tomllib.loads(body), get_table(table))  # raises on any problem
