"""The run history of schedules and alerts, as tables of the store: their layout and reads.

``supportkpi.schedule.state`` writes them (after each run); the dashboard's Reports page reads
them. Both sit above this layer, so the tables are declared once, here:

- ``_deliveries``: one row per address per run, ``sent``, ``failed`` with the error line, or
  ``skipped`` (a missed run the config says to skip);
- ``_alert_state``: one row per alert, ``firing`` or ``ok``, and since when.

Every read takes an open DuckDB connection and answers "nothing" when the tables were never
written (no schedule has run on this store yet), so a reader never has to create them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

DELIVERIES = "_deliveries"
ALERT_STATE = "_alert_state"
DDL = (
    f"""CREATE TABLE IF NOT EXISTS {DELIVERIES} (
        job VARCHAR, kind VARCHAR, due_at TIMESTAMPTZ, ran_at TIMESTAMPTZ,
        target VARCHAR, status VARCHAR, detail VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {ALERT_STATE} (
        alert VARCHAR PRIMARY KEY, state VARCHAR, since TIMESTAMPTZ, summary VARCHAR)""",
)


@dataclass(frozen=True)
class AlertState:
    alert: str
    state: str  # "firing" or "ok"
    since: datetime
    summary: str


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create both tables if they are missing (the writer does, before its first write)."""
    for ddl in DDL:
        con.execute(ddl)


def query(
    con: duckdb.DuckDBPyConnection, sql: str, args: Sequence[object] = ()
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of ``sql``; none when the history was never written."""
    try:
        cursor = con.execute(sql, list(args))
    except duckdb.CatalogException:  # no run recorded in this file yet
        return [], []
    return [d[0] for d in cursor.description or ()], cursor.fetchall()


def deliveries(
    con: duckdb.DuckDBPyConnection,
    job: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The recorded deliveries (of ``job``), oldest first unless ``newest_first``."""
    where, args = ("WHERE job = ?", [job]) if job else ("", [])
    order = "ran_at DESC, target" if newest_first else "ran_at, target"
    tail = "" if limit is None else f" LIMIT {int(limit)}"
    names, rows = query(con, f"SELECT * FROM {DELIVERIES} {where} ORDER BY {order}{tail}", args)
    return [dict(zip(names, row, strict=True)) for row in rows]


def last_due(con: duckdb.DuckDBPyConnection, job: str) -> datetime | None:
    """When the last run of ``job`` was due (sent or not)."""
    _, rows = query(con, f"SELECT max(due_at) FROM {DELIVERIES} WHERE job = ?", [job])
    return rows[0][0] if rows and rows[0][0] is not None else None


def alert_states(con: duckdb.DuckDBPyConnection) -> dict[str, AlertState]:
    """Each alert's recorded state, by name (an alert never checked has none)."""
    _, rows = query(con, f"SELECT * FROM {ALERT_STATE}")
    return {r[0]: AlertState(r[0], r[1], r[2], r[3]) for r in rows}
