"""The quarantine: rejected rows, each kept whole so that it can be fixed and loaded again.

An entry holds the row's first problem (column, value, rule, message), the whole source row
as it was read (``source_row``: a JSON object of every source column as text, in file order)
and the row's key where one can be read (``row_key``: a JSON object of the key columns). An
entry is *open* until a later load of the same table closes it:

* ``stored``: the later load stored a row with the entry's key; for an entry without a key,
  the very same source row (the original file re-loaded with a corrected mapping); or the
  entry's own row from a ``rejects --export`` file (its ``_reject_load``/``_reject_row``).
* ``superseded``: the later load rejected that row again, so its newer entry is the one to fix.

A row a mapping leaves out on purpose (``LEFT_OUT_RULES``: a ``[filter]``, or an older
snapshot of a row kept last) is stored resolved by its own load (``left out``): it is
accounted for, with its reason, but there is nothing to fix (``rejects --all`` shows it).

Clearing (``clear_load``) deletes a load's entries outright.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from supportkpi.errors import InputError

QUARANTINE = "_quarantine"
#: The quarantine's columns and types, in order. A store made by an older version gains the
#: missing ones when it is opened for writing, and reads them as empty before that.
QUARANTINE_SCHEMA = (
    ("load_id", "BIGINT"),
    ("table_name", "VARCHAR"),
    ("file_name", "VARCHAR"),
    ("row_number", "BIGINT"),
    ("column_name", "VARCHAR"),
    ("value", "VARCHAR"),
    ("rule", "VARCHAR"),
    ("message", "VARCHAR"),
    ("row_key", "VARCHAR"),
    ("source_row", "VARCHAR"),
    ("resolved_by", "BIGINT"),
    ("resolution", "VARCHAR"),
)
#: Columns of the rejects a loader hands over; ``from_load``/``from_row`` name the entry a
#: row of a rejects export came from (NULL otherwise) and are not stored.
QUARANTINE_COLUMNS = (
    "row_number", "column_name", "value", "rule", "message", "row_key", "source_row",
    "from_load", "from_row",
)  # fmt: skip
#: Columns ``rejects --export`` adds after the source columns; a loader never reads them as data.
EXPORT_COLUMNS = ("_reject_load", "_reject_row", "_reject_rule", "_reject_reason")
LINK_COLUMNS = EXPORT_COLUMNS[:2]
_JSON_COLUMNS = ("row_key", "source_row")
#: Rules of rows a mapping leaves out on purpose: stored resolved (``left out``), not open.
LEFT_OUT_RULES = ("filtered", "older_snapshot")


def ensure_quarantine(con: duckdb.DuckDBPyConnection) -> None:
    """Create the quarantine, or add the columns an older store lacks."""
    columns = ", ".join(f"{name} {kind}" for name, kind in QUARANTINE_SCHEMA)
    con.execute(f"CREATE TABLE IF NOT EXISTS {QUARANTINE} ({columns})")
    have = _existing_columns(con)
    for name, kind in QUARANTINE_SCHEMA:
        if name not in have:
            con.execute(f"ALTER TABLE {QUARANTINE} ADD COLUMN {name} {kind}")


def quarantine_table(
    con: duckdb.DuckDBPyConnection, where: str = "", params: Sequence[object] = ()
) -> pa.Table:
    """Quarantine entries as Arrow with every column of ``QUARANTINE_SCHEMA``; ``where`` may
    use any of them (a read-only older store reads the columns it lacks as NULL)."""
    have = _existing_columns(con)
    select = ", ".join(
        name if name in have else f"CAST(NULL AS {kind}) AS {name}"
        for name, kind in QUARANTINE_SCHEMA
    )
    return con.execute(
        f"SELECT * FROM (SELECT {select} FROM {QUARANTINE}) {where} "
        "ORDER BY load_id, file_name, row_number",
        list(params),
    ).to_arrow_table()


def insert_rejects(
    con: duckdb.DuckDBPyConnection, load_id: int, table: str, file_name: str, rejects: pa.Table
) -> None:
    """Store rejected rows (columns of ``QUARANTINE_COLUMNS``) as open entries."""
    if rejects.num_rows == 0:
        return
    con.register("_rejects", rejects)
    try:
        left_out = ", ".join("?" for _ in LEFT_OUT_RULES)
        con.execute(
            f"""INSERT INTO {QUARANTINE} SELECT ?, ?, ?, CAST(row_number AS BIGINT),
                column_name, CAST(value AS VARCHAR), rule, message, row_key, source_row,
                CASE WHEN rule IN ({left_out}) THEN ? END,
                CASE WHEN rule IN ({left_out}) THEN 'left out' END
                FROM _rejects""",
            [load_id, table, file_name, *LEFT_OUT_RULES, load_id, *LEFT_OUT_RULES],
        )
    finally:
        con.unregister("_rejects")


def key_json_sql(key: Sequence[str], ref: Callable[[str], str]) -> str:
    """SQL of a row's key as a JSON object text; ``ref`` gives the SQL of a key column.

    The loader renders rejected rows' keys and stored rows' keys with this one expression,
    so that equal keys are equal texts.
    """
    # Key column names come from the schema, never from a file.
    parts = ", ".join(f"'{name}', CAST({ref(name)} AS VARCHAR)" for name in key)
    return f"CAST(json_object({parts}) AS VARCHAR)"


def stored_keys(con: duckdb.DuckDBPyConnection, key: Sequence[str], rows: pa.Table) -> pa.Table:
    """The keys of canonical ``rows`` as ``row_key`` texts, to match open entries."""
    con.register("_stored_rows", rows)
    try:
        # Key column names come from the schema.
        sql = key_json_sql(key, lambda name: f'"{name}"')
        return con.execute(f"SELECT {sql} AS row_key FROM _stored_rows").to_arrow_table()
    finally:
        con.unregister("_stored_rows")


def open_entries_of(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """Open entries of ``table``: (with a key, without a key but with a source row)."""
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE row_key IS NOT NULL),
                   count(*) FILTER (WHERE row_key IS NULL AND source_row IS NOT NULL)
            FROM {QUARANTINE} WHERE table_name = ? AND resolved_by IS NULL""",
        [table],
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def close_entries(
    con: duckdb.DuckDBPyConnection,
    load_id: int,
    table: str,
    resolution: str,
    keys: pa.Table | None = None,
    links: pa.Table | None = None,
    sources: pa.Table | None = None,
) -> int:
    """Close open entries of earlier loads of ``table`` that match; return how many.

    ``keys`` has a ``row_key`` column (JSON texts from :func:`key_json_sql`), ``links``
    ``from_load`` and ``from_row``, ``sources`` a ``source_row`` column (matched only against
    entries without a key). Call inside the load's transaction.
    """
    given = {"_close_keys": keys, "_close_links": links, "_close_sources": sources}
    given = {name: t for name, t in given.items() if t is not None and t.num_rows}
    if not given:
        return 0
    tests = {
        "_close_keys": "row_key IN (SELECT row_key FROM _close_keys)",
        "_close_links": f"""EXISTS (SELECT 1 FROM _close_links l
            WHERE l.from_load = {QUARANTINE}.load_id AND l.from_row = {QUARANTINE}.row_number)""",
        "_close_sources": (
            "row_key IS NULL AND source_row IN (SELECT source_row FROM _close_sources)"
        ),
    }
    for name, rows in given.items():
        con.register(name, rows)
    try:
        row = con.execute(
            f"""UPDATE {QUARANTINE} SET resolved_by = $load, resolution = $resolution
                WHERE table_name = $table AND resolved_by IS NULL AND load_id < $load
                AND ({" OR ".join(tests[name] for name in given)})
                RETURNING 1""",
            {"load": load_id, "resolution": resolution, "table": table},
        ).fetchall()
    finally:
        for name in given:
            con.unregister(name)
    return len(row)


def quarantine_entries(
    con: duckdb.DuckDBPyConnection,
    include_resolved: bool = False,
    load: int | None = None,
    table: str | None = None,
) -> list[dict[str, Any]]:
    """Entries as plain dicts, newest load first; ``row_key`` and ``source_row`` decoded."""
    conditions: list[str] = []
    params: list[object] = []
    if not include_resolved:
        conditions.append("resolved_by IS NULL")
    if load is not None:
        conditions.append("load_id = ?")
        params.append(load)
    if table is not None:
        conditions.append("table_name = ?")
        params.append(table)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = quarantine_table(con, where, params).to_pylist()
    for row in rows:
        for name in _JSON_COLUMNS:
            row[name] = json.loads(row[name]) if row[name] is not None else None
    rows.sort(key=lambda r: (-(r["load_id"] or 0), r["file_name"] or "", r["row_number"] or 0))
    return rows


def rejects_summary(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries counted by table, rule and column, most frequent first."""
    counts = Counter((e["table_name"], e["rule"], e["column_name"]) for e in entries)
    return [
        {"table_name": t, "rule": rule, "column_name": column, "rows": n}
        for (t, rule, column), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0] or ""))
    ]


def count_resolved(con: duckdb.DuckDBPyConnection) -> int:
    """How many entries a later load has closed."""
    if "resolved_by" not in _existing_columns(con):
        return 0
    row = con.execute(f"SELECT count(*) FROM {QUARANTINE} WHERE resolved_by IS NOT NULL").fetchone()
    return int(row[0]) if row else 0


def clear_load(con: duckdb.DuckDBPyConnection, load_id: int) -> int:
    """Delete every quarantine entry of one load; return how many."""
    deleted = con.execute(
        f"DELETE FROM {QUARANTINE} WHERE load_id = ? RETURNING 1", [load_id]
    ).fetchall()
    if not deleted:
        raise InputError(f"load {load_id} has no quarantine entries")
    return len(deleted)


def _existing_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [QUARANTINE]
    ).fetchall()
    return {r[0] for r in rows}
