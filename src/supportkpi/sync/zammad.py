"""Zammad's tickets changed since a time, with their articles and history, as the import
profile's files.

One stream, ``tickets``: the ticket search (docs.zammad.org, "API / Ticket", "Search"),
``GET /api/v1/tickets/search?query=updated_at:[SINCE TO *]&sort_by=updated_at&order_by=asc
&expand=true&page=N&per_page=100``. With ``expand=true`` it answers a JSON array of tickets
with their names (``state``, ``group``, ``priority``); without it, ``{"tickets": [ids],
"assets": {...}}``. For each ticket, ``GET /api/v1/ticket_articles/by_ticket/{id}`` (an
array of articles) and ``GET /api/v1/ticket_history/{id}`` (``{"history": [...]}``), so
every close and reopen is a status event, as in an import that includes the history.

The cursor is a high-water mark, the newest ``updated_at`` stored. Pages come oldest change
first. After a full page the next search starts again at that page's newest time rather
than asking for page N+1: a ticket that changes during the sync moves to the end of the
order, which would shift every later offset and skip a ticket. Only a full page that ends
where it began (more tickets at one instant than a page holds) steps on with ``page``.
Each sync starts ``OVERLAP`` before the stored mark: Zammad indexes changes in a background
job, so a change can appear in the search after a later one did. Tickets seen again upsert
unchanged.

Each page is written as the import's input (tickets, articles, history JSON) and planned by
:mod:`supportkpi.ingest.profiles.zammad`: a synced ticket is stored as the same ticket of an
import of its API JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from supportkpi.config.sources import SourceSettings
from supportkpi.errors import InputError
from supportkpi.ingest.profiles.base import Part
from supportkpi.ingest.profiles.zammad import plan
from supportkpi.store import Store
from supportkpi.sync.http import Fetcher
from supportkpi.sync.page import Page

SEARCH_PATH = "/api/v1/tickets/search"
ARTICLES_PATH = "/api/v1/ticket_articles/by_ticket"
HISTORY_PATH = "/api/v1/ticket_history"
#: The search allows up to 200 a page; each ticket costs two more requests, and a page is
#: one load, so 100 keeps a page's transaction and a lost page's refetch modest.
PER_PAGE = 100
#: How far before the stored mark each sync looks again (the search index's lag).
OVERLAP = dt.timedelta(minutes=5)
STREAMS = ("tickets",)
#: Without ``expand=true`` (or from an older Zammad) the search answers ids and assets.
SEARCH_HINT = "; the ticket search answers an array of tickets with expand=true"


def pages(
    fetcher: Fetcher, source: SourceSettings, stream: str, cursor: str | None
) -> Iterator[Page]:
    """Pages of tickets updated since ``cursor`` (the source's ``start`` when None)."""
    since = _time(cursor, source.name) - OVERLAP if cursor else source.start
    high = cursor or _text(source.start)
    url = source.url + SEARCH_PATH
    offset, before = 1, None
    fetched: dict[Any, Any] = {}  # id -> updated_at of the tickets this sync has loaded
    for number in range(1, 1_000_000):
        params = {"query": f"updated_at:[{_text(since)} TO *]", "sort_by": "updated_at",
                  "order_by": "asc", "expand": "true", "page": offset,
                  "per_page": PER_PAGE}  # fmt: skip
        tickets = _array(fetcher.get(url, params), url, SEARCH_HINT)
        ids = [t.get("id") for t in tickets]
        if offset > 1 and ids == before:  # a server that ignores ``page`` would loop
            raise InputError(
                f"sync {source.name}: {url} answered page {offset} with the tickets of page "
                f"{offset - 1}; it does not page its search results"
            )
        # The search starts at the last page's newest time, so that ticket comes again.
        fresh = [t for t in tickets if fetched.get(t.get("id"), ()) != t.get("updated_at")]
        fetched.update((t.get("id"), t.get("updated_at")) for t in fresh)
        details = tuple(_details(fetcher, source, t) for t in fresh)
        times = [(_time(str(t["updated_at"]), source.name), str(t["updated_at"]))
                 for t in tickets if t.get("updated_at")]  # fmt: skip
        newest = max(times, default=None)
        if newest is not None and newest[0] > _time(high, source.name):
            high = newest[1]
        reached = _time(high, source.name).timestamp()
        yield Page("tickets", number, fresh, high, reached, details)
        if len(tickets) < PER_PAGE or newest is None:
            return
        if newest[0] > since:
            since, offset = newest[0], 1
        else:  # a whole page at one instant: only an offset moves on
            offset += 1
        before = ids


def _details(fetcher: Fetcher, source: SourceSettings, ticket: dict[str, Any]) -> dict[str, Any]:
    """The ticket's articles and its history entries, as the two endpoints answer them."""
    ticket_id = ticket.get("id")
    articles_url = f"{source.url}{ARTICLES_PATH}/{ticket_id}"
    articles = _array(fetcher.get(articles_url), articles_url)
    history_url = f"{source.url}{HISTORY_PATH}/{ticket_id}"
    answer = fetcher.get(history_url)
    history = answer.get("history") if isinstance(answer, dict) else None
    if not isinstance(history, list):
        raise InputError(f"{history_url}: the answer has no 'history' list")
    return {"ticket_id": ticket_id, "articles": articles, "history": history}


def _array(body: Any, url: str, hint: str = "") -> list[dict[str, Any]]:
    if not isinstance(body, list):
        held = ", ".join(body) if isinstance(body, dict) else f"a {type(body).__name__}"
        raise InputError(
            f"{url}: the answer is not a JSON array of records (it holds {held}){hint}"
        )
    return [item for item in body if isinstance(item, dict)]


def _time(text: str, source: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"sync {source}: {text!r} is not an ISO time") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _text(moment: dt.datetime) -> str:
    """A UTC time as the search's range bound: milliseconds, as Zammad stores them, cut
    down (never rounded up) so the bound stays at or before the mark."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page_parts(store: Store, page: Page, workdir: Path, label: str) -> list[Part]:
    """The page as the profile's files (tickets, articles, history JSON), planned by it."""
    del store  # the page holds everything the profile needs
    if not page.records:
        return []
    stem = label.replace(" ", "-")
    tickets = workdir / f"{stem}-tickets.json"
    tickets.write_text(json.dumps(page.records), encoding="utf-8")
    files = [tickets]
    # One by_ticket answer per ticket, saved together; one ticket_history answer per ticket.
    articles = [d["articles"] for d in page.extra if d["articles"]]
    history = [{"history": d["history"]} for d in page.extra if d["history"]]
    for kind, answers in (("articles", articles), ("history", history)):
        if answers:
            files.append(workdir / f"{stem}-{kind}.json")
            files[-1].write_text(json.dumps(answers), encoding="utf-8")
    return plan(files, workdir)
