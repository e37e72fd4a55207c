"""``supportkpi import zammad`` on a hand-made export written to Zammad's API documentation.

``samples/zammad/`` follows docs.zammad.org ("API / Ticket", "Articles"): ``tickets.json`` is
``GET /api/v1/tickets?expand=true`` (ids and expanded names), ``articles.json`` three
``GET /api/v1/ticket_articles/by_ticket/{id}`` responses saved as one array, and
``history_12.json`` ticket 12's ``GET /api/v1/ticket_history/12``. Expected, by hand:

- 11: customer 08:00, agent 09:00 (3600 s); no history, so closed at ``close_at`` 10:00
  -> resolution 7200 s;
- 12: customer 08:00, internal note 08:15, agent 08:30 (1800 s); the history closes it at
  09:00, reopens it next day 08:00 and closes it at 10:00 -> one reopen, resolution 26 h
  = 93600 s;
- 13: one phone article by the customer, open -> unanswered; owner 1 ("-") is nobody.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli
from profile_imports import assert_reconciled, import_sample

import supportkpi
from supportkpi.errors import InputError
from supportkpi.facts import open_store
from supportkpi.ingest.profiles import get_profile
from supportkpi.store import LoadSummary

SAMPLES = Path(__file__).parent / "samples" / "zammad"
FILES = [SAMPLES / "tickets.json", SAMPLES / "articles.json", SAMPLES / "history_12.json"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[LoadSummary]]:
    return import_sample(tmp_path_factory, "zammad", FILES)


def test_rows_reconcile(loaded: tuple[Path, list[LoadSummary]]) -> None:
    _, summaries = loaded
    # 8 articles, 7 history entries (2 of them notes), 1 close for ticket 11.
    assert [(s.table, s.rows_in, s.inserted, s.rejected) for s in summaries] == [
        ("tickets", 3, 3, 0), ("ticket_events", 8 + 7 + 1, 16, 0)
    ]  # fmt: skip
    assert_reconciled(summaries)


def test_tickets(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with open_store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, created_at, channel, status, priority, team, assignee_id, "
            "customer_id, subject FROM tickets ORDER BY ticket_id"
        ).fetchall()
    assert rows == [
        ("11", datetime(2024, 5, 6, 8, tzinfo=UTC), "email", "closed", "normal", "Users", "3",
         "21", "Password reset mail missing"),
        ("12", datetime(2024, 5, 7, 8, tzinfo=UTC), "email", "closed", "high", "Billing", "4",
         "22", "Invoice PDF empty"),
        ("13", datetime(2024, 5, 8, 12, tzinfo=UTC), "phone", "open", "low", "Users", None,
         "23", "Call me about my contract"),
    ]  # fmt: skip


def test_events(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with open_store(db, read_only=True) as store:
        twelve = store.con.execute(
            "SELECT kind, actor_type, public, status FROM ticket_events WHERE ticket_id = '12' "
            'ORDER BY "at", event_id'
        ).fetchall()
        eleven = store.con.execute(
            "SELECT kind, status FROM ticket_events WHERE ticket_id = '11' ORDER BY \"at\""
        ).fetchall()
    assert twelve == [
        ("message", "customer", True, None),
        ("note", "system", False, None),  # history: created Ticket
        ("note", "system", False, None),  # history: created Ticket::Article
        ("note", "agent", False, None),  # the internal article
        ("message", "agent", True, None),
        ("status", "agent", True, "open"),
        ("status", "agent", True, "closed"),
        ("message", "customer", True, None),
        ("status", "customer", True, "open"),  # by 22, the ticket's customer
        ("message", "agent", True, None),
        ("assignment", "agent", True, None),
        ("status", "agent", True, "closed"),
    ]
    assert eleven == [("message", None), ("message", None), ("status", "closed")]


def test_kpis(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with supportkpi.connect(str(db)) as con:
        df = con.kpi(["first_response_time", "unanswered_tickets", "reopen_rate",
                      "resolution_time"])  # fmt: skip
    got = {row["metric"]: (row["value"], row["n"]) for row in df.to_dict("records")}
    assert got == {
        "first_response_time:median": ((3600 + 1800) / 2, 2),
        "unanswered_tickets": (1, 3),
        "reopen_rate": (0.5, 2),
        "resolution_time:median": ((7200 + 93600) / 2, 2),
    }


def test_a_file_that_is_not_a_zammad_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "tickets.json"
    other.write_text('{"tickets": [1, 2], "tickets_count": 2, "assets": {}}', encoding="utf-8")
    message = "tickets.json: not a Zammad export: expected Zammad API JSON"
    with pytest.raises(InputError, match=re.escape(message) + ".*its keys are assets, tickets"):
        get_profile("zammad").plan([other], tmp_path)
    result = run_cli(capsys, "import", "zammad", str(other), "--db", str(tmp_path / "x.db"))
    assert result.code == 2
    assert result.err.count("\n") == 1 and message in result.err
    assert "Traceback" not in result.err + result.out
