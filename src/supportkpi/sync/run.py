"""Sync one source: fetch each page, load it through the loader, move the cursor with it.

>>> # result = sync_source("support.duckdb", load_settings("supportkpi.toml").sources["zd"])

Each page is loaded like a file of ``supportkpi import``: the same upserts, quarantine,
fact refresh and load log (:func:`supportkpi.ingest.loader.ingest_file`). The store is
opened for each page and closed before the next request, so a dashboard serving the same
file reads between pages instead of waiting out the whole sync (docs/always-on.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from types import ModuleType

from supportkpi.config.sources import SourceSettings
from supportkpi.errors import UnsupportedError
from supportkpi.facts import open_store
from supportkpi.ingest.loader import ingest_file
from supportkpi.ingest.profiles.base import Part
from supportkpi.store import LoadSummary
from supportkpi.sync import freshdesk, zammad, zendesk
from supportkpi.sync.http import Fetcher
from supportkpi.sync.page import Page
from supportkpi.sync.state import PendingCursor, ensure_state, read_cursor

#: Each connector module has ``STREAMS``, ``pages(fetcher, source, stream, cursor)`` and
#: ``page_parts(store, page, workdir, label)``.
CONNECTORS: dict[str, ModuleType] = {"zendesk": zendesk, "freshdesk": freshdesk, "zammad": zammad}
OnPage = Callable[[Page], None]


@dataclass
class SyncResult:
    """What one sync fetched and stored."""

    source: str
    pages: int = 0
    requests: int = 0
    records: dict[str, int] = field(default_factory=dict)
    summaries: list[LoadSummary] = field(default_factory=list)


def sync_source(
    db: str | Path,
    source: SourceSettings,
    on_page: OnPage | None = None,
    attempts: int = 5,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncResult:
    """Pull what changed in ``source`` since its stored cursors into the store at ``db``."""
    if source.system not in CONNECTORS:
        raise UnsupportedError(
            f"sync {source.name}: {source.system} has no connector yet "
            f"(this version syncs {', '.join(CONNECTORS)}; import its export instead)"
        )
    connector = CONNECTORS[source.system]
    result = SyncResult(source.name, records=dict.fromkeys(connector.STREAMS, 0))
    fetcher = Fetcher(source, attempts, backoff_s, sleep)
    with fetcher, TemporaryDirectory(prefix="supportkpi-sync-") as workdir:
        for stream in connector.STREAMS:
            with open_store(db) as store:
                cursor = read_cursor(store, source.name, stream)
            for page in connector.pages(fetcher, source, stream, cursor):
                result.summaries += _store_page(db, source, connector, page, Path(workdir))
                result.pages += 1
                result.records[stream] += len(page.records)
                if on_page is not None:
                    on_page(page)
    result.requests = fetcher.requests
    return result


def _store_page(
    db: str | Path, source: SourceSettings, connector: ModuleType, page: Page, workdir: Path
) -> list[LoadSummary]:
    """Load one page; its cursor commits with the page's last load, never before."""
    pagedir = workdir / f"{page.stream}-{page.number}"
    pagedir.mkdir()
    label = f"sync {source.name} {page.stream} page {page.number}"
    with open_store(db) as store:
        ensure_state(store)
        parts: list[Part] = connector.page_parts(store, page, pagedir, label)
        cursor = PendingCursor(source.name, source.system, page.number, page.reached)
        store.before_commit.append(cursor)
        if not parts:  # an empty page still moves the cursor on
            cursor.pending = (page.stream, page.cursor)
            with store.transaction():
                pass
            return []
        summaries = []
        for n, part in enumerate(parts, start=1):
            if n == len(parts):
                cursor.pending = (page.stream, page.cursor)
            loaded = ingest_file(
                store, part.table, part.path, part.mapping, part.format, label=part.label
            )
            summaries.append(loaded)
        return summaries
