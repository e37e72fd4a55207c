"""Where schedules and alerts remember what they did: two tables in the store.

- ``_deliveries``: one row per address per run, ``sent`` or ``failed`` with the error line
  (``skipped`` for a missed run the config says to skip); a scheduled sync has one row per
  run, ``ok`` with what it fetched or ``failed`` with the error line.
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

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from supportkpi.delivery.dispatch import Outcome
from supportkpi.errors import InputError
from supportkpi.store import run_history
from supportkpi.store.run_history import ALERT_STATE, DELIVERIES, AlertState
from supportkpi.store.store import Store


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


_T = TypeVar("_T")


class RunLog:
    """The deliveries and alert states of one state file (by default the store)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _open(self) -> Iterator[Store]:
        """For writing (creates the tables the first time)."""
        with Store(self.path) as store:
            run_history.create_tables(store.con)
            yield store

    def _read(self, read: Callable[[duckdb.DuckDBPyConnection], _T], empty: _T) -> _T:
        """``read`` on the file opened read-only (a serving dashboard keeps reading);
        ``empty`` if the file does not exist yet."""
        if not self.path.exists():
            return empty
        with Store(self.path, read_only=True) as store:
            return read(store.con)

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

    def record_run(
        self,
        job: str,
        kind: str,
        due_at: datetime,
        target: str,
        error: str | None,
        detail: str | None = None,
    ) -> None:
        """One run that sends nothing (a sync): ``ok`` with ``detail``, or ``failed``."""
        status, text = ("ok", detail) if error is None else ("failed", error)
        row = (job, kind, due_at, datetime.now(UTC), target, status, text)
        with self._open() as store:
            store.con.execute(f"INSERT INTO {DELIVERIES} VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def record_skip(self, job: str, due_at: datetime, reason: str) -> None:
        """A run not made on purpose (the ``skip`` policy for missed runs)."""
        row = (job, "schedule", due_at, datetime.now(UTC), "-", "skipped", reason)
        with self._open() as store:
            store.con.execute(f"INSERT INTO {DELIVERIES} VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def deliveries(self, job: str | None = None) -> list[dict[str, object]]:
        """Every recorded delivery (of ``job``), oldest first."""
        return self._read(lambda con: run_history.deliveries(con, job), [])

    def last_due(self, job: str) -> datetime | None:
        """When the last run of ``job`` was due (sent or not): what missed runs count from."""
        return self._read(lambda con: run_history.last_due(con, job), None)

    def alert_states(self) -> dict[str, AlertState]:
        return self._read(run_history.alert_states, {})

    def set_alert_state(self, alert: str, state: str, since: datetime, summary: str) -> None:
        with self._open() as store:
            store.con.execute(
                f"INSERT OR REPLACE INTO {ALERT_STATE} VALUES (?, ?, ?, ?)",
                [alert, state, since, summary],
            )
