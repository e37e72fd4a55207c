"""Where each source's sync got to: ``_sync_state``, written in the transaction of a page's load.

A stream's cursor (Zendesk's ``after_cursor``, an ``end_time``, a high-water time) moves
only inside the transaction that commits the last load of the page it covers, through the
store's ``before_commit`` hook. A sync killed mid-page leaves the cursor on the page before,
and the next sync fetches that page again: upserts by key make the second load of what the
first one did commit a no-op, so nothing is lost and nothing is stored twice.

The table itself (its layout, and the reads of the Data page) is declared in the store
layer, :mod:`supportkpi.store.sync_state`, so the dashboard reads it without this package.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportkpi.store import Store, sync_state
from supportkpi.store.sync_state import SYNC_STATE

__all__ = ["SYNC_STATE", "PendingCursor", "ensure_state", "read_cursor", "write_cursor"]


def ensure_state(store: Store) -> None:
    """Create the table, or add what an older store's table lacks (before a page's load)."""
    sync_state.create_table(store.con)


def read_cursor(store: Store, source: str, stream: str) -> str | None:
    """The stored cursor of ``source``'s ``stream``; None before its first page."""
    return sync_state.read_cursor(store.con, source, stream)


def write_cursor(
    store: Store,
    source: str,
    system: str,
    stream: str,
    cursor: str,
    pages: int | None = None,
    reached: float | None = None,
) -> None:
    """Move the cursor (inside the caller's transaction), with the page's number and reach."""
    sync_state.write_cursor(store.con, source, system, stream, cursor, pages, reached)


@dataclass
class PendingCursor:
    """A ``before_commit`` hook: the cursor the next committing load should write.

    ``page`` and ``reached`` are the page's (:class:`supportkpi.sync.page.Page`): stored with
    the cursor, they tell the Data page how many pages the last sync stored and how far its
    newest data reaches.
    """

    source: str
    system: str
    page: int | None = None
    reached: float | None = None
    pending: tuple[str, str] | None = None  # (stream, cursor)

    def __call__(self, store: Store) -> None:
        if self.pending is not None:
            write_cursor(store, self.source, self.system, *self.pending, self.page, self.reached)
            self.pending = None
