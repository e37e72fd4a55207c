"""The temporary tables of a validation, and the SQL that reads the work table.

:mod:`supportkpi.ingest.validate` registers the raw file, the activity lookups and the rule
texts under these names, and materialises ``WORK`` (one row per input row: values ``v0``,
``v1``, … and the row's first problem, see :mod:`supportkpi.ingest.row_checks`) and ``DUPS``
(keys seen more than once).
"""

from __future__ import annotations

from supportkpi.ingest.plan import LoadPlan

RAW, LOOKUP = "_ingest_raw", "_ingest_activities"
WORK, DUPS, REASONS = "_ingest_work", "_ingest_dups", "_ingest_reasons"


def kept(plan: LoadPlan, join: str = "") -> str:
    """FROM and WHERE of the rows to store: valid, and the first of their key in the file."""
    return (
        f"FROM {WORK} w {join} LEFT JOIN {DUPS} d ON {key_match(plan)} "
        "WHERE w._bad_rule IS NULL AND (d._first_row IS NULL OR d._first_row = w._row)"
    )


def key_match(plan: LoadPlan) -> str:
    """SQL: work row ``w`` has the key of duplicates row ``d``."""
    v = value_names(plan)
    return " AND ".join(f"w.{v[k]} IS NOT DISTINCT FROM d.{v[k]}" for k in plan.table.key)


def value_names(plan: LoadPlan) -> dict[str, str]:
    """Canonical column name -> its value column in the work table (``v0``, ``v1``, …)."""
    return {p.column.name: f"v{i}" for i, p in enumerate(plan.columns)}
