"""``supportkpi import chatwoot`` on a hand-made export written to Chatwoot's API reference.

``samples/chatwoot/`` follows developers.chatwoot.com (Application API) and the
conversation and message views of chatwoot/chatwoot: ``conversations.json`` is one page of
``GET /api/v1/accounts/1/conversations`` (``data.payload``, unix-second times,
``first_reply_created_at`` 0 for never), ``messages.jsonl`` one ``.../messages`` response a
line, ``inboxes.json`` the inboxes (conversation 4 has no ``meta.channel``). By hand:

- 1 (web widget -> chat): customer 08:00, assignment activity, reply 08:10 (600 s),
  "marked resolved" 08:30 -> resolution 1800 s;
- 2 (email): customer 09:00, private note 09:20, reply 10:00 (3600 s), resolved 10:30, the
  customer writes next day 09:00 and the system reopens it, reply, resolved 11:30 -> one
  reopen, resolution 26.5 h = 95400 s;
- 3 (chat): customer, then only an agent bot's greeting -> unanswered;
- 4 (email via its inbox): customer 08:00, reply 08:20 (1200 s), resolved with no activity
  exported -> solved at its last activity 09:00 (3600 s).
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

SAMPLES = Path(__file__).parent / "samples" / "chatwoot"
FILES = [SAMPLES / "conversations.json", SAMPLES / "messages.jsonl", SAMPLES / "inboxes.json"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[LoadSummary]]:
    return import_sample(tmp_path_factory, "chatwoot", FILES)


def test_rows_reconcile(loaded: tuple[Path, list[LoadSummary]]) -> None:
    _, summaries = loaded
    # 16 messages, and the solve of conversation 4 that no activity recorded.
    assert [(s.table, s.rows_in, s.inserted, s.rejected) for s in summaries] == [
        ("tickets", 4, 4, 0), ("ticket_events", 16 + 1, 17, 0)
    ]  # fmt: skip
    assert_reconciled(summaries)


def test_tickets(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with open_store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, created_at, channel, status, priority, customer_id, "
            "assignee_id, team, first_response_at, tags FROM tickets ORDER BY ticket_id"
        ).fetchall()

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2024, 6, day, hour, minute, tzinfo=UTC)

    assert rows == [
        ("1", at(1, 8), "chat", "solved", "high", "41", "7", "Billing", at(1, 8, 10),
         ["billing"]),
        ("2", at(2, 9), "email", "solved", None, "42", "8", None, at(2, 10), None),
        ("3", at(3, 12), "chat", "open", None, "43", None, None, None, None),
        ("4", at(4, 8), "email", "solved", "low", "44", "8", None, at(4, 8, 20), None),
    ]  # fmt: skip


def test_events(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with open_store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT ticket_id, kind, actor_type, public, status FROM ticket_events "
            "WHERE ticket_id IN ('1', '3', '4') ORDER BY ticket_id, \"at\", event_id"
        ).fetchall()
        two = store.con.execute(
            "SELECT kind || ':' || coalesce(status, actor_type) FROM ticket_events "
            "WHERE ticket_id = '2' ORDER BY \"at\", event_id"
        ).fetchall()
    assert rows == [
        ("1", "message", "customer", True, None),
        ("1", "note", "system", False, None),  # "Assigned to Olga by Olga"
        ("1", "message", "agent", True, None),
        ("1", "status", "agent", True, "solved"),
        ("3", "message", "customer", True, None),
        ("3", "message", "bot", True, None),
        ("4", "message", "customer", True, None),
        ("4", "message", "agent", True, None),
        ("4", "status", "agent", True, "solved"),
    ]
    assert [r[0] for r in two] == [
        "message:customer", "note:agent", "message:agent", "status:solved",
        "message:customer", "status:open", "message:agent", "status:solved",
    ]  # fmt: skip


def test_kpis(loaded: tuple[Path, list[LoadSummary]]) -> None:
    db, _ = loaded
    with supportkpi.connect(str(db)) as con:
        df = con.kpi(["first_response_time", "unanswered_tickets", "reopen_rate",
                      "resolution_time"])  # fmt: skip
    got = {row["metric"]: (row["value"], row["n"]) for row in df.to_dict("records")}
    assert got == {
        "first_response_time:median": (1200, 3),  # 600, 3600, 1200
        "unanswered_tickets": (1, 4),
        "reopen_rate": (pytest.approx(1 / 3), 3),
        "resolution_time:median": (3600, 3),  # 1800, 95400, 3600
    }


def test_a_file_that_is_not_a_chatwoot_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "chats.json"
    other.write_text('[{"id": 1, "state": "open", "created_at": 1717228800}]', encoding="utf-8")
    message = "chats.json: not a Chatwoot export: expected Chatwoot API JSON"
    found = ".*its first record has keys created_at, id, state"
    with pytest.raises(InputError, match=re.escape(message) + found):
        get_profile("chatwoot").plan([other], tmp_path)
    result = run_cli(capsys, "import", "chatwoot", str(other), "--db", str(tmp_path / "x.db"))
    assert result.code == 2
    assert result.err.count("\n") == 1 and message in result.err
    assert "Traceback" not in result.err + result.out
