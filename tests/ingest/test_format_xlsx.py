"""Excel workbooks: the header row found below a title, ``--sheet``, cells as CSV text, rows
numbered as Excel shows them; bad workbooks give one sentence.

The sample sheet "Tickets" (rows as Excel numbers them):

    1  Weekly ticket export            (a title)
    2                                  (blank)
    3  Id | Opened | Channel | Solved | Priority
    4  1001 | 2024-01-01 09:00 | Email | 2024-01-01 11:00 | high
    5  1002 | 2024-01-02 10:00 | Chat  | (empty)          | normal
    6  (blank)
    7  1003 | not a date        | Web  | ...               | low       -> quarantined, row 7

Hand-computed: 2 tickets stored, 1 solved after 2 h (resolution_time median 7200 s).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from cli_support import run_cli

import supportkpi
from supportkpi.errors import InputError
from supportkpi.ingest import ingest_file
from supportkpi.ingest.readers import ROW, detect_format, read_raw
from supportkpi.store import Store

MAPPING = {
    "columns": {
        "ticket_id": "Id", "created_at": "Opened", "channel": "Channel", "solved_at": "Solved",
        "priority": "Priority",
    }
}  # fmt: skip


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["this sheet is not the data"])
    sheet = book.create_sheet("Tickets")
    sheet.append(["Weekly ticket export"])
    sheet.append([])
    sheet.append(["Id", "Opened", "Channel", "Solved", "Priority"])
    sheet.append([1001, datetime(2024, 1, 1, 9), "Email", datetime(2024, 1, 1, 11), "high"])
    sheet.append([1002, datetime(2024, 1, 2, 10), "Chat", None, "normal"])
    sheet.append([])
    sheet.append([1003, "not a date", "Web", None, "low"])
    book.save(path)
    return path


def test_header_found_below_a_title_and_cells_read_as_text(tmp_path: Path) -> None:
    raw = read_raw(workbook(tmp_path / "t.xlsx"), "xlsx", sheet="Tickets")
    assert raw.table.column_names == ["Id", "Opened", "Channel", "Solved", "Priority", ROW]
    rows = raw.table.to_pylist()
    assert [r[ROW] for r in rows] == [4, 5, 7]  # Excel's row numbers; blank rows skipped
    assert rows[0]["Id"] == "1001"  # a whole number, not "1001.0"
    assert rows[0]["Opened"] == "2024-01-01 09:00:00"
    assert rows[1]["Solved"] is None


def test_first_sheet_by_default(tmp_path: Path) -> None:
    raw = read_raw(workbook(tmp_path / "t.xlsx"), "xlsx")
    assert raw.table.column_names == ["this sheet is not the data", ROW]
    assert raw.rows_in == 0


def test_a_sheet_without_a_header_row_is_one_sentence(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for n in range(3):
        sheet.append([n, n * 2.5, n + 1])  # numbers only: no row of names
    book.save(tmp_path / "n.xlsx")
    with pytest.raises(InputError) as info:
        read_raw(tmp_path / "n.xlsx", "xlsx")
    assert str(info.value) == (
        "n.xlsx: no header row in the first 30 rows of sheet 'Sheet' (a row of column names, "
        "mostly text)"
    )


def test_cell_types_become_csv_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "flag", "ratio", "talk", "day", "extra"])
    sheet.append(["A", True, 0.25, timedelta(minutes=2, seconds=23), datetime(2024, 3, 1).date()])
    sheet.append(["B", False, 3.0, None, None, "beyond the header"])
    sheet.append(["C", None, None, None, None, None, "past the header"])
    path = tmp_path / "c.xlsx"
    book.save(path)
    rows = read_raw(path, "xlsx").table.to_pylist()
    assert rows[0] | {ROW: 0} == {
        "id": "A", "flag": "true", "ratio": "0.25", "talk": "0:02:23", "day": "2024-03-01",
        "extra": None, "column7": None, ROW: 0,
    }  # fmt: skip
    assert (rows[1]["flag"], rows[1]["ratio"], rows[1]["extra"]) == (
        "false",
        "3",
        "beyond the header",
    )
    assert rows[2]["column7"] == "past the header"  # kept, under a made-up name


def test_sheet_loads_hand_computed_tickets_and_kpis(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    path = workbook(tmp_path / "t.xlsx")
    with Store(db) as store:
        summary = ingest_file(
            store, "tickets", path, mapping={**MAPPING, "source": {"sheet": "Tickets"}}
        )
        assert (summary.rows_in, summary.inserted, summary.rejected) == (3, 2, 1)
        rows = store.con.execute(
            "SELECT ticket_id, created_at, channel, solved_at FROM tickets ORDER BY 1"
        ).fetchall()
        message = store.con.execute("SELECT message FROM _quarantine").fetchone()
    assert [(t, c.astimezone(UTC), ch, s and s.astimezone(UTC)) for t, c, ch, s in rows] == [
        ("1001", datetime(2024, 1, 1, 9, tzinfo=UTC), "email",
         datetime(2024, 1, 1, 11, tzinfo=UTC)),
        ("1002", datetime(2024, 1, 2, 10, tzinfo=UTC), "chat", None),
    ]  # fmt: skip
    assert message is not None
    assert message[0].startswith("t.xlsx row 7: column 'created_at' (from 'Opened') value "
                                 "'not a date' is not a timestamp")  # fmt: skip
    with supportkpi.connect(str(db)) as con:
        frame = con.kpi(["ticket_volume", "resolution_time:median"], start="2024-01-01",
                        end="2024-01-03")  # fmt: skip
    got = {r["metric"]: (r["value"], r["n"]) for r in frame.to_dict("records")}
    assert got == {"ticket_volume": (2, 2), "resolution_time:median": (7200, 1)}


def test_sheet_option_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = workbook(tmp_path / "t.xlsx")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        "[columns]\n" + "".join(f'{k} = "{v}"\n' for k, v in MAPPING["columns"].items())
    )
    db = tmp_path / "x.duckdb"
    args = ["ingest", "tickets", str(path), "--db", str(db), "--map", str(mapping)]
    result = run_cli(capsys, *args, "--sheet", "Tickets", "--json")
    assert result.code == 0, result.err
    assert '"inserted": 2' in result.out
    wrong = run_cli(capsys, *args, "--sheet", "Summary")
    assert wrong.code != 0
    assert wrong.err.strip() == (
        "Error: t.xlsx: no sheet named 'Summary'; the sheets are 'Notes', 'Tickets'"
    )
    assert "Traceback" not in wrong.err


def test_not_a_workbook_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("id,created_at\n1,2024-01-01\n")
    with pytest.raises(InputError) as info:
        read_raw(path, "xlsx")
    assert str(info.value) == (
        "fake.xlsx: cannot read as an Excel workbook (.xlsx): File is not a zip file"
    )


def test_extensions() -> None:
    assert detect_format(Path("a.xlsx"), None) == "xlsx"
    assert detect_format(Path("a.csv"), "excel") == "xlsx"
