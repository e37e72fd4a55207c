"""Validate and cast a raw file in DuckDB, vectorised: canonical rows in, rejects set aside.

The raw Arrow table is registered in DuckDB and turned into canonical columns by one
statement of generated SQL (identifiers quoted, user values passed as parameters). Each row
gets its first problem, if any: ``required`` (empty required value), a parse rule
(``timestamp``, ``number``, ``integer``, ``boolean``, ``date``, ``list``, ``duration``),
``enum`` (a value outside a closed enum), ``unknown_activity``, ``filtered`` (left out by
``[filter]``, checked first); then ``duplicate_key`` for a later row repeating a key of this
file (the first is kept), or with ``[source] duplicates = "keep_last"`` ``older_snapshot``
for every row of a key but its last. Event logs without an
``event_id`` get a stable one, see :mod:`supportkpi.ingest.event_keys`.

A rejected row keeps its whole source row (every column as text, as read) and its key where
one can be read: every key column valid and not all empty, and read from the file (a hashed
event id is not). See :mod:`supportkpi.store.quarantine` for what later loads do with them.

This module is the driver; the SQL of the checks is in :mod:`supportkpi.ingest.row_checks`,
that of the rejects in :mod:`supportkpi.ingest.reject_rows`, the table names they share in
:mod:`supportkpi.ingest.work_tables`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from supportkpi.ingest.casts import CastOptions, Params
from supportkpi.ingest.plan import LoadPlan
from supportkpi.ingest.readers import RawFile
from supportkpi.ingest.reject_rows import SourceRow, malformed_rejects, reasons, rejects_sql
from supportkpi.ingest.row_checks import dups_sql, work_sql
from supportkpi.ingest.work_tables import (
    DUPS,
    LOOKUP,
    RAW,
    REASONS,
    WORK,
    kept,
    value_names,
)
from supportkpi.store import quote_ident


@dataclass
class Validated:
    """The outcome of validation: rows to upsert and rows to quarantine."""

    good: pa.Table  # canonical columns, at most one row per key
    rejects: pa.Table  # QUARANTINE_COLUMNS: row_number, column_name, ..., from_load, from_row
    #: Of the rows in ``good`` that came from a rejects export: the entries they fix.
    stored_links: pa.Table | None = None
    #: The source rows of ``good`` (``source_row`` JSON texts), when asked for.
    stored_sources: pa.Table | None = None
    #: Event logs: source activities no listed activity or rule covers, with their rows.
    uncovered: list[tuple[str, int]] = field(default_factory=list)


def validate(
    con: duckdb.DuckDBPyConnection,
    raw: RawFile,
    plan: LoadPlan,
    options: CastOptions,
    label: str,
    source_rows: bool = False,
) -> Validated:
    """Cast ``raw`` to ``plan.table``'s columns; every input row ends in ``good`` or ``rejects``.

    ``source_rows`` also returns the source rows of the good rows (to match quarantine
    entries that have no key). Leaves the work table behind for :func:`time_travel_count`;
    drop it with :func:`drop_work_tables`.
    """
    con.register(RAW, raw.table)
    activity = plan.activity
    if activity is not None:
        con.register(LOOKUP, activity.lookup)
    con.register(REASONS, reasons(plan, options))
    try:
        params = Params()
        con.execute(work_sql(plan, options, params), params.values)
        con.execute(dups_sql(plan))
        uncovered: list[tuple[str, int]] = []
        if activity is not None:
            uncovered = con.execute(
                f"SELECT _uncovered, count(*) FROM {WORK} WHERE _uncovered IS NOT NULL "
                "GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
        good = con.execute(_good_sql(plan)).to_arrow_table()
        params = Params()
        file_param = params.add(label)
        source = SourceRow(raw)
        sql = rejects_sql(plan, file_param, source.json(params), source)
        rejects_table = con.execute(sql, params.values).to_arrow_table()
        links = sources = None
        if source.linked:
            links = con.execute(
                f"SELECT {source.link('from_load')}, {source.link('from_row')} "
                f"{kept(plan, source.join)}"
            ).to_arrow_table()
        if source_rows:
            params = Params()
            sources = con.execute(
                f"SELECT {source.json(params)} AS source_row {kept(plan, source.join)}",
                params.values,
            ).to_arrow_table()
        malformed = malformed_rejects(raw, label)
    finally:
        for name in (RAW, LOOKUP, REASONS):
            with contextlib.suppress(duckdb.Error):  # not every plan registers all
                con.unregister(name)
    all_rejects = pa.concat_tables([malformed, rejects_table.cast(malformed.schema)])
    return Validated(good, all_rejects, links, sources, uncovered)


def drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the temporary tables of the last validation."""
    for name in (WORK, DUPS):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def time_travel_count(con: duckdb.DuckDBPyConnection, plan: LoadPlan) -> int:
    """Tickets answered, solved or closed before they were created (kept, but flagged)."""
    if plan.table.name != "tickets":
        return 0
    v = value_names(plan)
    later = ("first_response_at", "solved_at", "closed_at")
    cond = " OR ".join(f"w.{v[name]} < w.{v['created_at']}" for name in later)
    row = con.execute(f"SELECT count(*) {kept(plan)} AND ({cond})").fetchone()
    return int(row[0]) if row else 0


def _good_sql(plan: LoadPlan) -> str:
    cols = [f"w.v{i} AS {quote_ident(p.column.name)}" for i, p in enumerate(plan.columns)]
    if "derived" in plan.table.column_names:
        cols.append("FALSE AS derived")
    return f"SELECT {', '.join(cols)} {kept(plan)}"
