"""The quarantine keeps whole rejected rows: their key, their source columns, and whether a
later load resolved them; ``rejects`` shows, exports and clears them (issue 11, defect 3)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cli_support import run_cli

from supportkpi.ingest import ingest_file
from supportkpi.store import Store

MAPPING = """[source]
delimiter = ";"

[columns]
ticket_id = "Case"
created_at = "Opened"
channel = "Via"
"""
# Case C2 has a date nobody can read, C3 no channel; C4 repeats C1.
SOURCE = """Case;Opened;Via;Agent note
C1;2024-01-01 09:00;email;first
C2;someday;web;needs a date
C3;2024-01-03 10:00;;no channel
C1;2024-01-04 11:00;chat;repeated
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    result = run_cli(capsys, *args)
    assert result.code == 0, result.err
    return result


def open_entries(capsys: pytest.CaptureFixture[str], db: Path) -> list[dict[str, Any]]:
    return json.loads(cli(capsys, "rejects", "--db", str(db), "--json").out)  # type: ignore[no-any-return]


def test_the_whole_source_row_and_its_key_are_kept(tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.toml", MAPPING)
    with Store(tmp_path / "s.duckdb") as store:
        summary = ingest_file(store, "tickets", write(tmp_path, "cases.csv", SOURCE), mapping)
        rows = store.con.execute(
            "SELECT row_number, rule, row_key, source_row FROM _quarantine ORDER BY row_number"
        ).fetchall()
        stored = store.count("tickets")
    assert summary.rows_in == stored + summary.rejected == 4
    assert [(n, rule, json.loads(key)) for n, rule, key, _ in rows] == [
        (2, "timestamp", {"ticket_id": "C2"}),
        (3, "required", {"ticket_id": "C3"}),
        (4, "duplicate_key", {"ticket_id": "C1"}),
    ]
    # Every source column as text, in file order, unmapped ones too.
    assert json.loads(rows[0][3]) == {
        "Case": "C2", "Opened": "someday", "Via": "web", "Agent note": "needs a date",
    }  # fmt: skip
    assert list(json.loads(rows[1][3])) == ["Case", "Opened", "Via", "Agent note"]
    assert json.loads(rows[1][3])["Via"] == ""  # as read: an empty cell stays empty text


def test_a_row_whose_key_cannot_be_read_has_none(tmp_path: Path) -> None:
    text = "ticket_id,created_at,channel\n,2024-01-01,web\n"
    with Store(":memory:") as store:
        ingest_file(store, "tickets", write(tmp_path, "t.csv", text))
        (row,) = store.con.execute("SELECT rule, row_key, source_row FROM _quarantine").fetchall()
    assert row[0] == "required" and row[1] is None
    assert json.loads(row[2]) == {"ticket_id": "", "created_at": "2024-01-01", "channel": "web"}


def test_rejects_json_names_the_key_and_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, mapping = tmp_path / "s.duckdb", write(tmp_path, "m.toml", MAPPING)
    cli(capsys, "ingest", "tickets", str(write(tmp_path, "cases.csv", SOURCE)), "--db", str(db),
        "--map", str(mapping))  # fmt: skip
    entries = open_entries(capsys, db)
    by_row = {e["row_number"]: e for e in entries}
    assert sorted(by_row) == [2, 3, 4]
    assert by_row[2]["row_key"] == {"ticket_id": "C2"}
    assert by_row[2]["source_row"]["Opened"] == "someday"
    assert by_row[2]["resolved_by"] is None and by_row[2]["resolution"] is None


def test_export_fix_and_reload_with_the_same_mapping_resolves_the_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, mapping = tmp_path / "s.duckdb", write(tmp_path, "m.toml", MAPPING)
    cli(capsys, "ingest", "tickets", str(write(tmp_path, "cases.csv", SOURCE)), "--db", str(db),
        "--map", str(mapping))  # fmt: skip
    exported = tmp_path / "rejects.csv"
    out = cli(capsys, "rejects", "--db", str(db), "--export", str(exported), "--map", str(mapping))
    assert "3 rejected rows" in out.out and str(exported) in out.out

    # Written the way the mapping reads: ';'-separated, source columns first, then the reason.
    with exported.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert list(rows[0])[:4] == ["Case", "Opened", "Via", "Agent note"]
    assert [(r["Case"], r["_reject_rule"]) for r in rows] == [
        ("C2", "timestamp"), ("C3", "required"), ("C1", "duplicate_key"),
    ]  # fmt: skip
    assert "value 'someday' is not a timestamp" in rows[0]["_reject_reason"]

    # The user fixes two of the three and loads the file again with the same mapping.
    rows[0]["Opened"] = "2024-01-02 08:30"
    rows[1]["Via"] = "phone"
    with exported.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    loaded = json.loads(cli(capsys, "ingest", "tickets", str(exported), "--db", str(db),
                            "--map", str(mapping), "--json").out)  # fmt: skip
    assert (loaded["rows_in"], loaded["inserted"], loaded["updated"], loaded["rejected"]) == (
        3, 2, 1, 0,  # C1's later row replaces the first one: the file says so now
    )  # fmt: skip

    assert open_entries(capsys, db) == []
    everything = json.loads(cli(capsys, "rejects", "--db", str(db), "--json", "--all").out)
    assert {(e["row_key"]["ticket_id"], e["resolution"], e["resolved_by"]) for e in everything} == {
        ("C2", "stored", 2), ("C3", "stored", 2), ("C1", "stored", 2),
    }  # fmt: skip
    with Store(db, read_only=True) as store:
        got = store.con.execute(
            "SELECT ticket_id, channel, strftime(created_at, '%Y-%m-%d %H:%M') FROM tickets "
            "ORDER BY 1"
        ).fetchall()
    assert got == [("C1", "chat", "2024-01-04 11:00"), ("C2", "web", "2024-01-02 08:30"),
                   ("C3", "phone", "2024-01-03 10:00")]  # fmt: skip


def test_a_later_load_storing_the_key_resolves_and_rejecting_it_again_supersedes(
    tmp_path: Path,
) -> None:
    bad = "ticket_id,created_at,channel\nA,2024-01-01,web\nB,someday,chat\n"
    good = "ticket_id,created_at,channel\nB,2024-01-05,chat\n"
    with Store(":memory:") as store:
        ingest_file(store, "tickets", write(tmp_path, "bad.csv", bad))
        ingest_file(store, "tickets", write(tmp_path, "bad.csv", bad))  # the same file again
        states = store.con.execute(
            "SELECT load_id, resolved_by, resolution FROM _quarantine ORDER BY load_id"
        ).fetchall()
        assert states == [(1, 2, "superseded"), (2, None, None)]  # one open entry for B
        summary = ingest_file(store, "tickets", write(tmp_path, "good.csv", good))
        states = store.con.execute(
            "SELECT load_id, resolved_by, resolution FROM _quarantine ORDER BY load_id"
        ).fetchall()
    assert states == [(1, 2, "superseded"), (2, 3, "stored")]
    assert summary.resolved == 1


def test_event_rows_without_a_key_resolve_when_their_exported_row_is_reloaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Events without an event_id are keyed by a hash of their content: no key to match, so
    # the export's _reject_load/_reject_row columns say which entry a reloaded row fixes.
    text = ("ticket_id,at,kind,actor_type\nT1,2024-01-01 09:00,message,customer\n"
            "T1,2024-01-01 10:00,mesage,agent\n")  # fmt: skip
    db = tmp_path / "s.duckdb"
    cli(capsys, "ingest", "ticket_events", str(write(tmp_path, "ev.csv", text)), "--db", str(db))
    (entry,) = open_entries(capsys, db)
    assert entry["row_key"] is None and entry["rule"] == "enum"
    exported = tmp_path / "fix.csv"
    cli(capsys, "rejects", "--db", str(db), "--export", str(exported))
    exported.write_text(exported.read_text(encoding="utf-8").replace("mesage", "message"))
    loaded = json.loads(cli(capsys, "ingest", "ticket_events", str(exported), "--db", str(db),
                            "--json").out)  # fmt: skip
    assert (loaded["inserted"], loaded["rejected"]) == (1, 0)
    assert open_entries(capsys, db) == []


def test_reloading_the_same_source_rows_resolves_keyless_entries(tmp_path: Path) -> None:
    # The usual fix for an event log: correct the mapping, load the original file again.
    text = "ticket_id,at,kind,actor_type\nT1,2024-01-01 09:00,Reply,agent\n"
    path = write(tmp_path, "ev.csv", text)
    with Store(":memory:") as store:
        assert ingest_file(store, "ticket_events", path).rejected == 1
        fixed = {"values": {"kind": {"Reply": "message"}}}
        summary = ingest_file(store, "ticket_events", path, mapping=fixed)
        states = store.con.execute("SELECT resolved_by, resolution FROM _quarantine").fetchall()
    assert (summary.inserted, summary.resolved) == (1, 1)
    assert states == [(2, "stored")]


def test_rejects_shows_a_summary_by_rule_and_column_first_and_open_entries_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, mapping = tmp_path / "s.duckdb", write(tmp_path, "m.toml", MAPPING)
    cli(capsys, "ingest", "tickets", str(write(tmp_path, "cases.csv", SOURCE)), "--db", str(db),
        "--map", str(mapping))  # fmt: skip
    cli(capsys, "ingest", "tickets", str(write(tmp_path, "fix.csv", "Case;Opened;Via\n"
        "C2;2024-01-02;web\n")), "--db", str(db), "--map", str(mapping))  # fmt: skip
    out = cli(capsys, "rejects", "--db", str(db)).out
    summary_at, entries_at = out.index("by rule and column"), out.index("C3")
    assert summary_at < entries_at
    lines = out[:entries_at].splitlines()
    assert any("required" in line and "channel" in line and "1" in line for line in lines)
    assert any("duplicate_key" in line and "ticket_id" in line for line in lines)
    assert "someday" not in out  # C2 was resolved by the second load
    assert "1 closed entry not shown" in out
    assert "someday" in cli(capsys, "rejects", "--db", str(db), "--all").out


def test_clear_removes_one_loads_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.duckdb"
    bad = write(tmp_path, "bad.csv", "ticket_id,created_at,channel\nB,someday,chat\n")
    other = write(tmp_path, "other.csv", "ticket_id,created_at,channel\nC,never,chat\n")
    cli(capsys, "ingest", "tickets", str(bad), str(other), "--db", str(db))
    out = cli(capsys, "rejects", "--db", str(db), "--clear", "--load", "1").out
    assert "cleared 1 quarantine entry of load 1" in out
    assert [e["row_key"] for e in open_entries(capsys, db)] == [{"ticket_id": "C"}]
    result = run_cli(capsys, "rejects", "--db", str(db), "--clear")
    assert result.code == 2
    assert result.err.strip() == "Error: --clear needs --load N: the load whose entries to clear"
    result = run_cli(capsys, "rejects", "--db", str(db), "--clear", "--load", "7")
    assert result.code == 2 and "load 7 has no quarantine entries" in result.err


def test_export_errors_are_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.duckdb"
    cli(capsys, "ingest", "tickets", str(write(tmp_path, "t.csv", "ticket_id,created_at,channel\n"
        "B,someday,chat\n")), "--db", str(db))  # fmt: skip
    cli(capsys, "ingest", "calls", str(write(tmp_path, "c.csv", "call_id,offered_at\nK,x\n")),
        "--db", str(db))  # fmt: skip
    result = run_cli(capsys, "rejects", "--db", str(db), "--export", str(tmp_path / "x.csv"))
    assert result.code == 2
    assert result.err.strip() == (
        "Error: the open rejects are of several tables (calls, tickets); choose one with --table"
    )
    result = run_cli(capsys, "rejects", "--db", str(db), "--export", str(tmp_path / "x.csv"),
                     "--table", "surveys")  # fmt: skip
    assert result.code == 2 and result.err.strip() == "Error: no open rejects of table surveys"
    cli(capsys, "rejects", "--db", str(db), "--export", str(tmp_path / "x.csv"), "--table", "calls")
    assert (tmp_path / "x.csv").read_text(encoding="utf-8").startswith("call_id,offered_at,")


def test_an_old_store_gains_the_quarantine_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE _quarantine (load_id BIGINT, table_name VARCHAR, file_name VARCHAR, "
        "row_number BIGINT, column_name VARCHAR, value VARCHAR, rule VARCHAR, message VARCHAR)"
    )
    con.execute(
        "INSERT INTO _quarantine VALUES (1, 'tickets', 'old.csv', 2, 'created_at', 'x', "
        "'timestamp', 'old.csv row 2: column ''created_at'' value ''x'' is not a timestamp')"
    )
    con.close()
    # Read-only (as `rejects` opens it): the old entry shows, the new fields are empty.
    (entry,) = open_entries(capsys, path)
    assert (entry["rule"], entry["row_key"], entry["source_row"]) == ("timestamp", None, None)
    with Store(path) as store:  # writable: the columns are added
        columns = {
            r[0]
            for r in store.con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = '_quarantine'"
            ).fetchall()
        }
        ingest_file(store, "tickets", write(tmp_path, "t.csv", "ticket_id,created_at,channel\n"
                    "B,someday,chat\n"))  # fmt: skip
    assert {"row_key", "source_row", "resolved_by", "resolution"} <= columns
    assert len(open_entries(capsys, path)) == 2
