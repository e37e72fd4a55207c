"""``[source]`` layout keys and ``[columns]`` entries, for the parser in
:mod:`supportkpi.ingest.mapping`: how the file is laid out (delimiter, widths, date formats,
sheet, row-number column), and which source columns give each canonical column.
"""

from __future__ import annotations

from typing import Any

from supportkpi.ingest.mapping_checks import MappingChecker
from supportkpi.ingest.readers import WHITESPACE


def parse_layout(checker: MappingChecker, source: dict[str, Any], fmt: str | None) -> Any:
    """The ``[source]`` keys that say how the file is laid out (not what its columns mean)."""
    delimiter = checker.optional_str(source, "delimiter", "[source]")
    if delimiter is not None and len(delimiter) != 1 and delimiter != WHITESPACE:
        checker.problem(
            f'[source] delimiter {delimiter!r} must be one character, or "{WHITESPACE}"'
        )
    widths = source.get("widths", [])
    if not isinstance(widths, list) or not all(
        isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in widths
    ):
        checker.problem("[source] widths must be a list of column widths (whole numbers > 0)")
        widths = []
    if widths and delimiter is not None:
        checker.problem("[source] widths and delimiter do not go together; keep one")
    if (widths or delimiter == WHITESPACE) and fmt not in (None, "csv", "tsv"):
        checker.problem(f"[source] widths and whitespace delimiters read text files, not {fmt}")
    formats = source.get("date_format", [])
    formats = [formats] if isinstance(formats, str) else formats
    if not isinstance(formats, list) or not all(isinstance(f, str) and f for f in formats):
        checker.problem("[source] date_format must be a strptime layout or a list of them")
        formats = []
    for layout in formats:
        if "%" not in layout:
            checker.problem(f"[source] date_format {layout!r} has no % field (e.g. %d/%m/%Y)")
    row_number = checker.optional_str(source, "row_number_column", "[source]")
    if row_number is not None and not row_number.strip():
        checker.problem("[source] row_number_column must name the column to add")
    return {
        "delimiter": delimiter,
        "widths": tuple(widths),
        "date_formats": tuple(formats),
        "sheet": checker.optional_str(source, "sheet", "[source]"),
        "row_number_column": row_number,
    }


def parse_columns(
    checker: MappingChecker, data: dict[str, Any]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """``[columns]``: canonical = "source", or = ["first", "second"] (the first non-empty)."""
    columns: dict[str, str] = {}
    fallbacks: dict[str, tuple[str, ...]] = {}
    for name, value in checker.table_of(data, "columns").items():
        if not checker.mappable(name, "[columns]"):
            continue
        listed = value if isinstance(value, list) else [value]
        if not listed or not all(isinstance(v, str) and v for v in listed):
            checker.problem(
                f"[columns] {name}: expected a source column name, or a list of them: "
                f'["resolved_at", "closed_at"]'
            )
            continue
        columns[name] = listed[0]
        if len(listed) > 1:
            if len(set(listed)) < len(listed):
                checker.problem(f"[columns] {name}: a source column is listed twice")
            fallbacks[name] = tuple(listed[1:])
    return columns, fallbacks
