"""``supportkpi sync`` of a Freshdesk source against the local server (fake_zendesk.serve).

Pages follow developers.freshdesk.com/api: ``GET /api/v2/tickets`` answers a JSON array of
tickets (``include=stats`` adds ``stats.resolved_at`` etc.; codes: status 2 Open, 4
Resolved; source 1 Email, 2 Portal), ``GET /api/v2/tickets/{id}/conversations`` an array
of conversations (``incoming``, ``private``, ``user_id``). Counted by hand (UTC):

- ticket 11 (email, requester 601): created 2024-03-04 09:00, agent 701 replies 10:00,
  resolved 11:00 -> first reply 3600 s, resolution 7200 s;
- ticket 12 (portal, requester 602): created 12:00, a private note 12:30 (not a reply);
  the second sync brings agent 702's reply and the resolve at 2024-03-05 08:00 -> first
  reply and resolution 72000 s.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_zendesk import FakeZendesk, serve
from sync_checks import kpis

from supportkpi.config import load_settings
from supportkpi.facts import open_store
from supportkpi.sync import read_cursor, sync_source

TICKETS = "/api/v2/tickets"
LIST = "order_by=updated_at&order_type=asc&page=1&per_page=100&updated_since="


def ticket(number: int, created: str, updated: str, status: int, source: int,
           resolved: str | None) -> dict[str, Any]:  # fmt: skip
    return {"id": number, "subject": f"ticket {number}", "status": status, "priority": 2,
            "source": source, "requester_id": 590 + number, "responder_id": 690 + number,
            "group_id": 5, "created_at": created, "updated_at": updated, "tags": [],
            "description_text": "help",
            "stats": {"resolved_at": resolved, "closed_at": None,
                      "first_responded_at": resolved and updated}}  # fmt: skip


def conversation(number: int, ticket_id: int, at: str, private: bool) -> dict[str, Any]:
    return {"id": number, "ticket_id": ticket_id, "incoming": False, "private": private,
            "user_id": 690 + ticket_id, "source": 2 if private else 0, "body_text": "x",
            "created_at": at, "updated_at": at}  # fmt: skip


NOTE = conversation(9002, 12, "2024-03-04T12:30:00Z", private=True)
REPLY = conversation(9003, 12, "2024-03-05T08:00:00Z", private=False)


@pytest.fixture
def freshdesk() -> Iterator[FakeZendesk]:
    pages = {
        (TICKETS, LIST + "2024-03-04T00:00:00Z"): [
            ticket(11, "2024-03-04T09:00:00Z", "2024-03-04T11:00:00Z", 4, 1,
                   "2024-03-04T11:00:00Z"),
            ticket(12, "2024-03-04T12:00:00Z", "2024-03-04T12:30:00Z", 2, 2, None),
        ],
        (f"{TICKETS}/11/conversations", "page=1&per_page=100"): [
            conversation(9001, 11, "2024-03-04T10:00:00Z", private=False)
        ],
        (f"{TICKETS}/12/conversations", "page=1&per_page=100"): [NOTE],
    }  # fmt: skip
    with serve(FakeZendesk(pages=pages)) as fake:
        yield fake


def test_tickets_and_conversations_sync_then_only_changes(
    freshdesk: FakeZendesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FD_TEST_TOKEN", "fd-key")
    config = tmp_path / "c.toml"
    config.write_text(f'[sources.fd]\nsystem = "freshdesk"\nurl = "{freshdesk.url}"\n'
                      'token_env = "FD_TEST_TOKEN"\nstart = 2024-03-04\n')  # fmt: skip
    source = load_settings(config).sources["fd"]
    db = tmp_path / "f.duckdb"
    first = sync_source(db, source)
    assert (first.pages, first.requests, first.records) == (1, 3, {"tickets": 2})
    login = base64.b64encode(b"fd-key:X").decode()
    assert {auth for *_, auth in freshdesk.seen} == {f"Basic {login}"}
    with open_store(db, read_only=True) as store:
        tickets = store.con.execute(
            "SELECT ticket_id, channel, customer_id, status FROM tickets ORDER BY 1"
        ).fetchall()
        events = store.con.execute("SELECT count(*) FROM ticket_events").fetchone()
    assert tickets == [("11", "email", "601", "solved"), ("12", "web", "602", "open")]
    # 11: opening message, reply, resolve; 12: opening message, private note
    assert events == (5,)
    assert kpis(db) == {
        "first_response_time:median": (3600, 1),
        "unanswered_tickets": (1, 2),
        "resolution_time:median": (7200, 1),
    }
    # Ticket 12 is answered and resolved; the server has it after the stored high-water mark.
    freshdesk.pages[(TICKETS, LIST + "2024-03-04T12:30:00Z")] = [
        ticket(12, "2024-03-04T12:00:00Z", "2024-03-05T08:00:00Z", 4, 2, "2024-03-05T08:00:00Z")
    ]
    freshdesk.pages[(f"{TICKETS}/12/conversations", "page=1&per_page=100")] = [NOTE, REPLY]
    before = len(freshdesk.seen)
    second = sync_source(db, source)
    assert freshdesk.queries(before)[0] == (TICKETS, "updated_since=2024-03-04T12%3A30%3A00Z"
                                            "&order_by=updated_at&order_type=asc"
                                            "&include=stats&per_page=100&page=1")  # fmt: skip
    assert second.records == {"tickets": 1}
    assert kpis(db) == {
        "first_response_time:median": ((3600 + 72000) / 2, 2),
        "unanswered_tickets": (0, 2),
        "resolution_time:median": ((7200 + 72000) / 2, 2),
    }
    with open_store(db) as store:
        assert read_cursor(store, "fd", "tickets") == "2024-03-05T08:00:00Z"
