"""The rejected rows of a validation, as quarantine entries.

Each entry gets its message (file, row, column, value and why), its whole source row as a JSON
text, its key where one can be read, and its link to a rejects export it came from (see
:mod:`supportkpi.ingest.rejects_export`). Records the reader could not split into columns
become ``malformed_record`` entries.
"""

from __future__ import annotations

import pyarrow as pa

from supportkpi.ingest.casts import RULE_TEXTS, CastOptions, Params
from supportkpi.ingest.plan import LoadPlan
from supportkpi.ingest.readers import ROW, RawFile
from supportkpi.ingest.work_tables import DUPS, RAW, REASONS, WORK, key_match, value_names
from supportkpi.store import EXPORT_COLUMNS, quote_ident
from supportkpi.store.quarantine import LINK_COLUMNS, key_json_sql


class SourceRow:
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


def rejects_sql(plan: LoadPlan, file_param: str, source_json: str, source: SourceRow) -> str:
    v = value_names(plan)
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
    dup_rule = "duplicate_key"
    dup_text = (
        "'is a duplicate key in this file; row ' || CAST(_first_row AS VARCHAR) || ' is kept'"
    )
    if plan.duplicates == "keep_last":
        # Earlier snapshots of a record (one row per update): the last one is the record.
        dup_rule = "older_snapshot"
        last = f"the last by {plan.order_by}" if plan.order_by else "the last in the file"
        dup_text = (
            "'has a later snapshot in this file; row ' || CAST(_first_row AS VARCHAR) || "
            f"' ({last}) is kept'"
        )
    dups = f"""SELECT w._row, '{key_cols}' AS column_name, {key_value} AS value,
            '{dup_rule}' AS rule,
            {message(f"'key ({key_cols})'", key_value, dup_text)} AS message,
            {key_json_sql(plan.table.key, lambda k: f"w.{v[k]}")} AS row_key
        FROM {WORK} w JOIN {DUPS} d ON {key_match(plan)}
        WHERE w._bad_rule IS NULL AND w._row <> d._first_row"""
    return f"""SELECT CAST(w._row AS BIGINT) AS row_number, column_name, value, rule, message,
            row_key, {source_json} AS source_row, {source.link("from_load")},
            {source.link("from_row")}
        FROM ({bad} UNION ALL {dups}) w {source.join} ORDER BY row_number"""


def reasons(plan: LoadPlan, options: CastOptions) -> pa.Table:
    """One row per (column, rule): the column's name and label and the rule's explanation."""
    rows: list[tuple[int, str, str | None, str, str]] = []
    for i, p in enumerate(plan.columns):
        name = p.column.name
        label = f"column '{name}'"
        if p.fallbacks:
            label += " (from " + " or ".join(f"'{s}'" for s in p.sources) + ")"
        elif p.source and p.source != name:
            label += f" (from '{p.source}')"
        if p.computed is not None:
            label += f" ({p.computed.describe()})"
        for rule, text in RULE_TEXTS.items():
            if rule == "enum":
                text = f"is not one of {', '.join(p.column.enum)}"
            elif rule == "duration" and name in options.durations:
                text = f"is not a duration in format {options.durations[name]!r}"
            rows.append((i, rule, name, label, text))
    if plan.row_filter:
        shown = plan.row_filter.describe()
        rows.append((-2, "filtered", None, "the row", f"is left out by [filter] ({shown})"))
    if plan.activity is not None:
        column = plan.activity.column
        rows.append(
            (
                -1,
                "unknown_activity",
                column,
                f"activity column '{column}'",
                "is not listed in [events.activities], matches no [[events.rules]] "
                "(and there is no [events] default)",
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


def malformed_rejects(raw: RawFile, label: str) -> pa.Table:
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
