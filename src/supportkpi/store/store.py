"""The canonical store: one DuckDB file holding the ten tables, the load log and the quarantine.

Upserts are by primary key and count what they did (inserted, updated, unchanged), so that a
load can always reconcile ``rows_in == inserted + updated + unchanged + rejected``. Every write
of one load runs in one transaction: a crash or a kill mid-load leaves the file as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from supportkpi.engine.store_lock import open_with_retry, write_intent
from supportkpi.engine.stored_facts import PARQUET_MANIFEST, export_facts
from supportkpi.errors import DataError, InputError
from supportkpi.schema import TABLES, Table, get_table
from supportkpi.store.quarantine import (
    QUARANTINE,
    ensure_quarantine,
    insert_rejects,
    quarantine_table,
)

LOAD_LOG = "_load_log"

_LOAD_LOG_DDL = f"""
CREATE TABLE IF NOT EXISTS {LOAD_LOG} (
    load_id BIGINT, table_name VARCHAR, file_name VARCHAR, content_hash VARCHAR,
    loaded_at TIMESTAMPTZ, rows_in BIGINT, inserted BIGINT, updated BIGINT,
    unchanged BIGINT, rejected BIGINT, warnings VARCHAR[]
)"""


#: What a load reports to a reader (CLI table, API answer), in this order.
SUMMARY_KEYS = ("table", "rows_in", "inserted", "updated", "unchanged", "rejected")


@dataclass
class LoadSummary:
    """What one load did. ``rows_in == inserted + updated + unchanged + rejected`` always."""

    table: str
    rows_in: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    file: str = ""
    warnings: list[str] = field(default_factory=list)
    #: Quarantine entries of earlier loads that this load resolved (stored their rows).
    resolved: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def reconciles(self) -> bool:
        return self.rows_in == self.inserted + self.updated + self.unchanged + self.rejected


#: The columns of written rows that say which derived facts they change.
#: The keys the stored facts are refreshed by (see :mod:`supportkpi.facts.touched`).
CHANGE_COLUMNS = ("ticket_id", "customer_id", "response_id", "agent_id")


@dataclass(frozen=True)
class Change:
    """Rows one transaction wrote to ``table``: their ``CHANGE_COLUMNS``."""

    table: str
    rows: pa.Table


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB; identifiers come from the schema or a mapping file."""
    return '"' + name.replace('"', '""') + '"'


def file_hash(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Store:
    """A DuckDB file with the canonical tables.

    >>> store = Store(":memory:")
    >>> store.count("tickets")
    0
    """

    def __init__(self, path: str | Path, read_only: bool = False, create: bool = True) -> None:
        self.path = str(path)
        must_exist = read_only or not create
        if must_exist and self.path != ":memory:" and not Path(self.path).exists():
            raise InputError(
                f"database {self.path} does not exist; "
                "create it with `supportkpi demo` or `supportkpi ingest`"
            )
        # A writer announces itself for as long as it holds the file, so that a serving
        # dashboard steps aside (see engine/store_lock.py).
        self._intent = contextlib.ExitStack()
        if not read_only:
            self._intent.enter_context(write_intent(self.path))
        try:
            self.con = open_with_retry(
                self.path, lambda: duckdb.connect(self.path, read_only=read_only), read_only
            )
        except duckdb.Error as exc:
            self._intent.close()
            raise InputError(f"cannot open database {self.path}: {exc}") from None
        except BaseException:
            self._intent.close()
            raise
        # The store reasons in UTC only; this never leaks into metric results (they run
        # through Ibis on epoch arithmetic), it only keeps string renderings stable.
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB draws a progress bar on long queries, into the CLI's (JSON) output.
        self.con.execute("SET enable_progress_bar = false")
        #: Called inside every :meth:`transaction`, before it commits.
        self.before_commit: list[Callable[[Store], None]] = []
        #: What the open transaction wrote, by table (its ``CHANGE_COLUMNS``).
        self.changes: list[Change] = []
        #: Whether the open transaction emptied a table (its changes are then "everything").
        self.cleared = False
        #: The last load committed before the open transaction began.
        self.load_before = 0
        if not read_only:
            self.ensure_schema()

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self.con.close()
        self._intent.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ensure_schema(self) -> None:
        """Create every canonical table, the load log and the quarantine if missing."""
        existing = set(
            self.con.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
            ).fetchall()
        )
        for table in TABLES.values():
            cols = ", ".join(f"{quote_ident(c.name)} {c.duckdb_type}" for c in table.columns)
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(table.name)} ({cols})")
            # A store made by an older version gains the columns added since.
            had_table = any(name == table.name for name, _ in existing)
            for c in table.columns:
                if had_table and (table.name, c.name) not in existing:
                    self.con.execute(
                        f"ALTER TABLE {quote_ident(table.name)} "
                        f"ADD COLUMN {quote_ident(c.name)} {c.duckdb_type}"
                    )
        self.con.execute(_LOAD_LOG_DDL)
        ensure_quarantine(self.con)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All writes of one load; rolled back on any error (and by DuckDB on a crash).

        The tables kept from the canonical ones (``before_commit``, e.g. the stored facts)
        are brought up to date inside the same transaction: they commit with the load or
        not at all.
        """
        self.con.execute("BEGIN TRANSACTION")
        self.changes = []
        self.cleared = False
        self.load_before = self.next_load_id() - 1
        try:
            yield self.con
            for keep_current in self.before_commit:
                keep_current(self)
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self.changes = []

    # -- reading -----------------------------------------------------------------------------
    def count(self, table: str) -> int:
        get_table(table)
        row = self.con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
        return int(row[0]) if row else 0

    def counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in TABLES}

    def arrow(self, table: str) -> pa.Table:
        """A whole table (canonical or ``_load_log``/``_quarantine``) as Arrow."""
        if table not in TABLES and table not in (LOAD_LOG, QUARANTINE):
            get_table(table)
        return self.con.execute(f"SELECT * FROM {quote_ident(table)}").to_arrow_table()

    def rejects(self) -> pa.Table:
        """Every quarantine entry, open or resolved (see :mod:`supportkpi.store.quarantine`)."""
        return quarantine_table(self.con)

    def load_log(self) -> pa.Table:
        return self.con.execute(f"SELECT * FROM {LOAD_LOG} ORDER BY load_id").to_arrow_table()

    def export(self, directory: str | Path) -> list[Path]:
        """Write every canonical table as ``DIR/<table>.parquet``, and the stored facts that
        are current beside them (with ``_facts.json``), so a Parquet or Spark source reads
        them instead of computing them."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / PARQUET_MANIFEST).unlink(missing_ok=True)  # no stale manifest while writing
        written = []
        for name in TABLES:
            target = out / f"{name}.parquet"
            self.con.execute(f"COPY {quote_ident(name)} TO ? (FORMAT parquet)", [str(target)])
            written.append(target)
        return written + export_facts(self.con, out)

    # -- writing -----------------------------------------------------------------------------
    def next_load_id(self) -> int:
        row = self.con.execute(f"SELECT coalesce(max(load_id), 0) + 1 FROM {LOAD_LOG}").fetchone()
        return int(row[0]) if row else 1

    def _note_change(self, table: str, rows: pa.Table) -> None:
        """Remember which tickets, customers, surveys and agents this transaction wrote (the
        facts of those are recomputed before it commits)."""
        keep = [c for c in CHANGE_COLUMNS if c in rows.column_names]
        if keep and rows.num_rows:
            self.changes.append(Change(table, rows.select(keep)))

    def upsert(self, table: str | Table, rows: pa.Table) -> tuple[int, int, int]:
        """Upsert canonical rows by primary key; return (inserted, updated, unchanged).

        ``rows`` must hold canonical columns (any subset; missing ones are null) with at most
        one row per key. Call inside :meth:`transaction`.
        """
        spec = get_table(table) if isinstance(table, str) else table
        staged = "_staged_" + spec.name
        target = quote_ident(spec.name)
        cols = ", ".join(quote_ident(c.name) for c in spec.columns)
        keys = ", ".join(quote_ident(k) for k in spec.key)
        present = set(rows.column_names)
        select = ", ".join(
            (
                f"CAST({quote_ident(c.name)} AS {c.duckdb_type})"
                if c.name in present
                else f"CAST(NULL AS {c.duckdb_type})"
            )
            + f" AS {quote_ident(c.name)}"
            for c in spec.columns
        )
        self._note_change(spec.name, rows)
        self.con.register("_incoming", rows)
        try:
            dup = self.con.execute(
                f"SELECT count(*) - count(DISTINCT ({keys})) FROM (SELECT {select} FROM _incoming)"
            ).fetchone()
            if dup and dup[0]:
                raise DataError(f"{spec.name}: {dup[0]} duplicate keys in one load")
            if self._is_empty(target):
                # Nothing to compare against: every row is new (the common first load).
                self.con.execute(f"INSERT INTO {target} ({cols}) SELECT {select} FROM _incoming")
                return rows.num_rows, 0, 0
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {staged} AS SELECT {select} FROM _incoming"
            )
        finally:
            self.con.unregister("_incoming")
        key_match = " AND ".join(
            f"t.{quote_ident(k)} IS NOT DISTINCT FROM s.{quote_ident(k)}" for k in spec.key
        )
        same_row = " AND ".join(
            f"t.{quote_ident(c.name)} IS NOT DISTINCT FROM s.{quote_ident(c.name)}"
            for c in spec.columns
        )
        # One pass classifies each staged row against the stored one with the same key.
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _classified AS
            SELECT s.*, CASE WHEN m._rid IS NULL THEN 'inserted'
                             WHEN m._same THEN 'unchanged' ELSE 'updated' END AS _outcome
            FROM {staged} s
            LEFT JOIN (SELECT s.rowid AS _rid, ({same_row}) AS _same
                       FROM {staged} s JOIN {target} t ON {key_match}) m ON m._rid = s.rowid"""
        )
        counts = dict(
            self.con.execute(
                "SELECT _outcome, count(*) FROM _classified GROUP BY _outcome"
            ).fetchall()
        )
        if counts.get("updated"):
            self.con.execute(
                f"""DELETE FROM {target} t WHERE EXISTS (
                    SELECT 1 FROM _classified s WHERE s._outcome = 'updated' AND {key_match})"""
            )
        self.con.execute(
            f"INSERT INTO {target} ({cols}) SELECT {cols} FROM _classified "
            "WHERE _outcome <> 'unchanged'"
        )
        self.con.execute(f"DROP TABLE IF EXISTS {staged}")
        self.con.execute("DROP TABLE IF EXISTS _classified")
        return counts.get("inserted", 0), counts.get("updated", 0), counts.get("unchanged", 0)

    def _is_empty(self, target: str) -> bool:
        return self.con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {target})").fetchone() == (True,)

    def clear(self, table: str) -> None:
        """Delete every row of a canonical table (inside the caller's transaction)."""
        spec = get_table(table)
        self.con.execute(f"DELETE FROM {quote_ident(spec.name)}")
        self.cleared = True

    def quarantine(self, load_id: int, table: str, file_name: str, rejects: pa.Table) -> None:
        """Store rejected rows (columns of ``QUARANTINE_COLUMNS``) with their reasons."""
        insert_rejects(self.con, load_id, table, file_name, rejects)

    def log_load(self, load_id: int, summary: LoadSummary, content_hash: str) -> None:
        self.con.execute(
            f"INSERT INTO {LOAD_LOG} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                summary.table,
                summary.file,
                content_hash,
                datetime.now(UTC),
                summary.rows_in,
                summary.inserted,
                summary.updated,
                summary.unchanged,
                summary.rejected,
                summary.warnings,
            ],
        )
