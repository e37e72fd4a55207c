"""The real help-desk event log, through the example mapping (skipped without ../shared/data).

Expected figures were counted independently from the raw CSV (21,348 lines after the
header, 4,580 distinct cases, 127 exact duplicate lines) and Case3608 was read by hand:

    Assign seriousness,   Value 2, 2010-01-13 08:40:25+02:00
    Take in charge ticket, Value 2, 2010-01-29 08:52:27+02:00
    Resolve ticket,       Value 2, 2010-01-29 08:52:34+02:00
    Closed,               Value 5, 2010-02-13 08:52:48+02:00   (twice, identical)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportkpi.cli.main import app
from supportkpi.store import Store

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "helpdesk_eventlog.csv"
MAPPING = ROOT / "examples" / "helpdesk_eventlog" / "mapping.toml"

pytestmark = pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not available")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    db = tmp_path_factory.mktemp("helpdesk") / "helpdesk.duckdb"
    outputs = []
    for _ in range(2):
        result = CliRunner().invoke(
            app,
            ["ingest", "ticket_events", str(DATA), "--db", str(db), "--map", str(MAPPING),
             "--json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout))
    return db, outputs


def test_counts(loaded: tuple[Path, list[dict[str, object]]]) -> None:
    db, (first, _) = loaded
    assert first == {
        "table": "ticket_events", "rows_in": 21348, "inserted": 21348, "updated": 0,
        "unchanged": 0, "rejected": 0,
    }  # fmt: skip
    with Store(db, read_only=True) as store:
        assert store.count("ticket_events") == 21348
        assert store.count("tickets") == 4580
        derived = store.con.execute("SELECT count(*) FROM tickets WHERE derived").fetchone()
        assert derived == (4580,)


def test_second_load_changes_nothing(loaded: tuple[Path, list[dict[str, object]]]) -> None:
    db, (_, second) = loaded
    assert (second["inserted"], second["updated"], second["unchanged"], second["rejected"]) == (
        0, 0, 21348, 0)  # fmt: skip
    with Store(db, read_only=True) as store:
        assert store.count("ticket_events") == 21348
        assert store.load_log().num_rows == 2


def test_every_activity_is_mapped(loaded: tuple[Path, list[dict[str, object]]]) -> None:
    db, _ = loaded
    with Store(db, read_only=True) as store:
        got = dict(
            store.con.execute(
                "SELECT kind || '/' || coalesce(status, '') || '/' || coalesce(CAST(level AS "
                "VARCHAR), ''), count(*) FROM ticket_events GROUP BY 1"
            ).fetchall()
        )
    # Activity counts of the raw log, grouped by the README's mapping.
    assert got == {
        "message//": 5060 + 118,  # Take in charge ticket, Insert ticket
        "status/solved/": 4983,  # Resolve ticket
        "priority//": 4938,  # Assign seriousness
        "status/closed/": 4574,  # Closed
        "status/pending/": 1463,  # Wait
        "escalation//2": 119,  # Require upgrade
        "escalation//3": 67,  # Create SW anomaly
        "note//": 13 + 5 + 3 + 2 + 2 + 1,  # SW anomaly resolved, intervention, bug states
    }


def test_case3608_by_hand(loaded: tuple[Path, list[dict[str, object]]]) -> None:
    db, _ = loaded
    with Store(db, read_only=True) as store:
        ticket = store.con.execute(
            "SELECT created_at, channel, customer_id, assignee_id, status, derived "
            "FROM tickets WHERE ticket_id = 'Case3608'"
        ).fetchone()
        events = store.con.execute(
            'SELECT "at", kind, actor_type, actor_id, status, public FROM ticket_events '
            "WHERE ticket_id = 'Case3608' ORDER BY \"at\", kind"
        ).fetchall()
    assert ticket == (datetime(2010, 1, 13, 6, 40, 25, tzinfo=UTC), "unknown", None, "Value 2",
                      "closed", True)  # fmt: skip
    closed = (datetime(2010, 2, 13, 6, 52, 48, tzinfo=UTC), "status", "system", "Value 5",
              "closed", True)  # fmt: skip
    assert events == [
        (datetime(2010, 1, 13, 6, 40, 25, tzinfo=UTC), "priority", "agent", "Value 2", None,
         False),
        (datetime(2010, 1, 29, 6, 52, 27, tzinfo=UTC), "message", "agent", "Value 2", None,
         True),
        (datetime(2010, 1, 29, 6, 52, 34, tzinfo=UTC), "status", "agent", "Value 2", "solved",
         True),
        closed,
        closed,  # the exact duplicate line is kept as a second event
    ]  # fmt: skip


def test_inserted_tickets_have_no_staff_customer(
    loaded: tuple[Path, list[dict[str, object]]],
) -> None:
    """'Insert ticket' is a customer message typed in by staff: the operator is not the customer."""
    db, _ = loaded
    with Store(db, read_only=True) as store:
        row = store.con.execute(
            "SELECT count(*), count(actor_id) FROM ticket_events WHERE actor_type = 'customer'"
        ).fetchone()
        customers = store.con.execute("SELECT count(customer_id) FROM tickets").fetchone()
    assert row == (118, 0)
    assert customers == (0,)
