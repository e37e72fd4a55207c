"""``supportkpi import xes`` on a hand-made help-desk log written to the XES standard.

samples/xes/helpdesk.xes (IEEE 1849: traces with ``concept:name``, events with
``concept:name``, ``org:resource``, ``time:timestamp``) uses activity names in several
spellings. By hand, with the default activity map:

- Case1: Insert ticket 08:00Z (customer), Take in charge 08:30 (first reply 1800 s),
  Resolve ticket 10:00 (7200 s), Closed two days later (not a second solve).
- Case2: Ticket Created 10:00, REPLY 10:45 (2700 s), Resolved 12:00, Reopened 15:00,
  Resolved next day 09:00 -> reopened once, resolution 23 h = 82800 s.
- Case3: Insert ticket, Wait: pending, unanswered.
"Assign seriousness" and "Customer called back" are no common name: private notes, unless
``--map`` says otherwise (samples/xes/extra_activities.toml makes the second a customer
message).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli

import supportkpi
from supportkpi.ingest.profiles import run_import
from supportkpi.store import Store

SAMPLES = Path(__file__).parent / "samples" / "xes"
LOG = SAMPLES / "helpdesk.xes"
EXTRA = SAMPLES / "extra_activities.toml"


def kpis(db: Path) -> dict[str, tuple[Any, int]]:
    with supportkpi.connect(str(db)) as con:
        frame = con.kpi(["reopen_rate", "first_response_time:mean", "resolution_time:mean",
                         "ticket_volume"], start="2024-01-01", end="2024-02-01")  # fmt: skip
    return {r["metric"]: (r["value"], r["n"]) for r in frame.to_dict("records")}


def test_default_map_and_kpis(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    with Store(db) as store:
        (summary,) = run_import(store, "xes", [LOG])
        kinds = store.con.execute(
            "SELECT ticket_id, list(kind || coalesce('/' || status, '') ORDER BY \"at\") "
            "FROM ticket_events GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert (summary.rows_in, summary.inserted, summary.rejected) == (13, 13, 0)
    assert kinds == [
        ("Case1", ["message", "note", "message", "status/solved", "status/closed"]),
        ("Case2", ["message", "message", "status/solved", "status/open", "note",
                   "status/solved"]),
        ("Case3", ["message", "status/pending"]),
    ]  # fmt: skip
    assert kpis(db) == {
        "reopen_rate": (0.5, 2),
        "first_response_time:mean": ((1800 + 2700) / 2, 2),
        "resolution_time:mean": ((7200 + 82800) / 2, 2),
        "ticket_volume": (3.0, 3),
    }


def test_map_adds_an_activity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    args = ["import", "xes", str(LOG), "--db", str(db), "--map", str(EXTRA), "--json"]
    preview = run_cli(capsys, *args, "--dry-run")
    assert preview.code == 0, preview.err
    (shown,) = json.loads(preview.out)
    assert shown["uncovered_activities"] == [["Assign seriousness", 1]]  # the map covers one
    assert not db.exists()
    result = run_cli(capsys, *args)
    assert result.code == 0, result.err
    with Store(db, read_only=True) as store:
        kind = store.con.execute(
            "SELECT kind, actor_type FROM ticket_events WHERE ticket_id = 'Case2' "
            "AND \"at\" = TIMESTAMPTZ '2024-01-09 15:05:00+00'"
        ).fetchone()
    assert kind == ("message", "customer")


@pytest.mark.parametrize(
    ("content", "missing"),
    [
        ("case,activity\n1,Open\n", "not well-formed XML"),
        ('<?xml version="1.0"?><events><event/></events>', "the root is <events>"),
        ('<log><trace><string key="concept:name" value="c1"/><event>'
         '<string key="concept:name" value="Open"/></event></trace></log>',
         "missing column 'time:timestamp'"),
        ("<log></log>", "it holds no event"),
    ],
)  # fmt: skip
def test_not_an_event_log(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, missing: str
) -> None:
    path = tmp_path / "log.xes"
    path.write_text(content)
    result = run_cli(capsys, "import", "xes", str(path), "--db", str(tmp_path / "x.db"))
    assert result.code == 2
    assert result.err.startswith("Error: log.xes: not an XES event log with a case id, ")
    assert missing in result.err
    assert result.err.count("\n") == 1
