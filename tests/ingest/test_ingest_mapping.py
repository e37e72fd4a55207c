"""Mapping features: renames, constants, value maps, durations, date format, source time zone
(DST included), activities; and mapping validation that lists every problem at once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from supportkpi.errors import ConfigError, InputError
from supportkpi.ingest import ingest_file, load_mapping
from supportkpi.schema import get_table
from supportkpi.store import Store


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def write(tmp_path: Path, text: str, name: str = "src.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return store.con.execute(sql).fetchall()


def rules(store: Store) -> list[tuple[int, str, str | None]]:
    return rows(store, "SELECT row_number, rule, value FROM _quarantine ORDER BY row_number")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_renames_and_unknown_source_columns_ignored(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "Case ID,Opened,Via,Noise\nC1,2024-01-01 10:00,Phone,zzz\n")
    mapping = {"columns": {"ticket_id": "Case ID", "created_at": "Opened", "channel": "Via"}}
    summary = ingest_file(store, "tickets", path, mapping=mapping)
    assert summary.inserted == 1
    assert rows(store, "SELECT ticket_id, created_at, channel FROM tickets") == [
        ("C1", utc(2024, 1, 1, 10), "phone")
    ]


def test_canonical_names_match_case_insensitively(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "Ticket_ID,CREATED_AT,Channel\nC1,2024-01-01,web\n")
    assert ingest_file(store, "tickets", path).inserted == 1


def test_constants_fill_missing_columns_and_empty_cells(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "ticket_id,created_at,team\nA,2024-01-01,\nB,2024-01-01,tier2\n")
    mapping = {"constants": {"channel": "Email", "team": "tier1"}}
    ingest_file(store, "tickets", path, mapping=mapping)
    assert rows(store, "SELECT ticket_id, channel, team FROM tickets ORDER BY 1") == [
        ("A", "email", "tier1"),
        ("B", "email", "tier2"),
    ]


def test_value_maps(store: Store, tmp_path: Path) -> None:
    text = (
        "call_id,offered_at,resolved,queue\n"
        "K1,2024-01-01,Y,A\nK2,2024-01-01,N,B\nK3,2024-01-01,?,C\n"
    )
    mapping = {"values": {"resolved": {"Y": True, "N": False}, "queue": {"A": "billing"}}}
    ingest_file(store, "calls", write(tmp_path, text), mapping=mapping)
    assert rows(store, "SELECT call_id, resolved, queue FROM calls ORDER BY 1") == [
        ("K1", True, "billing"),
        ("K2", False, "B"),
    ]
    assert rules(store) == [(3, "boolean", "?")]


@pytest.mark.parametrize(
    ("fmt", "text", "seconds"),
    [
        ("hh:mm:ss", "00:02:23", 143.0),
        ("hh:mm:ss", "1:00:00", 3600.0),
        ("hh:mm:ss", "26:00:01.5", 93601.5),
        ("seconds", "12.5", 12.5),
        ("minutes", "1.5", 90.0),
        ("hours", "2", 7200.0),
        ("milliseconds", "1500", 1.5),
    ],
)
def test_durations(store: Store, tmp_path: Path, fmt: str, text: str, seconds: float) -> None:
    path = write(tmp_path, f"call_id,offered_at,talk_s\nK1,2024-01-01,{text}\n")
    ingest_file(store, "calls", path, mapping={"durations": {"talk_s": fmt}})
    assert rows(store, "SELECT talk_s FROM calls") == [(seconds,)]


def test_bad_duration_is_quarantined(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "call_id,offered_at,talk_s\nK1,2024-01-01,00:75:00\nK2,2024-01-01,x\n")
    summary = ingest_file(store, "calls", path, mapping={"durations": {"talk_s": "hh:mm:ss"}})
    assert summary.rejected == 2
    assert rules(store) == [(1, "duration", "00:75:00"), (2, "duration", "x")]
    message = rows(store, "SELECT message FROM _quarantine ORDER BY row_number")[0][0]
    assert (
        message
        == "src.csv row 1: column 'talk_s' value '00:75:00' is not a duration in format 'hh:mm:ss'"
    )


def test_date_format_in_source_timezone(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ticket_id,created_at,channel\nA,13/01/2010 08:40,web\nB,2010-01-13T08:40:00Z,web\n",
    )
    mapping = {"source": {"date_format": "%d/%m/%Y %H:%M", "timezone": "Europe/Rome"}}
    ingest_file(store, "tickets", path, mapping=mapping)
    # 08:40 CET is 07:40 UTC; an ISO text with an offset is still accepted as is.
    assert rows(store, "SELECT ticket_id, created_at FROM tickets ORDER BY 1") == [
        ("A", utc(2010, 1, 13, 7, 40)),
        ("B", utc(2010, 1, 13, 8, 40)),
    ]


# (zone, local wall-clock text, expected UTC): hand-computed from the zone's rules.
DST_CASES = [
    ("Europe/Rome", "2024-01-15 12:00:00", utc(2024, 1, 15, 11)),  # CET, +01:00
    ("Europe/Rome", "2024-07-15 12:00:00", utc(2024, 7, 15, 10)),  # CEST, +02:00
    # 2024-10-27 02:30 happens twice in Rome: the later (standard time, +01:00) is chosen.
    ("Europe/Rome", "2024-10-27 02:30:00", utc(2024, 10, 27, 1, 30)),
    # 2024-03-31 02:30 never happens in Rome: read with the offset before the jump (+01:00).
    ("Europe/Rome", "2024-03-31 02:30:00", utc(2024, 3, 31, 1, 30)),
    ("America/New_York", "2024-11-03 01:30:00", utc(2024, 11, 3, 6, 30)),  # EST, -05:00
    ("America/New_York", "2024-03-10 02:30:00", utc(2024, 3, 10, 7, 30)),  # EST, -05:00
    ("UTC", "2024-03-31 02:30:00", utc(2024, 3, 31, 2, 30)),
]


@pytest.mark.parametrize(("zone", "local", "expected"), DST_CASES)
def test_naive_timestamps_in_source_timezone(
    store: Store, tmp_path: Path, zone: str, local: str, expected: datetime
) -> None:
    path = write(tmp_path, f"ticket_id,created_at,channel\nA,{local},web\n")
    ingest_file(store, "tickets", path, mapping={"source": {"timezone": zone}})
    assert rows(store, "SELECT created_at FROM tickets") == [(expected,)]


def test_dst_rule_matches_zoneinfo_reference() -> None:
    """The documented rule, checked against zoneinfo: fold=1 in overlaps, fold=0 in gaps."""
    rome = ZoneInfo("Europe/Rome")
    ambiguous = datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=rome).astimezone(UTC)
    nonexistent = datetime(2024, 3, 31, 2, 30, fold=0, tzinfo=rome).astimezone(UTC)
    assert (ambiguous, nonexistent) == (DST_CASES[2][2], DST_CASES[3][2])


def test_offsets_win_over_source_timezone(store: Store, tmp_path: Path) -> None:
    text = (
        "ticket_id,created_at,channel\n"
        "A,2024-07-15 12:00:00+03:00,web\nB,2024-07-15T12:00:00Z,web\n"
    )
    ingest_file(
        store, "tickets", write(tmp_path, text), mapping={"source": {"timezone": "Asia/Tokyo"}}
    )
    assert rows(store, "SELECT created_at FROM tickets ORDER BY ticket_id") == [
        (utc(2024, 7, 15, 9),),
        (utc(2024, 7, 15, 12),),
    ]


EVENTS = """case,when,what,who
C1,2024-01-01T09:00:00Z,Open,cust7
C1,2024-01-01T09:05:00Z,Reply,ann
C1,2024-01-01T09:06:00Z,Mystery,ann
C1,2024-01-01T09:10:00Z,Solve,bob
"""
EVENT_MAPPING: dict[str, Any] = {
    "columns": {"ticket_id": "case", "at": "when", "actor_id": "who"},
    "events": {
        "activity_column": "what",
        "activities": {
            "Open": {"kind": "message", "actor_type": "customer"},
            "Reply": {"kind": "message", "actor_type": "agent", "public": True,
                      "copy": {"assignee_id": "who"}},
            "Solve": {"kind": "status", "status": "Solved", "actor_type": "agent",
                      "clear": ["actor_id"]},
        },
    },
}  # fmt: skip


def test_activity_mapping(store: Store, tmp_path: Path) -> None:
    summary = ingest_file(store, "ticket_events", write(tmp_path, EVENTS), mapping=EVENT_MAPPING)
    assert (summary.rows_in, summary.inserted, summary.rejected) == (4, 3, 1)
    got = rows(
        store,
        "SELECT kind, actor_type, actor_id, assignee_id, status, public FROM ticket_events "
        'ORDER BY "at"',
    )
    assert got == [
        ("message", "customer", "cust7", None, None, True),
        ("message", "agent", "ann", "ann", None, True),
        ("status", "agent", None, None, "solved", True),
    ]
    assert rules(store) == [(3, "unknown_activity", "Mystery")]


def test_activity_default_covers_unlisted(store: Store, tmp_path: Path) -> None:
    mapping = {**EVENT_MAPPING, "events": {**EVENT_MAPPING["events"],
               "default": {"kind": "note", "actor_type": "system", "public": False}}}  # fmt: skip
    summary = ingest_file(store, "ticket_events", write(tmp_path, EVENTS), mapping=mapping)
    assert (summary.inserted, summary.rejected) == (4, 0)
    assert rows(store, "SELECT kind, actor_type, public FROM ticket_events WHERE \"at\" = "
                "'2024-01-01 09:06:00+00'") == [("note", "system", False)]  # fmt: skip


def test_activity_that_sets_no_required_column_is_a_file_error(
    store: Store, tmp_path: Path
) -> None:
    mapping = {
        "columns": EVENT_MAPPING["columns"],
        "events": {"activity_column": "what", "activities": {
            "Open": {"kind": "message", "actor_type": "customer"},
            "Reply": {"kind": "message"}}},
    }  # fmt: skip
    with pytest.raises(
        InputError, match="'actor_type' is missing \\(activities 'Reply' do not set it\\)"
    ):
        ingest_file(store, "ticket_events", write(tmp_path, EVENTS), mapping=mapping)


def test_missing_activity_column(store: Store, tmp_path: Path) -> None:
    mapping = {**EVENT_MAPPING, "events": {**EVENT_MAPPING["events"], "activity_column": "act"}}
    with pytest.raises(InputError, match="activity column 'act'"):
        ingest_file(store, "ticket_events", write(tmp_path, EVENTS), mapping=mapping)


def test_mapping_problems_are_listed_together(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """[source]
timezone = "Mars/Olympus"
[columns]
ticket_idd = "Case"
[durations]
talk_s = "fortnights"
[constants]
direction = "sideways"
[shape]
x = 1
""",
        "m.toml",
    )
    with pytest.raises(ConfigError) as info:
        load_mapping(path, get_table("calls"))
    problems = info.value.problems
    assert len(problems) == 5, problems
    text = str(info.value)
    assert "m.toml: invalid mapping for table 'calls'" in text
    assert "unknown section [shape]" in text
    assert "'Mars/Olympus' is not an IANA time zone" in text
    assert "ticket_idd: unknown column of table 'calls'" in text
    assert "unknown duration format 'fortnights'" in text
    assert "'sideways' is not one of inbound, outbound" in text


def test_mapping_event_problems(tmp_path: Path) -> None:
    data = {
        "events": {
            "activity_column": "what",
            "activities": {"A": {"kind": "chat", "ticket_id": "x", "copy": {"nope": "y"}}},
        }
    }
    with pytest.raises(ConfigError) as info:
        load_mapping(data, get_table("ticket_events"))
    text = "\n".join(info.value.problems)
    assert "'chat' is not one of message, status" in text
    assert "ticket_id: identifies the event" in text
    assert "copy nope: unknown column" in text
    with pytest.raises(ConfigError, match="applies only when loading ticket_events"):
        load_mapping(data, get_table("tickets"))


def test_derived_cannot_be_mapped() -> None:
    with pytest.raises(ConfigError, match="derived: set by the loader"):
        load_mapping({"constants": {"derived": True}}, get_table("tickets"))


def test_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"bad\.toml: invalid TOML"):
        load_mapping(write(tmp_path, "[columns\n", "bad.toml"), get_table("tickets"))


# -- [computed] columns ------------------------------------------------------------------------
CALL_LOG = """Call Id,Date,Time,Answered,Speed,Talk
K1,03/01/2021,9:12:58,Y,109,00:02:23
K2,03/01/2021,23:59:30,Y,45,00:01:00
K3,03/01/2021,10:00:00,N,,
K4,03/01/2021,10:05:00,Y,,00:01:00
K5,03/01/2021,10:10:00,Y,abc,00:01:00
K6,03/01/2021,,N,,
"""
CALL_LOG_MAPPING: dict[str, Any] = {
    "source": {"timezone": "Europe/Berlin", "date_format": "%d/%m/%Y %H:%M:%S"},
    "columns": {"call_id": "Call Id"},
    "durations": {"talk_s": "hh:mm:ss"},
    "computed": {
        "offered_at": {"join": ["Date", "Time"]},
        "answered_at": {"from": "offered_at", "add": "Speed", "when": {"Answered": ["Y", "y"]}},
        # From a computed column, with another duration format.
        "ended_at": {"from": "answered_at", "add": "Talk", "unit": "hh:mm:ss"},
    },
}


def test_computed_join_and_timestamp_plus_duration(store: Store, tmp_path: Path) -> None:
    summary = ingest_file(store, "calls", write(tmp_path, CALL_LOG), mapping=CALL_LOG_MAPPING)
    assert (summary.inserted, summary.rejected) == (3, 3)
    # Berlin is UTC+1 in January: 09:12:58 local = 08:12:58 UTC; + 109 s = 08:14:47;
    # + 2 min 23 s of talk = 08:17:10. K2 crosses midnight: 22:59:30 UTC + 45 s = 23:00:15.
    assert rows(store, "SELECT call_id, offered_at, answered_at, ended_at FROM calls "
                       "ORDER BY 1") == [
        ("K1", datetime(2021, 1, 3, 8, 12, 58, tzinfo=UTC),
         datetime(2021, 1, 3, 8, 14, 47, tzinfo=UTC), datetime(2021, 1, 3, 8, 17, 10, tzinfo=UTC)),
        ("K2", datetime(2021, 1, 3, 22, 59, 30, tzinfo=UTC),
         datetime(2021, 1, 3, 23, 0, 15, tzinfo=UTC), datetime(2021, 1, 3, 23, 1, 15, tzinfo=UTC)),
        ("K3", datetime(2021, 1, 3, 9, 0, tzinfo=UTC), None, None),  # not answered: empty
    ]  # fmt: skip
    # K4 is answered but has no speed (an error under `when`), K5's speed is not a number,
    # K6 has no time (so no offered_at, which is required).
    assert rules(store) == [(4, "computed", "offered_at=03/01/2021 10:05:00; Speed="),
                            (5, "computed", "offered_at=03/01/2021 10:10:00; Speed=abc"),
                            (6, "required", None)]  # fmt: skip
    messages = [m for (m,) in rows(store, "SELECT message FROM _quarantine ORDER BY row_number")]
    assert messages[0] == (
        "src.csv row 4: column 'answered_at' (computed from 'offered_at' + 'Speed') value "
        "'offered_at=03/01/2021 10:05:00; Speed=' cannot be computed from its inputs (one is "
        "empty, or they do not parse)"
    )
    assert messages[2] == (
        "src.csv row 6: column 'offered_at' (computed from 'Date', 'Time') is required but empty"
    )


def test_computed_without_when_is_empty_when_an_input_is(store: Store, tmp_path: Path) -> None:
    text = "id,at,wait\nK1,2024-01-01 10:00:00,1.5\nK2,2024-01-01 11:00:00,\n"
    mapping = {
        "columns": {"call_id": "id", "offered_at": "at"},
        "computed": {"answered_at": {"from": "offered_at", "add": "wait", "unit": "minutes"}},
    }
    ingest_file(store, "calls", write(tmp_path, text), mapping=mapping)
    assert rows(store, "SELECT call_id, answered_at FROM calls ORDER BY 1") == [
        ("K1", datetime(2024, 1, 1, 10, 1, 30, tzinfo=UTC)),  # + 1.5 minutes
        ("K2", None),
    ]


def test_computed_text_joins_the_parts_present(store: Store, tmp_path: Path) -> None:
    text = ("id,at,dept,topic,who,ok\nK1,2024-01-01,Sales,Billing,ann,Y\n"
            "K2,2024-01-01,,Refunds,bob,N\nK3,2024-01-01,,,,Y\n")  # fmt: skip
    mapping = {"computed": {"queue": {"join": ["dept", "topic"], "separator": " / "},
                            "agent_id": {"join": ["who"], "when": {"ok": "Y"}}},
               "columns": {"call_id": "id", "offered_at": "at"}}  # fmt: skip
    ingest_file(store, "calls", write(tmp_path, text), mapping=mapping)
    assert rows(store, "SELECT call_id, queue, agent_id FROM calls ORDER BY 1") == [
        ("K1", "Sales / Billing", "ann"), ("K2", "Refunds", None), ("K3", None, None),
    ]  # fmt: skip


def test_computed_inputs_missing_from_the_file(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "id,Date,wait\nK1,2024-01-01,5\n")
    mapping: dict[str, Any] = {"columns": {"call_id": "id"},
                               "computed": {"offered_at": {"join": ["Date", "Time"]}}}  # fmt: skip
    with pytest.raises(InputError, match=r"required column 'offered_at' is missing \(computed "
                       r"from 'Date', 'Time'; 'Time' not in the file\)"):  # fmt: skip
        ingest_file(store, "calls", path, mapping=mapping)
    mapping["computed"] = {
        "offered_at": {"join": ["Date"]},
        "answered_at": {"from": "offered_at", "add": "wait", "when": {"Answered": "Y"}},
    }
    summary = ingest_file(store, "calls", path, mapping=mapping)
    assert summary.inserted == 1
    assert summary.warnings == [
        "computed column 'answered_at' needs 'Answered', not in the file; left empty"
    ]
    assert rows(store, "SELECT answered_at FROM calls") == [(None,)]


def test_computed_mapping_problems_are_listed_together() -> None:
    data = {
        "columns": {"queue": "Topic"},
        "computed": {
            "queue": {"join": ["A", "B"]},  # also in [columns]
            "offered_at": {"join": ["D"], "from": "ended_at"},  # both kinds
            "talk_s": {"from": "offered_at", "add": "x"},  # not a timestamp
            "answered_at": {"from": "ended_at", "unit": "weeks", "when": {"a": "Y", "b": []}},
            "ended_at": {"from": "answered_at", "colour": "red"},  # a circle, unknown key
        },
    }
    with pytest.raises(ConfigError) as info:
        load_mapping(data, get_table("calls"))
    text = "\n".join(info.value.problems)
    assert "[computed.queue]: queue is also in [columns]" in text
    assert "[computed.offered_at]: give either join = [columns] or from" in text
    assert "[computed.talk_s]: from/add builds a timestamp; talk_s is not one" in text
    assert "[computed.answered_at] unit 'weeks' is not one of hh:mm:ss" in text
    # Several columns may be tested (all must hold); an empty list of values is a mistake.
    assert "[computed.answered_at] when 'b': give a value or a non-empty list of values" in text
    assert "[computed.ended_at] unknown key 'colour'" in text
    assert "[computed.answered_at]: 'from' goes round in a circle" in text
