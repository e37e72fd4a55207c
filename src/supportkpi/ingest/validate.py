"""Validate and cast a raw file in DuckDB, vectorised: canonical rows in, rejects set aside.

The raw Arrow table is registered in DuckDB and turned into canonical columns by one
statement of generated SQL (identifiers quoted, user values passed as parameters). Each row
gets its first problem, if any: ``required`` (empty required value), a parse rule
(``timestamp``, ``number``, ``integer``, ``boolean``, ``date``, ``list``, ``duration``),
``enum`` (a value outside a closed enum), ``unknown_activity``; then ``duplicate_key`` for a
later row repeating a key of this file (the first is kept). Event logs without an
``event_id`` get a stable one, see :mod:`supportkpi.ingest.event_keys`.

A rejected row keeps its whole source row (every column as text, as read) and its key where
one can be read: every key column valid and not all empty, and read from the file (a hashed
event id is not). See :mod:`supportkpi.store.quarantine` for what later loads do with them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from supportkpi.ingest.casts import (
    PARSE_RULES,
    RULE_TEXTS,
    CastOptions,
    Params,
    cleaned,
    computed_text,
    default_value,
    parse,
)
from supportkpi.ingest.event_keys import event_id_sql
from supportkpi.ingest.plan import ColumnPlan, LoadPlan
from supportkpi.ingest.readers import ROW, RawFile
from supportkpi.schema import Column
from supportkpi.schema.tables import SURVEY_SCALES
from supportkpi.store import EXPORT_COLUMNS, quote_ident
from supportkpi.store.quarantine import LINK_COLUMNS, key_json_sql

RAW, LOOKUP, DEFAULT = "_ingest_raw", "_ingest_activities", "_ingest_activity_default"
WORK, DUPS, REASONS = "_ingest_work", "_ingest_dups", "_ingest_reasons"


@dataclass
class Validated:
    """The outcome of validation: rows to upsert and rows to quarantine."""

    good: pa.Table  # canonical columns, at most one row per key
    rejects: pa.Table  # QUARANTINE_COLUMNS: row_number, column_name, ..., from_load, from_row
    #: Of the rows in ``good`` that came from a rejects export: the entries they fix.
    stored_links: pa.Table | None = None
    #: The source rows of ``good`` (``source_row`` JSON texts), when asked for.
    stored_sources: pa.Table | None = None


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
        if activity.default is not None:
            con.register(DEFAULT, activity.default)
    con.register(REASONS, _reasons(plan, options))
    try:
        params = Params()
        con.execute(_work_sql(plan, options, params), params.values)
        con.execute(_dups_sql(plan))
        good = con.execute(_good_sql(plan)).to_arrow_table()
        params = Params()
        file_param = params.add(label)
        source = _SourceRow(raw)
        rejects_sql = _rejects_sql(plan, file_param, source.json(params), source)
        rejects_table = con.execute(rejects_sql, params.values).to_arrow_table()
        links = sources = None
        if source.linked:
            links = con.execute(
                f"SELECT {source.link('from_load')}, {source.link('from_row')} "
                f"{_kept(plan, source.join)}"
            ).to_arrow_table()
        if source_rows:
            params = Params()
            sources = con.execute(
                f"SELECT {source.json(params)} AS source_row {_kept(plan, source.join)}",
                params.values,
            ).to_arrow_table()
        malformed = _malformed_rejects(raw, label)
    finally:
        for name in (RAW, LOOKUP, DEFAULT, REASONS):
            with contextlib.suppress(duckdb.Error):  # not every plan registers all
                con.unregister(name)
    all_rejects = pa.concat_tables([malformed, rejects_table.cast(malformed.schema)])
    return Validated(good, all_rejects, links, sources)


class _SourceRow:
    """SQL for a raw row as the quarantine keeps it, and for its link to an exported entry."""

    def __init__(self, raw: RawFile) -> None:
        columns = raw.table.column_names
        self.names = [c for c in columns if c != ROW and c not in EXPORT_COLUMNS]
        self.linked = all(c in columns for c in LINK_COLUMNS)
        self.join = f"JOIN {RAW} r ON r.{quote_ident(ROW)} = w._row"

    def json(self, params: Params) -> str:
        """The row as a JSON object text: every source column (as text), in file order."""
        # Column names come from the file: they enter as parameters, as keys of the object.
        pairs = ", ".join(
            f"{params.add(n)}, CAST(r.{quote_ident(n)} AS VARCHAR)" for n in self.names
        )
        return f"CAST(json_object({pairs}) AS VARCHAR)"

    def link(self, name: str) -> str:
        """``from_load`` or ``from_row``: the export's ``_reject_load``/``_reject_row``."""
        if not self.linked:
            return f"CAST(NULL AS BIGINT) AS {name}"
        column = LINK_COLUMNS[0] if name == "from_load" else LINK_COLUMNS[1]
        return f"TRY_CAST(trim(r.{quote_ident(column)}) AS BIGINT) AS {name}"


def drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the temporary tables of the last validation."""
    for name in (WORK, DUPS):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def time_travel_count(con: duckdb.DuckDBPyConnection, plan: LoadPlan) -> int:
    """Tickets answered, solved or closed before they were created (kept, but flagged)."""
    if plan.table.name != "tickets":
        return 0
    v = _value_names(plan)
    later = ("first_response_at", "solved_at", "closed_at")
    cond = " OR ".join(f"w.{v[name]} < w.{v['created_at']}" for name in later)
    row = con.execute(f"SELECT count(*) {_kept(plan)} AND ({cond})").fetchone()
    return int(row[0]) if row else 0


def _kept(plan: LoadPlan, join: str = "") -> str:
    """FROM and WHERE of the rows to store: valid, and the first of their key in the file."""
    return (
        f"FROM {WORK} w {join} LEFT JOIN {DUPS} d ON {_key_match(plan)} "
        "WHERE w._bad_rule IS NULL AND (d._first_row IS NULL OR d._first_row = w._row)"
    )


def _key_match(plan: LoadPlan) -> str:
    v = _value_names(plan)
    return " AND ".join(f"w.{v[k]} IS NOT DISTINCT FROM d.{v[k]}" for k in plan.table.key)


def _value_names(plan: LoadPlan) -> dict[str, str]:
    return {p.column.name: f"v{i}" for i, p in enumerate(plan.columns)}


def _work_sql(plan: LoadPlan, options: CastOptions, params: Params) -> str:
    """One statement, materialised once: map, parse, find each row's first problem, key."""
    n = len(plan.columns)
    activity = plan.activity
    texts = [f"{_text_sql(p, plan, params, options)} AS s{i}" for i, p in enumerate(plan.columns)]
    joins = ""
    act_text = "CAST(NULL AS VARCHAR)"
    unknown = "FALSE"
    if activity is not None:
        act_text = cleaned(f"r.{quote_ident(activity.column)}")
        joins = f" LEFT JOIN {LOOKUP} a ON a._activity = {act_text}"
        if activity.default is not None:
            joins += f" CROSS JOIN {DEFAULT} d"
        else:
            unknown = "a._activity IS NULL"
    mapped = (
        f"SELECT r.{quote_ident(ROW)} AS _row, {act_text} AS _act_text, {unknown} AS _unknown, "
        f"{', '.join(texts)} FROM {RAW} r{joins}"
    )
    typed = ", ".join(
        f"{parse(p.column, f's{i}', options, params)} AS p{i}" for i, p in enumerate(plan.columns)
    )
    errors = []
    for i, p in enumerate(plan.columns):
        required = "'required'" if p.column.required else "NULL"
        rule = "duration" if p.column.name in options.durations else PARSE_RULES[p.column.type]
        rule = "computed" if p.computed is not None else rule
        branches = f"WHEN s{i} IS NULL THEN {required} WHEN p{i} IS NULL THEN '{rule}'"
        if p.column.enum and not p.column.open_enum:
            allowed = params.add(list(p.column.enum))
            branches += f" WHEN NOT list_contains({allowed}, p{i}) THEN 'enum'"
        scale = _survey_scale_sql(plan, i)
        if scale:
            branches += f" WHEN NOT ({scale}) THEN 'scale'"
        errors.append(f"CASE {branches} END AS e{i}")
    first_col = " ".join(f"WHEN e{i} IS NOT NULL THEN {i}" for i in range(n))
    first_value = " ".join(f"WHEN e{i} IS NOT NULL THEN s{i}" for i in range(n))
    first_rule = ", ".join(f"e{i}" for i in range(n))
    index = {p.column.name: i for i, p in enumerate(plan.columns)}
    key_ok = " AND ".join(f"e{index[k]} IS NULL" for k in plan.table.key)
    values = ", ".join(
        f"{default_value(p.column, f'p{i}', params)} AS v{i}" for i, p in enumerate(plan.columns)
    )
    checked = f"""SELECT _row, _act_text, {values},
            CASE WHEN _unknown THEN -1 {first_col} END AS _bad_col,
            CASE WHEN _unknown THEN 'unknown_activity' ELSE coalesce({first_rule}) END
                AS _bad_rule,
            CASE WHEN _unknown THEN _act_text {first_value} END AS _bad_value,
            {key_ok} AS _key_ok
        FROM (SELECT *, {", ".join(errors)} FROM (SELECT *, {typed} FROM ({mapped})))"""
    v = _value_names(plan)
    # A rejected row's key, taken before event ids are hashed (those are not read, and a
    # rejected row gets none).
    present = " OR ".join(f"{v[k]} IS NOT NULL" for k in plan.table.key)
    row_key = key_json_sql(plan.table.key, v.__getitem__)
    checked = f"""SELECT * EXCLUDE (_key_ok),
            CASE WHEN _bad_rule IS NOT NULL AND _key_ok AND ({present}) THEN {row_key} END
                AS _row_key
        FROM ({checked})"""
    if plan.table.hashed_key:
        checked = event_id_sql(checked, v, keyed_by_activity=activity is not None)
    return f"CREATE OR REPLACE TEMP TABLE {WORK} AS SELECT * EXCLUDE (_act_text) FROM ({checked})"


def _survey_scale_sql(plan: LoadPlan, i: int) -> str | None:
    """For a survey's score (column ``i``): is it a whole number on its kind's scale?"""
    if plan.table.name != "surveys" or plan.columns[i].column.name != "score":
        return None
    kind = next(j for j, p in enumerate(plan.columns) if p.column.name == "kind")
    # The scales are fixed by the schema, not user input.
    cases = " ".join(
        f"WHEN '{name}' THEN p{i} BETWEEN {low} AND {high}"
        for name, (low, high) in SURVEY_SCALES.items()
    )
    return f"p{i} = trunc(p{i}) AND coalesce(CASE p{kind} {cases} END, TRUE)"


def _dups_sql(plan: LoadPlan) -> str:
    """Keys seen more than once among valid rows (a rejected row never shadows a good one).

    An aggregate, not a window over the wide work table: files rarely repeat keys, so this
    is usually empty and cheap.
    """
    keys = ", ".join(_value_names(plan)[k] for k in plan.table.key)
    return f"""CREATE OR REPLACE TEMP TABLE {DUPS} AS
        SELECT {keys}, min(_row) AS _first_row FROM {WORK}
        WHERE _bad_rule IS NULL GROUP BY ALL HAVING count(*) > 1"""


def _text_sql(plan: ColumnPlan, load: LoadPlan, params: Params, options: CastOptions) -> str:
    """The text of one canonical column: source cell, value map, constant, activity."""
    if plan.computed is not None:

        def canonical_text(name: str) -> tuple[Column, str]:
            other = next(p for p in load.columns if p.column.name == name)
            return other.column, _text_sql(other, load, params, options)

        def source_text(name: str) -> str:
            return cleaned(f"r.{quote_ident(name)}")

        return computed_text(
            plan.computed, plan.column, source_text, canonical_text, options, params
        )
    text = cleaned(f"r.{quote_ident(plan.source)}") if plan.source else "CAST(NULL AS VARCHAR)"
    if plan.values:
        # A value mapped to "" empties the cell.
        whens = " ".join(
            f"WHEN {params.add(src)} THEN {params.add(dst) if dst != '' else 'NULL'}"
            for src, dst in plan.values.items()
        )
        text = f"(CASE {text} {whens} ELSE {text} END)"
    if plan.months_before is not None:
        # Whole months before the reference date (clipped to the month's last day); text that
        # is not a whole number stays as it is and fails the timestamp rule with its value.
        months = f"TRY_CAST({text} AS INTEGER)"
        reference = f"CAST({params.add(plan.months_before)} AS DATE)"
        text = (
            f"CASE WHEN {months} IS NULL THEN {text} "
            f"ELSE strftime({reference} - to_months({months}), '%Y-%m-%d') END"
        )
    if plan.constant is not None:
        text = f"coalesce({text}, {params.add(plan.constant)})"
    activity = load.activity
    if activity is None:
        return text
    has_default = activity.default is not None

    def field(col: str) -> str:
        if has_default:
            return f"(CASE WHEN a._activity IS NOT NULL THEN a.{col} ELSE d.{col} END)"
        return f"a.{col}"

    name = plan.column.name
    overrides = []
    if name in activity.constants:
        overrides.append(field(activity.constants[name]))
    for flag, canonical, source in activity.copies:
        if canonical == name:
            overrides.append(
                f"CASE WHEN {field(flag)} THEN {cleaned('r.' + quote_ident(source))} END"
            )
    if overrides:
        text = f"coalesce({', '.join(overrides)}, {text})"
    if name in activity.clears:
        text = (
            f"CASE WHEN coalesce({field(activity.clears[name])}, FALSE) THEN NULL ELSE {text} END"
        )
    return text


def _good_sql(plan: LoadPlan) -> str:
    cols = [f"w.v{i} AS {quote_ident(p.column.name)}" for i, p in enumerate(plan.columns)]
    if "derived" in plan.table.column_names:
        cols.append("FALSE AS derived")
    return f"SELECT {', '.join(cols)} {_kept(plan)}"


def _rejects_sql(plan: LoadPlan, file_param: str, source_json: str, source: _SourceRow) -> str:
    v = _value_names(plan)
    key_cols = ", ".join(plan.table.key)
    key_value = (
        "concat_ws(' | ', "
        + ", ".join(f"coalesce(CAST(w.{v[k]} AS VARCHAR), '')" for k in plan.table.key)
        + ")"
    )

    def message(label: str, value: str, text: str) -> str:
        shown = f"CASE WHEN {value} IS NULL THEN '' ELSE 'value ''' || {value} || ''' ' END"
        where = f"{file_param} || ' row ' || CAST(w._row AS VARCHAR) || ': '"
        return f"{where} || {label} || ' ' || {shown} || {text}"

    bad = f"""SELECT w._row, m.column_name, _bad_value AS value, _bad_rule AS rule,
            {message("m.label", "_bad_value", "m.text")} AS message, w._row_key AS row_key
        FROM {WORK} w JOIN {REASONS} m ON m.col = w._bad_col AND m.rule = w._bad_rule
        WHERE _bad_rule IS NOT NULL"""
    dup_text = (
        "'is a duplicate key in this file; row ' || CAST(_first_row AS VARCHAR) || ' is kept'"
    )
    dups = f"""SELECT w._row, '{key_cols}' AS column_name, {key_value} AS value,
            'duplicate_key' AS rule,
            {message(f"'key ({key_cols})'", key_value, dup_text)} AS message,
            {key_json_sql(plan.table.key, lambda k: f"w.{v[k]}")} AS row_key
        FROM {WORK} w JOIN {DUPS} d ON {_key_match(plan)}
        WHERE w._bad_rule IS NULL AND w._row <> d._first_row"""
    return f"""SELECT CAST(w._row AS BIGINT) AS row_number, column_name, value, rule, message,
            row_key, {source_json} AS source_row, {source.link("from_load")},
            {source.link("from_row")}
        FROM ({bad} UNION ALL {dups}) w {source.join} ORDER BY row_number"""


def _reasons(plan: LoadPlan, options: CastOptions) -> pa.Table:
    """One row per (column, rule): the column's name and label and the rule's explanation."""
    rows: list[tuple[int, str, str, str, str]] = []
    for i, p in enumerate(plan.columns):
        name = p.column.name
        label = f"column '{name}'"
        if p.source and p.source != name:
            label += f" (from '{p.source}')"
        if p.computed is not None:
            label += f" ({p.computed.describe()})"
        for rule, text in RULE_TEXTS.items():
            if rule == "enum":
                text = f"is not one of {', '.join(p.column.enum)}"
            elif rule == "duration" and name in options.durations:
                text = f"is not a duration in format {options.durations[name]!r}"
            rows.append((i, rule, name, label, text))
    if plan.activity is not None:
        column = plan.activity.column
        rows.append(
            (
                -1,
                "unknown_activity",
                column,
                f"activity column '{column}'",
                "is not listed in [events.activities] (and there is no [events] default)",
            )
        )
    cols: list[tuple[object, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 5
    return pa.table(
        {
            "col": pa.array(cols[0], pa.int64()),
            "rule": pa.array(cols[1], pa.string()),
            "column_name": pa.array(cols[2], pa.string()),
            "label": pa.array(cols[3], pa.string()),
            "text": pa.array(cols[4], pa.string()),
        }
    )


def _malformed_rejects(raw: RawFile, label: str) -> pa.Table:
    malformed = raw.malformed
    n = malformed.num_rows
    messages = [
        f"{label} row {row}: malformed record: {text}"
        for row, text in zip(
            malformed.column("row_number").to_pylist(),
            malformed.column("message").to_pylist(),
            strict=True,
        )
    ]
    return pa.table(
        {
            "row_number": malformed.column("row_number"),
            "column_name": pa.array([None] * n, pa.string()),
            "value": malformed.column("value"),
            "rule": pa.array(["malformed_record"] * n, pa.string()),
            "message": pa.array(messages, pa.string()),
            # A record that cannot be split into columns has no source row and no key.
            "row_key": pa.array([None] * n, pa.string()),
            "source_row": pa.array([None] * n, pa.string()),
            "from_load": pa.array([None] * n, pa.int64()),
            "from_row": pa.array([None] * n, pa.int64()),
        }
    )
