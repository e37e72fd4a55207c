"""Where schedules and alerts remember what they did: two tables in the store.

- ``_deliveries``: one row per address per run, ``sent`` or ``failed`` with the error line
  (``skipped`` for a missed run the config says to skip).
  A failed delivery is recorded as failed, never as sent; the next run sends again.
- ``_alert_state``: one row per alert, ``firing`` or ``ok``, changed only after every
  address accepted the message that announced the change (so a change that could not be
  announced is announced on the next run).

They live in the store (not a state file) because the store is the one file a deployment
already keeps, backs up and serves: the dashboard reads the same runs. A Parquet folder has
no place for them, so there a separate ``--state FILE.duckdb`` is asked for. The state is
written in short transactions after the report is computed and sent, so that the store is
never held for writing while a mail server is slow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from supportkpi.delivery.dispatch import Outcome
from supportkpi.errors import InputError
from supportkpi.store.store import Store

DELIVERIES = "_deliveries"
ALERT_STATE = "_alert_state"
_DDL = (
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


def state_path(db: str | Path, state: str | Path | None = None) -> Path:
    """The DuckDB file holding the state: ``state`` if given, else the store itself."""
    path = Path(state or db)
    if path.is_dir():
        raise InputError(
            f"{path} is a Parquet folder, which holds no run history; "
            "add --state FILE.duckdb to keep it there"
        )
    return path


def last_load_at(db: str | Path) -> datetime | None:
    """When the store's last load finished (its load log), or None if it never loaded."""
    if Path(db).is_dir():
        raise InputError(f"{db} is a Parquet folder: it keeps no load log to judge freshness")
    with Store(db, read_only=True) as store:
        row = store.con.execute("SELECT max(loaded_at) FROM _load_log").fetchone()
    return None if row is None or row[0] is None else row[0]


class RunLog:
    """The deliveries and alert states of one state file (by default the store)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _open(self) -> Iterator[Store]:
        """For writing (creates the tables the first time)."""
        with Store(self.path) as store:
            for ddl in _DDL:
                store.con.execute(ddl)
            yield store

    def _read(self, sql: str, args: Sequence[object] = ()) -> tuple[list[str], list[tuple]]:
        """Rows of a query, read-only (a serving dashboard keeps reading); none if the
        history was never written."""
        if not self.path.exists():
            return [], []
        with Store(self.path, read_only=True) as store:
            try:
                cursor = store.con.execute(sql, list(args))
            except duckdb.CatalogException:  # no run recorded in this file yet
                return [], []
            return [d[0] for d in cursor.description or ()], cursor.fetchall()

    def record(self, job: str, kind: str, due_at: datetime, outcomes: Sequence[Outcome]) -> None:
        """One row per address: ``sent``, or ``failed`` with its error line."""
        ran = datetime.now(UTC)
        rows = [
            (job, kind, due_at, ran, o.target, "sent" if o.sent else "failed", o.error)
            for o in outcomes
        ]
        if not rows:
            return
        with self._open() as store:
            store.con.executemany(f"INSERT INTO {DELIVERIES} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def record_skip(self, job: str, due_at: datetime, reason: str) -> None:
        """A run not made on purpose (the ``skip`` policy for missed runs)."""
        row = (job, "schedule", due_at, datetime.now(UTC), "-", "skipped", reason)
        with self._open() as store:
            store.con.execute(f"INSERT INTO {DELIVERIES} VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def deliveries(self, job: str | None = None) -> list[dict[str, object]]:
        """Every recorded delivery (of ``job``), oldest first."""
        where, args = ("WHERE job = ?", [job]) if job else ("", [])
        names, rows = self._read(
            f"SELECT * FROM {DELIVERIES} {where} ORDER BY ran_at, target", args
        )
        return [dict(zip(names, row, strict=True)) for row in rows]

    def last_due(self, job: str) -> datetime | None:
        """When the last run of ``job`` was due (sent or not): what missed runs count from."""
        _, rows = self._read(f"SELECT max(due_at) FROM {DELIVERIES} WHERE job = ?", [job])
        return rows[0][0] if rows and rows[0][0] is not None else None

    def alert_states(self) -> dict[str, AlertState]:
        _, rows = self._read(f"SELECT * FROM {ALERT_STATE}")
        return {r[0]: AlertState(r[0], r[1], r[2], r[3]) for r in rows}

    def set_alert_state(self, alert: str, state: str, since: datetime, summary: str) -> None:
        with self._open() as store:
            store.con.execute(
                f"INSERT OR REPLACE INTO {ALERT_STATE} VALUES (?, ?, ?, ?)",
                [alert, state, since, summary],
            )
