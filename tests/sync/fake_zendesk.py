"""A Zendesk Support API on 127.0.0.1 for the sync tests, serving documented page shapes.

Pages follow developer.zendesk.com's Incremental Exports reference: the cursor-based ticket
export answers ``{"tickets", "after_url", "after_cursor", "before_url", "before_cursor",
"end_of_stream"}``; the time-based ticket event export answers ``{"ticket_events",
"next_page", "end_time", "count", "end_of_stream"}`` with ``child_events`` (comments in
full, as with ``include=comment_events``). A 429 carries ``Retry-After`` in seconds.

The data, with the KPIs counted by hand (times UTC, 2024-03-04):

- ticket 1 (web, requester 501): asks 09:00, agent 901 answers 10:00 and solves it
  -> first reply 3600 s, resolution 3600 s;
- ticket 2 (email, requester 502): asks 12:00, agent 902 answers 14:00 (7200 s), open;
  the second sync brings its update: solved 2024-03-05 09:00 -> resolution 75600 s;
- ticket 3 (web, requester 503): asks 15:00, never answered.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: The API token the tests put in the environment (it must never show in a message).
TOKEN = "secret-token-123"
TICKETS = "/api/v2/incremental/tickets/cursor.json"
EVENTS = "/api/v2/incremental/ticket_events.json"
START = 1709510400  # 2024-03-04T00:00:00Z, the sources' start
T1 = 1709553600  # 2024-03-04T12:00:00Z: end_time of the first event page
T2 = 1709564400  # 2024-03-04T15:00:00Z: end_time of the second
T3 = 1709629200  # 2024-03-05T09:00:00Z: the update the second sync brings


def ticket(number: int, created: str, updated: str, status: str, channel: str,
           assignee: int | None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": number, "url": f"https://acme.zendesk.com/api/v2/tickets/{number}.json",
        "created_at": created, "updated_at": updated, "subject": f"ticket {number}",
        "raw_subject": f"ticket {number}", "status": status, "priority": "normal",
        "requester_id": 500 + number, "submitter_id": 500 + number, "assignee_id": assignee,
        "group_id": 11, "via": {"channel": channel}, "tags": ["sync"],
    }  # fmt: skip


def update(number: int, ticket_id: int, at: int, updater: int,
           children: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """One ticket event (an update) with its child events, ids ``number * 10 + n``."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    kids = [{"id": number * 10 + n, "via": "Web form", **child}
            for n, child in enumerate(children, start=1)]  # fmt: skip
    return {"id": number, "ticket_id": ticket_id, "timestamp": at, "created_at": created,
            "updater_id": updater, "via": "Web form", "event_type": "Audit",
            "child_events": kids}  # fmt: skip


def comment(author: int, body: str) -> dict[str, Any]:
    return {"event_type": "Comment", "type": "Comment", "author_id": author, "body": body,
            "public": True, "attachments": []}  # fmt: skip


T1_OPEN = ticket(1, "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z", "solved", "web", 901)
T2_OPEN = ticket(2, "2024-03-04T12:00:00Z", "2024-03-04T14:00:00Z", "open", "email", 902)
T2_SOLVED = {**T2_OPEN, "updated_at": "2024-03-05T09:00:00Z", "status": "solved"}
T3_NEW = ticket(3, "2024-03-04T15:00:00Z", "2024-03-04T15:00:00Z", "new", "web", None)
E100 = update(100, 1, 1709542800, 501, [{"event_type": "Create", "status": "new"},
                                        comment(501, "my invoice is wrong")])  # fmt: skip
E101 = update(101, 1, 1709546400, 901, [comment(901, "fixed it"),
                                        {"event_type": "Change", "status": "solved"}])  # fmt: skip
E200 = update(200, 2, T1, 502, [{"event_type": "Create", "status": "new"},
                                comment(502, "cannot log in")])  # fmt: skip
E201 = update(201, 2, 1709560800, 902, [comment(902, "try this"),
                                        {"event_type": "Change", "status": "open"}])  # fmt: skip
E300 = update(300, 3, T2, 503, [{"event_type": "Create", "status": "new"},
                                comment(503, "call me back")])  # fmt: skip
E202 = update(202, 2, T3, 902, [{"event_type": "Change", "status": "solved"}])


def ticket_page(tickets: list[dict[str, Any]], after: str, end: bool) -> dict[str, Any]:
    base = "https://acme.zendesk.com" + TICKETS
    return {"tickets": tickets, "after_url": f"{base}?cursor={after}", "after_cursor": after,
            "before_url": None, "before_cursor": None, "end_of_stream": end}  # fmt: skip


def event_page(events: list[dict[str, Any]], end_time: int, end: bool) -> dict[str, Any]:
    next_page = f"https://acme.zendesk.com{EVENTS}?start_time={end_time}"
    return {"ticket_events": events, "next_page": next_page, "end_time": end_time,
            "count": len(events), "end_of_stream": end}  # fmt: skip


def first_pages() -> dict[tuple[str, str], dict[str, Any]]:
    """What the help desk holds before ticket 2 is solved: two pages per stream (the second
    event page repeats event 200, as time-based pages may)."""
    return {
        (TICKETS, f"start_time={START}"): ticket_page([T1_OPEN, T2_OPEN], "c1", end=False),
        (TICKETS, "cursor=c1"): ticket_page([T3_NEW], "c2", end=True),
        (TICKETS, "cursor=c2"): ticket_page([], "c2", end=True),
        (EVENTS, f"start_time={START}"): event_page([E100, E101, E200], T1, end=False),
        (EVENTS, f"start_time={T1}"): event_page([E200, E201, E300], T2, end=True),
        (EVENTS, f"start_time={T2}"): event_page([], T2, end=True),
    }


def solve_ticket_two(pages: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Ticket 2 is solved: what the cursors of the first sync now lead to."""
    pages[(TICKETS, "cursor=c2")] = ticket_page([T2_SOLVED], "c3", end=True)
    pages[(EVENTS, f"start_time={T2}")] = event_page([E202], T3, end=True)


@dataclass
class FakeZendesk:
    """The server's script: pages by (path, query), faults to answer first, requests seen."""

    pages: dict[tuple[str, str], Any] = field(default_factory=first_pages)
    #: (path, status, headers) answered, in order, before the pages of that path.
    faults: list[tuple[str, int, dict[str, str]]] = field(default_factory=list)
    #: (time, path, query, Authorization header) of every request.
    seen: list[tuple[float, str, str, str]] = field(default_factory=list)
    #: A request (path, query) that waits for ``release`` once it has set ``arrived``.
    gate: tuple[str, str] | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def queries(self, since: int = 0) -> list[tuple[str, str]]:
        return [(path, query) for _, path, query, _ in self.seen[since:]]

    def answer(self, path: str, query: str) -> tuple[int, dict[str, str], Any]:
        for n, (where, status, headers) in enumerate(self.faults):
            if where == path:
                del self.faults[n]
                return status, headers, {"error": f"HTTP {status}"}
        if self.gate == (path, query):
            self.arrived.set()
            self.release.wait(20)
        # Pages are keyed by their parameters in name order, the sideload left out.
        key = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(query)) if k != "include")
        if (path, key) not in self.pages:
            return 404, {}, {"error": "RecordNotFound"}
        return 200, {}, self.pages[(path, key)]


@contextmanager
def serve(fake: FakeZendesk) -> Iterator[FakeZendesk]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            fake.seen.append((time.monotonic(), parts.path, parts.query,
                              self.headers.get("Authorization", "")))  # fmt: skip
            status, headers, body = fake.answer(parts.path, parts.query)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client was killed while this page waited at the gate

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
