"""A Zammad REST API on 127.0.0.1 for the sync tests, answering in the documented shapes.

Shapes follow docs.zammad.org ("API / Ticket", "API / Ticket Article", "API / Intro") and
Zammad's tickets controller: ``GET /api/v1/tickets/search?...&expand=true`` answers a JSON
array of expanded tickets (ids plus names: ``state``, ``group``, ``priority``, ...), paged by
``page``/``per_page``, filtered by an ``updated_at:[FROM TO *]`` range and sorted by
``sort_by``/``order_by``; ``GET /api/v1/ticket_articles/by_ticket/{id}`` an array of
articles; ``GET /api/v1/ticket_history/{id}`` ``{"history": [...], "assets": {...}}``.
The server is served by ``fake_zendesk.serve`` (the same request log, faults and gate).

The data, with the KPIs counted by hand (UTC, 2024-03-04; customer 80x, agents 90x):

- 21 (email): customer writes 08:00, agent 901 answers 09:00 and closes it 10:00
  -> first reply 3600 s, resolution 7200 s;
- 22 (web): customer 11:00, agent 902 answers 13:00 (7200 s), open; the second sync brings
  its close at 2024-03-05 09:00 -> resolution 22 h = 79200 s;
- 23 (phone): customer 14:00, never answered, new;
- 24 (email): customer 15:00, agent 901 answers 15:30 (1800 s), open;
- 25 (email, only in the second sync, as if indexed late): customer 15:28, new.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "zammad-token-456"
SEARCH = "/api/v1/tickets/search"
ARTICLES = "/api/v1/ticket_articles/by_ticket/"
HISTORY = "/api/v1/ticket_history/"
RANGE = re.compile(r"^updated_at:\[(\S+) TO \*\]$")
GROUPS = {1: "Users", 2: "Billing"}
STATE_IDS = {"new": 1, "open": 2, "closed": 4}
TYPE_IDS = {"email": 1, "phone": 5, "web": 11}


def at(hour: int, minute: int = 0, day: int = 4) -> str:
    """A time of March 2024 as Zammad writes it (UTC, milliseconds)."""
    return f"2024-03-{day:02d}T{hour:02d}:{minute:02d}:00.000Z"


def ticket(number: int, channel: str, created: str, updated: str, state: str, owner: int,
           first_response: str | None, close: str | None) -> dict[str, Any]:  # fmt: skip
    """An expanded ticket (``attributes_with_association_names``)."""
    return {
        "id": number, "group_id": 1, "priority_id": 2, "state_id": STATE_IDS[state],
        "organization_id": None, "number": f"7{number:04d}", "title": f"ticket {number}",
        "owner_id": owner, "customer_id": 780 + number, "note": None,
        "first_response_at": first_response, "close_at": close, "last_contact_at": updated,
        "create_article_type_id": TYPE_IDS[channel], "create_article_sender_id": 2,
        "article_count": 1, "escalation_at": None, "pending_time": None, "type": None,
        "preferences": {}, "updated_by_id": owner, "created_by_id": 780 + number,
        "created_at": created, "updated_at": updated, "article_ids": [],
        "ticket_time_accounting_ids": [], "group": GROUPS[1], "organization": None,
        "state": state, "priority": "2 normal", "owner": "-" if owner == 1 else f"a{owner}",
        "customer": f"c{780 + number}@example.com", "created_by": f"c{780 + number}@example.com",
        "updated_by": "-", "create_article_type": channel, "create_article_sender": "Customer",
    }  # fmt: skip


def article(number: int, ticket_id: int, sender: str, by: int, when: str,
            channel: str = "email") -> dict[str, Any]:  # fmt: skip
    """An article of ``by_ticket``: sender Customer (id 2) or Agent (id 1)."""
    return {
        "id": number, "ticket_id": ticket_id, "type_id": TYPE_IDS[channel],
        "sender_id": 2 if sender == "Customer" else 1, "from": f"u{by}", "to": "",
        "cc": "", "subject": f"ticket {ticket_id}", "content_type": "text/plain",
        "body": f"article {number}", "internal": False, "preferences": {},
        "updated_by_id": by, "created_by_id": by, "origin_by_id": None, "created_at": when,
        "updated_at": when, "attachments": [], "type": channel, "sender": sender,
        "created_by": f"u{by}", "updated_by": f"u{by}",
    }  # fmt: skip


def history(number: int, ticket_id: int, by: int, when: str, state: tuple[str, str] | None
            ) -> dict[str, Any]:  # fmt: skip
    """A history entry: the ticket created (``state`` None) or a state update."""
    entry = {"id": number, "o_id": ticket_id, "object": "Ticket", "type": "created",
             "attribute": None, "value_from": None, "value_to": None, "id_from": None,
             "id_to": None, "related_o_id": None, "related_object": None,
             "created_by_id": by, "created_at": when}  # fmt: skip
    if state is not None:
        entry.update(type="updated", attribute="state", value_from=state[0],
                     value_to=state[1], id_from=STATE_IDS[state[0]],
                     id_to=STATE_IDS[state[1]])  # fmt: skip
    return entry


def first_desk() -> tuple[dict[int, Any], dict[int, list[Any]], dict[int, list[Any]]]:
    """Tickets, articles and history before ticket 22 is closed and 25 shows up."""
    tickets = {
        21: ticket(21, "email", at(8), at(10), "closed", 901, at(9), at(10)),
        22: ticket(22, "web", at(11), at(13), "open", 902, at(13), None),
        23: ticket(23, "phone", at(14), at(14), "new", 1, None, None),
        24: ticket(24, "email", at(15), at(15, 30), "open", 901, at(15, 30), None),
    }
    articles = {
        21: [article(2101, 21, "Customer", 801, at(8)), article(2102, 21, "Agent", 901, at(9))],
        22: [article(2201, 22, "Customer", 802, at(11), "web"),
             article(2202, 22, "Agent", 902, at(13), "web")],
        23: [article(2301, 23, "Customer", 803, at(14), "phone")],
        24: [article(2401, 24, "Customer", 804, at(15)),
             article(2402, 24, "Agent", 901, at(15, 30))],
    }  # fmt: skip
    histories = {
        21: [history(51, 21, 801, at(8), None), history(52, 21, 901, at(9), ("new", "open")),
             history(53, 21, 901, at(10), ("open", "closed"))],
        22: [history(61, 22, 802, at(11), None), history(62, 22, 902, at(13), ("new", "open"))],
        23: [history(71, 23, 803, at(14), None)],
        24: [history(81, 24, 804, at(15), None),
             history(82, 24, 901, at(15, 30), ("new", "open"))],
    }  # fmt: skip
    return tickets, articles, histories


def second_desk(fake: FakeZammad) -> None:
    """Ticket 22 is closed the next morning; ticket 25 (changed 15:28, before the first
    sync's mark) reaches the search index only now."""
    closed = at(9, day=5)
    fake.tickets[22] = {**fake.tickets[22], "state": "closed", "state_id": 4,
                        "close_at": closed, "updated_at": closed}  # fmt: skip
    fake.history[22].append(history(63, 22, 902, closed, ("open", "closed")))
    fake.tickets[25] = ticket(25, "email", at(15, 28), at(15, 28), "new", 1, None, None)
    fake.articles[25] = [article(2501, 25, "Customer", 805, at(15, 28))]
    fake.history[25] = [history(91, 25, 805, at(15, 28), None)]


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class FakeZammad:
    """The help desk's data, faults to answer first, and the requests seen."""

    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    articles: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: (path prefix, status, headers) answered, in order, before that path's data.
    faults: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)
    #: (time, path, query, Authorization header) of every request.
    seen: list[tuple[float, str, str, str]] = field(default_factory=list)
    #: A search whose range starts here waits for ``release`` once it has set ``arrived``.
    gate: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def __post_init__(self) -> None:
        if not self.tickets:
            self.tickets, self.articles, self.history = first_desk()

    def searches(self, since: int = 0) -> list[tuple[str, int]]:
        """Each search's range start and page, in order."""
        found = []
        for _, path, query, _ in self.seen[since:]:
            if path == SEARCH:
                params = dict(parse_qsl(query))
                match = RANGE.match(params.get("query", ""))
                found.append((match.group(1) if match else "?", int(params.get("page", 1))))
        return found

    def detailed(self, since: int = 0) -> list[int]:
        """The tickets whose articles were asked for, in order."""
        paths = [path for _, path, *_ in self.seen[since:]]
        return [int(path.removeprefix(ARTICLES)) for path in paths if path.startswith(ARTICLES)]

    def answer(self, path: str, query: str) -> tuple[int, dict[str, str], Any]:
        for n, (where, status, headers) in enumerate(self.faults):
            if path.startswith(where):
                del self.faults[n]
                return status, headers, {"error": f"HTTP {status}"}
        if path == SEARCH:
            return self._search(dict(parse_qsl(query)))
        for prefix in (ARTICLES, HISTORY):
            number = path.removeprefix(prefix)
            if not (path.startswith(prefix) and number.isdigit()):
                continue
            if int(number) not in self.tickets:
                return 404, {}, {"error": "Couldn't find Ticket"}
            if prefix == ARTICLES:
                return 200, {}, self.articles.get(int(number), [])
            return 200, {}, {"history": self.history.get(int(number), []), "assets": {}}
        return 404, {}, {"error": "No route matches"}

    def _search(self, params: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        match = RANGE.match(params.get("query", ""))
        wanted = {"sort_by": "updated_at", "order_by": "asc", "expand": "true"}
        if match is None or any(params.get(k) != v for k, v in wanted.items()):
            return 422, {}, {"error": f"unexpected search {params}"}
        if self.gate == match.group(1):
            self.arrived.set()
            self.release.wait(20)
        since = _time(match.group(1))
        hits = sorted((t for t in self.tickets.values() if _time(t["updated_at"]) >= since),
                      key=lambda t: (_time(t["updated_at"]), t["id"]))  # fmt: skip
        page, per_page = int(params.get("page", 1)), int(params.get("per_page", 50))
        return 200, {}, hits[(page - 1) * per_page : page * per_page]
