"""Aligned text (whitespace-delimited, fixed-width) and several date formats for one column.

Hand-computed: the aligned samples hold three tickets, T1 created 2024-01-01 09:00 and
solved 10:30 (5400 s), T2 created 2024-01-02 08:00 and solved 08:20 (1200 s), T3 open.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import supportkpi
from supportkpi.errors import ConfigError
from supportkpi.ingest import ingest_file, load_mapping
from supportkpi.ingest.readers import ROW, read_raw
from supportkpi.schema import get_table
from supportkpi.store import Store

WHITESPACE = '''\
ticket_id   created_at           channel   solved_at            subject
T1          2024-01-01T09:00     email     2024-01-01T10:30     "Cannot log in"
T2          2024-01-02T08:00     chat      2024-01-02T08:20     Refund

T3          2024-01-02T09:00     web       ""                   "Says ""hi"""
'''

FIXED = """\
id  opened          via   solved
T1  2024-01-01 09:00email 2024-01-01 10:30
T2  2024-01-02 08:00chat  2024-01-02 08:20
T3  2024-01-02 09:00web
"""
FIXED_MAPPING = {
    "source": {"widths": [4, 16, 6, 16]},
    "columns": {"ticket_id": "id", "created_at": "opened", "channel": "via", "solved_at": "solved"},
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(db: Path) -> list[tuple[Any, ...]]:
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, created_at, channel, solved_at FROM tickets ORDER BY 1"
        ).fetchall()
    return [(t, c.astimezone(UTC), ch, s and s.astimezone(UTC)) for t, c, ch, s in rows]


EXPECTED = [
    ("T1", datetime(2024, 1, 1, 9, tzinfo=UTC), "email", datetime(2024, 1, 1, 10, 30, tzinfo=UTC)),
    ("T2", datetime(2024, 1, 2, 8, tzinfo=UTC), "chat", datetime(2024, 1, 2, 8, 20, tzinfo=UTC)),
    ("T3", datetime(2024, 1, 2, 9, tzinfo=UTC), "web", None),
]  # fmt: skip


def resolution_kpis(db: Path) -> dict[str, tuple[Any, int]]:
    with supportkpi.connect(str(db)) as con:
        frame = con.kpi(["ticket_volume", "resolution_time:mean"], start="2024-01-01",
                        end="2024-01-03")  # fmt: skip
    return {r["metric"]: (r["value"], r["n"]) for r in frame.to_dict("records")}


def test_whitespace_delimited_with_quoted_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", WHITESPACE)
    raw = read_raw(path, "csv", delimiter="whitespace")
    rows = raw.table.to_pylist()
    assert [r[ROW] for r in rows] == [1, 2, 3]  # the blank line is not a record
    assert rows[0]["subject"] == "Cannot log in"
    assert rows[2]["subject"] == 'Says "hi"'
    db = tmp_path / "w.duckdb"
    with Store(db) as store:
        summary = ingest_file(
            store, "tickets", path, mapping={"source": {"delimiter": "whitespace"}}
        )
    assert (summary.rows_in, summary.inserted, summary.rejected) == (3, 3, 0)
    assert stored(db) == EXPECTED
    assert resolution_kpis(db) == {"ticket_volume": (3, 3),
                                   "resolution_time:mean": ((5400 + 1200) / 2, 2)}  # fmt: skip


def test_whitespace_line_with_an_unquoted_space_is_a_malformed_record(tmp_path: Path) -> None:
    # The case: a date and time separated by a space are two fields.
    text = "ticket_id created_at channel\nA 2024-01-01 web\nB 2024-01-01 09:00 web\n"
    with Store(":memory:") as store:
        path = write(tmp_path, "t.txt", text)
        summary = ingest_file(
            store, "tickets", path, mapping={"source": {"delimiter": "whitespace"}}
        )
        message = store.con.execute("SELECT message FROM _quarantine").fetchone()
    assert (summary.rows_in, summary.inserted, summary.rejected) == (2, 1, 1)
    assert message == ("t.txt row 2: malformed record: expected 3 fields, found 4",)


def test_fixed_width(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    with Store(db) as store:
        summary = ingest_file(
            store, "tickets", write(tmp_path, "t.txt", FIXED), mapping=FIXED_MAPPING
        )
    assert (summary.rows_in, summary.inserted, summary.rejected) == (3, 3, 0)
    assert stored(db) == EXPECTED
    assert resolution_kpis(db)["resolution_time:mean"] == (3300, 2)


def test_fixed_width_text_past_the_last_column_is_quarantined(tmp_path: Path) -> None:
    text = FIXED + "T4  2024-01-03 09:00web   2024-01-03 10:00 and more\n"
    with Store(":memory:") as store:
        path = write(tmp_path, "t.txt", text)
        summary = ingest_file(store, "tickets", path, mapping=FIXED_MAPPING)
        message = store.con.execute("SELECT message FROM _quarantine").fetchone()
    assert (summary.rows_in, summary.inserted, summary.rejected) == (4, 3, 1)
    assert message == (
        "t.txt row 4: malformed record: text past the last column (character 43 on): 'and more'",
    )


def test_several_date_formats_are_tried_in_order(tmp_path: Path) -> None:
    text = (
        "ticket_id,created_at,channel\n"
        "A,31/01/2024 10:00,web\n"  # the first format
        "B,20240201,web\n"  # the second
        "C,2024-02-02T08:00:00Z,web\n"  # ISO 8601 always
        "D,02.03.2024,web\n"  # none of them
    )
    mapping = {"source": {"date_format": ["%d/%m/%Y %H:%M", "%Y%m%d"], "timezone": "Europe/Rome"}}
    with Store(":memory:") as store:
        summary = ingest_file(store, "tickets", write(tmp_path, "t.csv", text), mapping=mapping)
        rows = store.con.execute("SELECT ticket_id, created_at FROM tickets ORDER BY 1").fetchall()
        bad = store.con.execute("SELECT row_number, rule, value FROM _quarantine").fetchall()
    assert (summary.inserted, summary.rejected) == (3, 1)
    assert [(t, c.astimezone(UTC)) for t, c in rows] == [
        ("A", datetime(2024, 1, 31, 9, tzinfo=UTC)),  # 10:00 in Rome (CET)
        ("B", datetime(2024, 1, 31, 23, tzinfo=UTC)),  # midnight in Rome
        ("C", datetime(2024, 2, 2, 8, tzinfo=UTC)),
    ]
    assert bad == [(4, "timestamp", "02.03.2024")]


def test_layout_mistakes_are_listed_together() -> None:
    data = {"source": {"delimiter": "tab", "widths": [3, 0], "date_format": ["%Y", "dd/mm"],
                       "format": "parquet"}}  # fmt: skip
    with pytest.raises(ConfigError) as info:
        load_mapping(data, get_table("tickets"))
    assert info.value.problems == [
        "[source] delimiter 'tab' must be one character, or \"whitespace\"",
        "[source] widths must be a list of column widths (whole numbers > 0)",
        "[source] date_format 'dd/mm' has no % field (e.g. %d/%m/%Y)",
    ]
