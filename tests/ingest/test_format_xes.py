"""XES event logs: one row per event, trace attributes as ``case:`` columns, the CSV mapping of
a log loading its XES unchanged; bad files give one sentence.

The sample log is two tickets, read by hand with the help-desk example mapping:

    C1 (channel email): Insert ticket 09:00+01:00 (customer), Take in charge 10:00+01:00
        (agent, first response 3600 s), Resolve ticket 12:00+01:00 (solved, 4 h after creation)
    C2 (channel chat):  Insert ticket 08:00Z, Take in charge 08:30Z (first response 1800 s),
        Resolve ticket 09:00Z, Insert ticket 10:00Z (the customer writes again),
        Resolve ticket 11:00Z (solved a second time: one reopen)
"""

from __future__ import annotations

import csv
import gzip
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from cli_support import run_cli

import supportkpi
from supportkpi.errors import InputError
from supportkpi.ingest import ingest_file
from supportkpi.ingest.readers import ROW, detect_format, read_raw
from supportkpi.store import Store

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "helpdesk_eventlog" / "mapping.toml"
REAL_LOG = ROOT.parent / "shared" / "data" / "helpdesk_eventlog.csv"

SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <string key="concept:name" value="sample log"/>
  <trace>
    <string key="concept:name" value="C1"/>
    <string key="channel" value="email"/>
    <event>
      <string key="concept:name" value="Insert ticket"/>
      <string key="org:resource" value="Operator 1"/>
      <date key="time:timestamp" value="2024-01-01T09:00:00.000+01:00"/>
    </event>
    <event>
      <string key="concept:name" value="Take in charge ticket"/>
      <string key="org:resource" value="Ann"/>
      <date key="time:timestamp" value="2024-01-01T10:00:00.000+01:00"/>
      <int key="attempt" value="1"/>
      <boolean key="urgent" value="TRUE"/>
      <float key="score" value="0.5"/>
      <list key="tags"><values>
        <string key="tag" value="a"/><string key="tag" value="b"/>
      </values></list>
    </event>
    <event>
      <string key="concept:name" value="Resolve ticket"/>
      <string key="org:resource" value="Ann"/>
      <date key="time:timestamp" value="2024-01-01T12:00:00.000+01:00"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="C2"/>
    <string key="channel" value="chat"/>
    <event>
      <string key="concept:name" value="Insert ticket"/>
      <date key="time:timestamp" value="2024-01-02T08:00:00.000Z"/>
    </event>
    <event>
      <string key="concept:name" value="Take in charge ticket"/>
      <string key="org:resource" value="Bob"/>
      <date key="time:timestamp" value="2024-01-02T08:30:00.000Z"/>
    </event>
    <event>
      <string key="concept:name" value="Resolve ticket"/>
      <string key="org:resource" value="Bob"/>
      <date key="time:timestamp" value="2024-01-02T09:00:00.000Z"/>
    </event>
    <event>
      <string key="concept:name" value="Insert ticket"/>
      <date key="time:timestamp" value="2024-01-02T10:00:00.000Z"/>
    </event>
    <event>
      <string key="concept:name" value="Resolve ticket"/>
      <string key="org:resource" value="Bob"/>
      <date key="time:timestamp" value="2024-01-02T11:00:00.000Z"/>
    </event>
  </trace>
</log>
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def kpis(db: Path, *metrics: str) -> dict[str, tuple[Any, int]]:
    with supportkpi.connect(str(db)) as con:
        frame = con.kpi(list(metrics), start="2024-01-01", end="2024-01-03")
    return {r["metric"]: (r["value"], r["n"]) for r in frame.to_dict("records")}


def test_events_are_rows_and_trace_attributes_are_case_columns(tmp_path: Path) -> None:
    raw = read_raw(write(tmp_path, "log.xes", SAMPLE), "xes")
    rows = raw.table.to_pylist()
    assert raw.rows_in == 8
    assert [r[ROW] for r in rows] == list(range(1, 9))
    second = rows[1]
    assert second["concept:name"] == "Take in charge ticket"
    assert second["case:concept:name"] == "C1"
    assert second["case:channel"] == "email"
    assert second["time:timestamp"] == "2024-01-01T10:00:00.000+01:00"
    assert (second["attempt"], second["urgent"], second["score"]) == ("1", "true", "0.5")
    assert json.loads(second["tags"]) == ["a", "b"]
    assert rows[3]["org:resource"] is None  # C2's first event has no resource
    # Log-level attributes and <global> defaults are not columns.
    assert "__INVALID__" not in json.dumps(rows)
    assert [r["case:concept:name"] for r in rows] == ["C1"] * 3 + ["C2"] * 5


def test_format_from_extension() -> None:
    assert detect_format(Path("log.xes"), None) == "xes"
    assert detect_format(Path("log.xes.gz"), None) == "xes"


@pytest.mark.parametrize("name", ["log.xes", "log.xes.gz"])
def test_sample_log_gives_hand_computed_tickets_and_kpis(tmp_path: Path, name: str) -> None:
    db = tmp_path / "x.duckdb"
    path = write(tmp_path, name, SAMPLE)
    mapping = tomllib.loads(MAPPING.read_text(encoding="utf-8"))
    mapping["columns"]["channel"] = "case:channel"  # a trace attribute: its case: column
    with Store(db) as store:
        summary = ingest_file(store, "ticket_events", path, mapping=mapping)
        assert (summary.rows_in, summary.inserted, summary.rejected) == (8, 8, 0)
        tickets = store.con.execute(
            "SELECT ticket_id, created_at, channel, status FROM tickets ORDER BY 1"
        ).fetchall()
    assert [(t, c.astimezone(UTC), ch, s) for t, c, ch, s in tickets] == [
        ("C1", datetime(2024, 1, 1, 8, tzinfo=UTC), "email", "solved"),
        ("C2", datetime(2024, 1, 2, 8, tzinfo=UTC), "chat", "solved"),
    ]
    got = kpis(db, "ticket_volume", "first_response_time:median", "reopens", "reopen_rate")
    assert got["ticket_volume"] == (2, 2)
    assert got["first_response_time:median"] == (pytest.approx((3600 + 1800) / 2), 2)
    assert got["reopens"][0] == 1  # C2 solved twice
    assert got["reopen_rate"] == (0.5, 2)  # 1 of the 2 solved tickets


def to_xes(rows: list[dict[str, str]], case_key: str = "case:concept:name") -> str:
    """A CSV event log written as XES: ``case:`` columns become trace attributes."""
    traces: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        traces.setdefault(row[case_key], []).append(row)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n']
    for events in traces.values():
        out.append("<trace>\n")
        for key, value in events[0].items():
            if key.startswith("case:"):
                out.append(f"<string key={quoteattr(key[5:])} value={quoteattr(value)}/>\n")
        for event in events:
            out.append("<event>")
            for key, value in event.items():
                if key.startswith("case:") or value == "":
                    continue
                kind = "date" if key == "time:timestamp" else "string"
                value = value.replace(" ", "T", 1) if kind == "date" else value
                out.append(f"<{kind} key={quoteattr(key)} value={quoteattr(value)}/>")
            out.append("</event>\n")
        out.append("</trace>\n")
    out.append("</log>\n")
    return "".join(out)


def test_a_csv_log_and_its_xes_load_the_same_events(tmp_path: Path) -> None:
    rows = list(csv.DictReader(SAMPLE_CSV.splitlines()))
    stored = []
    for name, text in (("log.csv", SAMPLE_CSV), ("log.xes", to_xes(rows))):
        with Store(":memory:") as store:
            ingest_file(store, "ticket_events", write(tmp_path, name, text), mapping=MAPPING)
            stored.append(
                store.con.execute(
                    'SELECT * EXCLUDE (event_id) FROM ticket_events ORDER BY "at", ticket_id'
                ).fetchall()
            )
    assert len(stored[0]) == 3
    assert stored[0] == stored[1]


SAMPLE_CSV = """concept:name,org:resource,time:timestamp,case:concept:name
Insert ticket,Op,2024-01-01 09:00:00+01:00,C1
Take in charge ticket,Ann,2024-01-01 10:00:00+01:00,C1
Resolve ticket,Ann,2024-01-01 12:00:00+01:00,C1
"""


@pytest.mark.skipif(not REAL_LOG.is_file(), reason="../shared/data is not available")
def test_the_real_helpdesk_log_as_xes_gives_the_kpis_of_its_csv(tmp_path: Path) -> None:
    with REAL_LOG.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    xes = write(tmp_path, "helpdesk.xes", to_xes(rows))
    metrics = ("ticket_volume", "first_response_time:median", "resolution_time:median",
               "reopen_rate", "escalation_rate", "tickets_solved")  # fmt: skip
    results = []
    for source in (REAL_LOG, xes):
        db = tmp_path / f"{source.suffix[1:]}.duckdb"
        result = run_cli_json("ingest", "ticket_events", str(source), "--db", str(db),
                              "--map", str(MAPPING), "--json")  # fmt: skip
        assert (result["rows_in"], result["rejected"]) == (21348, 0)
        with supportkpi.connect(str(db)) as con:
            frame = con.kpi(list(metrics), start="2010-01-01", end="2015-01-01")
        results.append({r["metric"]: (r["value"], r["n"]) for r in frame.to_dict("records")})
    assert results[0]["ticket_volume"] == (4580, 4580)
    assert results[1] == results[0]


def run_cli_json(*args: str) -> dict[str, Any]:
    from typer.testing import CliRunner

    from supportkpi.cli.main import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<log><trace><event>", "log.xes: not a well-formed XES (XML) file: no element found: "
         "line 1, column 19"),
        ("<html><body/></html>", "log.xes: not an XES log: the root element is <html>, not <log>"),
        ("", "log.xes: not a well-formed XES (XML) file: no element found: line 1, column 0"),
    ],
)  # fmt: skip
def test_bad_xes_is_one_sentence(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        read_raw(write(tmp_path, "log.xes", text), "xes")
    assert str(info.value) == message


def test_bad_xes_on_the_command_line_has_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "log.xes", "<log><trace>")
    db = tmp_path / "x.duckdb"
    result = run_cli(capsys, "ingest", "ticket_events", str(path), "--db", str(db),
                     "--map", str(MAPPING))  # fmt: skip
    assert result.code != 0
    assert "log.xes: not a well-formed XES (XML) file" in result.err
    assert "Traceback" not in result.err + result.out
