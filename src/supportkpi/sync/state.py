"""Where each source's sync got to: ``_sync_state``, written in the transaction of a page's load.

A stream's cursor (Zendesk's ``after_cursor``, an ``end_time``, a high-water time) moves
only inside the transaction that commits the last load of the page it covers, through the
store's ``before_commit`` hook. A sync killed mid-page leaves the cursor on the page before,
and the next sync fetches that page again: upserts by key make the second load of what the
first one did commit a no-op, so nothing is lost and nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportkpi.store import Store

SYNC_STATE = "_sync_state"
_DDL = f"""
CREATE TABLE IF NOT EXISTS {SYNC_STATE} (
    source VARCHAR, system VARCHAR, stream VARCHAR, cursor VARCHAR, updated_at TIMESTAMPTZ
)"""


def ensure_state(store: Store) -> None:
    store.con.execute(_DDL)


def read_cursor(store: Store, source: str, stream: str) -> str | None:
    """The stored cursor of ``source``'s ``stream``; None before its first page."""
    ensure_state(store)
    row = store.con.execute(
        f"SELECT cursor FROM {SYNC_STATE} WHERE source = $source AND stream = $stream",
        {"source": source, "stream": stream},
    ).fetchone()
    return None if row is None else str(row[0])


def write_cursor(store: Store, source: str, system: str, stream: str, cursor: str) -> None:
    """Move the cursor (inside the caller's transaction)."""
    ensure_state(store)
    key = {"source": source, "stream": stream}
    store.con.execute(f"DELETE FROM {SYNC_STATE} WHERE source = $source AND stream = $stream", key)
    store.con.execute(
        f"INSERT INTO {SYNC_STATE} VALUES ($source, $system, $stream, $cursor, now())",
        {**key, "system": system, "cursor": cursor},
    )


@dataclass
class PendingCursor:
    """A ``before_commit`` hook: the cursor the next committing load should write."""

    source: str
    system: str
    pending: tuple[str, str] | None = None  # (stream, cursor)

    def __call__(self, store: Store) -> None:
        if self.pending is not None:
            write_cursor(store, self.source, self.system, *self.pending)
            self.pending = None
