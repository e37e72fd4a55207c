"""Where each live source's sync got to: the ``_sync_state`` table, its layout and reads.

``supportkpi.sync`` writes it, one row per source and stream, inside the transaction of the
page the row covers (sync/state.py); the dashboard's Data page and ``GET /api/sync`` read it.
Both sit above this layer, so the table is declared once, here. Its columns:

- ``source``, ``system``, ``stream``: the ``[sources.NAME]``, its help desk, the export;
- ``cursor``: where the stream's next sync starts;
- ``updated_at``: when the row was written, i.e. when the stream's last page committed;
- ``pages``: that page's number, i.e. the pages the stream's last sync stored (a sync counts
  its pages from 1);
- ``reached``: the newest record time any stored page of the stream covered (null while no
  page could say).

``pages`` and ``reached`` came after the first version of the table: a store made before
gains them on its next sync write, and the reads treat them as null until then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

SYNC_STATE = "_sync_state"
DDL = f"""CREATE TABLE IF NOT EXISTS {SYNC_STATE} (
    source VARCHAR, system VARCHAR, stream VARCHAR, cursor VARCHAR, updated_at TIMESTAMPTZ,
    pages INTEGER, reached TIMESTAMPTZ)"""
#: Columns a table of the first version lacks, with their types.
ADDED_COLUMNS = {"pages": "INTEGER", "reached": "TIMESTAMPTZ"}


@dataclass(frozen=True)
class StreamStatus:
    """One stream's row: its last sync and how far its data reaches (UTC)."""

    stream: str
    last_sync: dt.datetime
    pages: int | None
    newest_data: dt.datetime | None

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "last_sync": self.last_sync,
            "pages": self.pages,
            "newest_data": self.newest_data,
            "newest_data_age_s": age_s(self.newest_data, now),
        }


@dataclass(frozen=True)
class SourceStatus:
    """One synced source: its streams, their latest sync and the newest data of any."""

    source: str
    system: str
    streams: list[StreamStatus] = field(default_factory=list)

    @property
    def last_sync(self) -> dt.datetime:
        return max(s.last_sync for s in self.streams)

    @property
    def newest_data(self) -> dt.datetime | None:
        return max((s.newest_data for s in self.streams if s.newest_data), default=None)

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        """The source as JSON (``GET /api/sync``): instants UTC, ages in seconds at ``now``."""
        return {
            "source": self.source,
            "system": self.system,
            "last_sync": self.last_sync,
            "newest_data": self.newest_data,
            "newest_data_age_s": age_s(self.newest_data, now),
            "streams": [s.as_dict(now) for s in self.streams],
        }


def age_s(instant: dt.datetime | None, now: dt.datetime) -> float | None:
    """How old ``instant`` is at ``now``, in seconds; None when it is unknown."""
    return None if instant is None else (now - instant).total_seconds()


def create_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table, or add the columns an older store's table lacks (the writer does)."""
    con.execute(DDL)
    present = set(_columns(con))
    for name, kind in ADDED_COLUMNS.items():
        if name not in present:
            con.execute(f"ALTER TABLE {SYNC_STATE} ADD COLUMN {name} {kind}")


def read_cursor(con: duckdb.DuckDBPyConnection, source: str, stream: str) -> str | None:
    """The stored cursor of ``source``'s ``stream``; None before its first page."""
    rows = _rows(con, "WHERE source = $source AND stream = $stream", source, stream)
    return None if not rows else str(rows[0]["cursor"])


def write_cursor(
    con: duckdb.DuckDBPyConnection,
    source: str,
    system: str,
    stream: str,
    cursor: str,
    pages: int | None = None,
    reached: float | None = None,
) -> None:
    """Move the cursor (inside the caller's transaction); ``reached`` (unix seconds) only
    ever moves ``reached`` forward: a page that cannot say keeps what an earlier one said."""
    create_table(con)
    key = {"source": source, "stream": stream}
    before = _rows(con, "WHERE source = $source AND stream = $stream", source, stream)
    known = [before[0]["reached"]] if before and before[0]["reached"] is not None else []
    if reached is not None:
        known.append(dt.datetime.fromtimestamp(reached, dt.UTC))
    newest = max(known) if known else None
    con.execute(f"DELETE FROM {SYNC_STATE} WHERE source = $source AND stream = $stream", key)
    con.execute(
        f"INSERT INTO {SYNC_STATE} (source, system, stream, cursor, updated_at, pages, reached) "
        "VALUES ($source, $system, $stream, $cursor, now(), $pages, $reached)",
        {**key, "system": system, "cursor": cursor, "pages": pages, "reached": newest},
    )


def sync_status(con: duckdb.DuckDBPyConnection) -> list[SourceStatus]:
    """Every synced source with its streams, by source name; none when nothing ever synced."""
    out: dict[str, SourceStatus] = {}
    for row in _rows(con, "ORDER BY source, stream"):
        status = out.setdefault(row["source"], SourceStatus(row["source"], row["system"]))
        status.streams.append(
            StreamStatus(
                row["stream"], _utc(row["updated_at"]), row.get("pages"), _utc(row.get("reached"))
            )
        )
    return list(out.values())


def _rows(con: duckdb.DuckDBPyConnection, tail: str, *key: str) -> list[dict[str, Any]]:
    """The table's rows as dicts; none when the table was never created. ``SELECT *`` so a
    read-only reader of an older store (no ``pages``, no ``reached``) still reads it."""
    args = dict(zip(("source", "stream"), key, strict=False))
    try:
        cursor = con.execute(f"SELECT * FROM {SYNC_STATE} {tail}", args)
    except duckdb.CatalogException:  # no sync wrote to this store yet
        return []
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    cursor = con.execute(f"SELECT * FROM {SYNC_STATE} LIMIT 0")
    return [d[0] for d in cursor.description or ()]


def _utc(value: Any) -> Any:
    """A stored instant in UTC, whatever the connection's TimeZone setting."""
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value
