"""Freshdesk's tickets changed since a time, with their conversations, as the import profile's
files.

One stream, ``tickets``: ``GET /api/v2/tickets?updated_since=ISO&order_by=updated_at
&order_type=asc&include=stats&per_page=100&page=N`` (a JSON array; a page shorter than
``per_page`` is the last), and for each ticket ``GET /api/v2/tickets/{id}/conversations
?per_page=100&page=N``. The cursor is a high-water mark: the newest ``updated_at`` stored.
Pages come oldest change first, so a sync that stops after a page resumes from that time;
the boundary ticket comes again and upserts unchanged.

Each page is written as the profile's input, a ticket CSV with the export's column names
(the API's numeric status, priority and source codes are what the profile reads anyway)
and a conversations JSON, and planned by :mod:`supportkpi.ingest.profiles.freshdesk`: a
synced ticket is stored as the same ticket of an export.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from supportkpi.config.sources import SourceSettings
from supportkpi.errors import InputError
from supportkpi.ingest.profiles.base import Part
from supportkpi.ingest.profiles.freshdesk import plan
from supportkpi.store import Store
from supportkpi.sync.http import Fetcher
from supportkpi.sync.page import Page

TICKETS_PATH = "/api/v2/tickets"
PER_PAGE = 100
STREAMS = ("tickets",)
#: The export's column -> how to read it from an API ticket (``include=stats`` for times).
EXPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "Ticket ID": ("id",), "Subject": ("subject",), "Status": ("status",),
    "Priority": ("priority",), "Source": ("source",), "Agent": ("responder_id",),
    "Group": ("group_id",), "Contact ID": ("requester_id",), "Created time": ("created_at",),
    "Resolved time": ("stats", "resolved_at"), "Closed time": ("stats", "closed_at"),
    "Last update time": ("updated_at",),
    "Initial response time": ("stats", "first_responded_at"),
    "Description": ("description_text",),
}  # fmt: skip


def pages(
    fetcher: Fetcher, source: SourceSettings, stream: str, cursor: str | None
) -> Iterator[Page]:
    """Pages of tickets updated since ``cursor`` (the source's ``start`` when None)."""
    since = cursor or source.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    url = source.url + TICKETS_PATH
    high = since
    for number in range(1, 10_000):
        params = {"updated_since": since, "order_by": "updated_at", "order_type": "asc",
                  "include": "stats", "per_page": PER_PAGE, "page": number}  # fmt: skip
        tickets = _array(fetcher.get(url, params), url)
        conversations = [c for t in tickets for c in _conversations(fetcher, source, t)]
        high = max([high, *(str(t["updated_at"]) for t in tickets if t.get("updated_at"))])
        reached = dt.datetime.fromisoformat(high.replace("Z", "+00:00")).timestamp()
        yield Page("tickets", number, tickets, high, reached, tuple(conversations))
        if len(tickets) < PER_PAGE:
            return


def _conversations(fetcher: Fetcher, source: SourceSettings, ticket: dict[str, Any]) -> list[Any]:
    url = f"{source.url}{TICKETS_PATH}/{ticket.get('id')}/conversations"
    found: list[Any] = []
    for number in range(1, 10_000):
        batch = _array(fetcher.get(url, {"per_page": PER_PAGE, "page": number}), url)
        found += batch
        if len(batch) < PER_PAGE:
            break
    return found


def _array(body: Any, url: str) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise InputError(f"{url}: the answer is not a JSON array of records")
    return [item for item in body if isinstance(item, dict)]


def page_parts(store: Store, page: Page, workdir: Path, label: str) -> list[Part]:
    """The page as the profile's files (ticket CSV, conversations JSON), planned by it."""
    del store  # the page holds everything the profile needs
    tickets = workdir / f"{label.replace(' ', '-')}.csv"
    with open(tickets, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*EXPORT_COLUMNS, "Tags"])
        for ticket in page.records:
            tags = ticket.get("tags")
            row = [_cell(_path(ticket, path)) for path in EXPORT_COLUMNS.values()]
            writer.writerow([*row, ",".join(map(str, tags)) if isinstance(tags, list) else ""])
    files = [tickets]
    if page.extra:
        conversations = workdir / f"{label.replace(' ', '-')}-conversations.json"
        conversations.write_text(json.dumps({"conversations": list(page.extra)}), encoding="utf-8")
        files.append(conversations)
    return plan(files, workdir) if page.records else []


def _path(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
