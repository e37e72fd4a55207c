"""Loaders per format: CSV, TSV, Parquet, JSON Lines, compressed CSV; row numbering; bad files."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from supportkpi.errors import InputError, UnsupportedError
from supportkpi.ingest import ingest_file
from supportkpi.ingest.readers import ROW, detect_format, read_raw
from supportkpi.store import Store

HEADER = "ticket_id,created_at,channel\n"


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def tickets(store: Store) -> dict[str, tuple[datetime, str]]:
    rows = store.con.execute("SELECT ticket_id, created_at, channel FROM tickets").fetchall()
    return {r[0]: (r[1].astimezone(UTC), r[2]) for r in rows}


def quarantine(store: Store) -> list[tuple[int, str | None, str]]:
    return store.con.execute(
        "SELECT row_number, column_name, rule FROM _quarantine ORDER BY row_number"
    ).fetchall()


def test_csv_reads_every_column_as_text_and_casts(store: Store, tmp_path: Path) -> None:
    # "007" would become 7 if pyarrow inferred types; ids are strings.
    path = write(tmp_path, "t.csv", HEADER + "007,2024-01-02 03:04:05,Email\n")
    summary = ingest_file(store, "tickets", path)
    assert (summary.rows_in, summary.inserted, summary.rejected) == (1, 1, 0)
    assert tickets(store) == {"007": (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "email")}


def test_tsv_by_extension(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "t.tsv", "ticket_id\tcreated_at\tchannel\nA,1\t2024-01-01\tchat\n")
    ingest_file(store, "tickets", path)
    assert tickets(store) == {"A,1": (datetime(2024, 1, 1, tzinfo=UTC), "chat")}


def test_format_option_overrides_extension(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "export.txt", "ticket_id;created_at;channel\nA;2024-01-01;web\n")
    ingest_file(store, "tickets", path, mapping={"source": {"delimiter": ";"}}, format="csv")
    assert list(tickets(store)) == ["A"]


def test_gzip_csv(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(HEADER + "G1,2024-01-01,web\nG2,2024-01-02,web\n")
    assert ingest_file(store, "tickets", path).inserted == 2


def test_quoted_newlines_and_bom(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    text = '\ufeffticket_id,created_at,channel,subject\nQ1,2024-01-01,web,"two\nlines"\n'
    path.write_bytes(text.encode("utf-8"))
    ingest_file(store, "tickets", path)
    row = store.con.execute("SELECT ticket_id, subject FROM tickets").fetchone()
    assert row == ("Q1", "two\nlines")


def test_malformed_csv_lines_are_quarantined_with_record_numbers(tmp_path: Path) -> None:
    # Records: 1 good, 2 too few fields, (blank line is not a record), 3 good with a quoted
    # newline, 4 too many fields, 5 good.
    text = HEADER + 'A,2024-01-01,web\nB,2024\n\nC,2024-01-03,"w\neb"\nD,1,2,3\nE,2024-01-05,web\n'
    raw = read_raw(write(tmp_path, "t.csv", text), "csv")
    assert raw.table.column(ROW).to_pylist() == [1, 3, 5]
    assert raw.table.column("ticket_id").to_pylist() == ["A", "C", "E"]
    assert raw.malformed.column("row_number").to_pylist() == [2, 4]
    assert raw.malformed.column("value").to_pylist() == ["B,2024", "D,1,2,3"]
    assert raw.rows_in == 5


def test_malformed_line_does_not_stop_the_load(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", HEADER + "A,2024-01-01,web\nB\nC,2024-01-03,web\n")
    summary = ingest_file(store, "tickets", path)
    assert (summary.rows_in, summary.inserted, summary.rejected) == (3, 2, 1)
    assert quarantine(store) == [(2, None, "malformed_record")]


def test_parquet_typed_columns(store: Store, tmp_path: Path) -> None:
    table = pa.table(
        {
            "ticket_id": ["P1", "P2"],
            # an aware timestamp is an instant; a naive one is local time in the source zone
            "created_at": pa.array(
                [datetime(2024, 7, 1, 10, tzinfo=UTC), datetime(2024, 7, 1, 11, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "solved_at": pa.array([datetime(2024, 7, 1, 14), None], pa.timestamp("us")),
            "channel": ["email", "chat"],
            "tags": [["a", "b,c"], []],
            "reopens": pa.array([1, None], pa.int32()),
            "escalated": [True, False],
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    ingest_file(store, "tickets", path, mapping={"source": {"timezone": "Europe/Rome"}})
    rows = store.con.execute(
        "SELECT ticket_id, created_at, solved_at, tags, reopens, escalated FROM tickets "
        "ORDER BY ticket_id"
    ).fetchall()
    assert rows[0][1] == datetime(2024, 7, 1, 10, tzinfo=UTC)
    assert rows[0][2] == datetime(2024, 7, 1, 12, tzinfo=UTC)  # 14:00 CEST
    assert rows[0][3:] == (["a", "b,c"], 1, True)
    assert rows[1][2:] == (None, [], None, False)


def test_json_lines(store: Store, tmp_path: Path) -> None:
    lines = [
        json.dumps({"ticket_id": "J1", "created_at": "2024-01-01T00:00:00Z", "channel": "web",
                    "tags": ["x", "y"], "escalated": True, "reopens": 2}),
        "not json",
        "",
        json.dumps({"ticket_id": "J2", "created_at": "2024-01-01 05:00", "channel": "web",
                    "unknown_extra": {"a": 1}}),
        "[1, 2]",
    ]  # fmt: skip
    path = write(tmp_path, "t.jsonl", "\n".join(lines) + "\n")
    summary = ingest_file(store, "tickets", path)
    assert (summary.rows_in, summary.inserted, summary.rejected) == (4, 2, 2)
    assert quarantine(store) == [(2, None, "malformed_record"), (5, None, "malformed_record")]
    row = store.con.execute("SELECT tags, escalated, reopens FROM tickets WHERE ticket_id='J1'")
    assert row.fetchone() == (["x", "y"], True, 2)


def test_json_lines_with_no_valid_record_quarantines_all(store: Store, tmp_path: Path) -> None:
    summary = ingest_file(store, "tickets", write(tmp_path, "t.jsonl", "garbage\n{bad\n"))
    assert (summary.rows_in, summary.inserted, summary.rejected) == (2, 0, 2)


def test_header_only_file_loads_nothing(store: Store, tmp_path: Path) -> None:
    summary = ingest_file(store, "tickets", write(tmp_path, "t.csv", HEADER))
    assert (summary.rows_in, summary.inserted, summary.rejected) == (0, 0, 0)
    assert store.load_log().num_rows == 1


def test_empty_file_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"t\.csv: the file is empty"):
        ingest_file(store, "tickets", write(tmp_path, "t.csv", ""))


def test_missing_file(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        ingest_file(store, "tickets", tmp_path / "nope.csv")


def test_not_utf8_names_the_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + "A,2024-01-01,caf\xe9\n").encode("latin-1"))
    with pytest.raises(InputError, match=r"latin\.csv: cannot read as csv"):
        ingest_file(store, "tickets", path)
    ingest_file(store, "tickets", path, mapping={"source": {"encoding": "latin-1"}})
    assert tickets(store)["A"][1] == "café"


def test_blank_and_repeated_header_names(store: Store, tmp_path: Path) -> None:
    # Spreadsheet exports often end in empty columns or repeat a name.
    path = write(tmp_path, "t.csv", "ticket_id,created_at,channel,,channel\nA,2024-01-01,web,,x\n")
    raw = read_raw(path, "csv")
    assert raw.table.column_names == ["ticket_id", "created_at", "channel", "column4",
                                      "channel.5", ROW]  # fmt: skip
    summary = ingest_file(store, "tickets", path)
    assert summary.inserted == 1
    assert summary.warnings == ["column 'channel' appears twice; column 5 read as 'channel.5'"]
    assert tickets(store)["A"][1] == "web"  # the first 'channel' wins


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.csv", "csv"), ("a.TSV", "tsv"), ("a.parquet", "parquet"), ("a.jsonl", "jsonl"),
     ("a.ndjson", "jsonl"), ("a.csv.gz", "csv")],
)  # fmt: skip
def test_detect_format(name: str, expected: str) -> None:
    assert detect_format(Path(name), None) == expected


def test_detect_format_errors() -> None:
    with pytest.raises(UnsupportedError, match=r"old Excel \.xls workbooks"):
        detect_format(Path("a.xls"), None)
    with pytest.raises(InputError, match="--format"):
        detect_format(Path("a.dat"), None)
    with pytest.raises(InputError, match="unknown format 'xml'"):
        detect_format(Path("a.csv"), "xml")
