"""Zendesk's incremental exports, page by page, as rows of the Zendesk import profile.

Two streams, tickets first (so the events of a page know each ticket's requester):

- ``tickets``: the Incremental Ticket Export, cursor-based. ``GET
  /api/v2/incremental/tickets/cursor.json?start_time=UNIX`` once, then ``?cursor=...``
  with each page's ``after_cursor`` until ``end_of_stream``; the last ``after_cursor`` is
  where the next sync starts.
- ``ticket_events``: the Incremental Ticket Event Export, time-based. ``GET
  /api/v2/incremental/ticket_events.json?start_time=UNIX&include=comment_events``, then the
  page's ``end_time`` as the next ``start_time`` until ``end_of_stream``. Time-based pages
  may repeat an event: its ``event_id`` key makes the repeat an unchanged row.

Rows come from the profile's own converters (:mod:`supportkpi.ingest.profiles.zendesk`), so a
synced ticket is stored exactly as the same ticket imported from its JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from supportkpi.config.sources import SourceSettings
from supportkpi.errors import InputError
from supportkpi.ingest.profiles._json_pages import id_text, writers
from supportkpi.ingest.profiles._zendesk_events import People, ticket_event_rows
from supportkpi.ingest.profiles.base import Part
from supportkpi.ingest.profiles.zendesk import SNAPSHOTS, survey_row, ticket_row
from supportkpi.store import Store
from supportkpi.sync.http import Fetcher
from supportkpi.sync.page import Page

TICKETS_PATH = "/api/v2/incremental/tickets/cursor.json"
EVENTS_PATH = "/api/v2/incremental/ticket_events.json"
STREAMS = ("tickets", "ticket_events")


def pages(
    fetcher: Fetcher, source: SourceSettings, stream: str, cursor: str | None
) -> Iterator[Page]:
    """The pages of ``stream`` after ``cursor`` (from the source's ``start`` when None)."""
    if stream == "tickets":
        return _ticket_pages(fetcher, source, cursor)
    return _event_pages(fetcher, source, cursor)


def _ticket_pages(fetcher: Fetcher, source: SourceSettings, cursor: str | None) -> Iterator[Page]:
    url = source.url + TICKETS_PATH
    params: dict[str, Any] = (
        {"cursor": cursor} if cursor else {"start_time": int(source.start.timestamp())}
    )
    number = 0
    while True:
        body = fetcher.get(url, params)
        records = _records(body, "tickets", url)
        after = body.get("after_cursor") or cursor
        number += 1
        if not after:
            raise InputError(f"sync {source.name}: {url} answered without an after_cursor")
        times = [_epoch(r.get("updated_at")) for r in records]
        reached = max((t for t in times if t is not None), default=None)
        yield Page("tickets", number, records, str(after), reached)
        if body.get("end_of_stream") or not records:
            return
        cursor, params = str(after), {"cursor": after}


def _event_pages(fetcher: Fetcher, source: SourceSettings, cursor: str | None) -> Iterator[Page]:
    url = source.url + EVENTS_PATH
    start = int(cursor) if cursor else int(source.start.timestamp())
    number = 0
    while True:
        body = fetcher.get(url, {"start_time": start, "include": "comment_events"})
        records = _records(body, "ticket_events", url)
        end = body.get("end_time")
        end_time = int(end) if isinstance(end, int | float) and not isinstance(end, bool) else start
        number += 1
        yield Page("ticket_events", number, records, str(max(end_time, start)), float(end_time))
        # A page that does not move the time on would be asked for again forever.
        if body.get("end_of_stream") or end_time <= start:
            return
        start = end_time


def _records(body: Any, key: str, url: str) -> list[dict[str, Any]]:
    records = body.get(key) if isinstance(body, dict) else None
    if not isinstance(records, list):
        keys = ", ".join(body) if isinstance(body, dict) else f"a {type(body).__name__}"
        raise InputError(f"{url}: the answer has no {key!r} list (it holds {keys})")
    return [r for r in records if isinstance(r, dict)]


def _epoch(value: Any) -> float | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def page_parts(store: Store, page: Page, workdir: Path, label: str) -> list[Part]:
    """The page's rows as parts to load, written by the profile's converters."""
    origin = Path(label)
    out = writers(workdir, "tickets", "ticket_events", "surveys")
    people = People()
    if page.stream == "tickets":
        for n, ticket in enumerate(page.records, start=1):
            where = f"{label} tickets[{n}]"
            out["tickets"].add(ticket_row(ticket, where), origin)
            survey = survey_row(ticket, where, people)
            if survey:
                out["surveys"].add(survey, origin)
    else:
        people.requesters.update(_requesters(store, page.records))
        for n, event in enumerate(page.records, start=1):
            where = f"{label} ticket_events[{n}]"
            for row in ticket_event_rows(event, where, people):
                out["ticket_events"].add(row, origin)
    parts = [out["tickets"].part(SNAPSHOTS), out["ticket_events"].part(), out["surveys"].part()]
    return [part for part in parts if part is not None]


def _requesters(store: Store, events: list[dict[str, Any]]) -> dict[str, str]:
    """Requesters of the events' tickets, from the stored tickets (synced before the
    events), so a requester's comment counts as the customer's as in an import."""
    ids = sorted({t for t in (id_text(e.get("ticket_id")) for e in events) if t})
    if not ids:
        return {}
    rows = store.con.execute(
        "SELECT ticket_id, customer_id FROM tickets "
        "WHERE ticket_id IN (SELECT unnest($ids)) AND customer_id IS NOT NULL",
        {"ids": ids},
    ).fetchall()
    return {str(ticket): str(customer) for ticket, customer in rows}
