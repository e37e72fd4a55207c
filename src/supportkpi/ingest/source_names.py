"""Source columns the mapping adds or respells before the plan is made.

``[source] row_number_column = "row"`` adds a column of that name holding each record's row
number (as the quarantine numbers it), so a file with no id can still build a key from it.
``[source] ignore_case = true`` matches the source column names a mapping gives to the
file's ignoring case and surrounding blanks (``"case id"`` reads ``Case ID``): exports whose
header spelling changes between versions then load with one mapping. The file's column is
renamed to the mapping's spelling, so every later step sees one name.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from supportkpi.errors import InputError
from supportkpi.ingest.mapping_model import Mapping
from supportkpi.ingest.raw_table import ROW, RawFile


def prepare_columns(raw: RawFile, mapping: Mapping, label: str) -> RawFile:
    """``raw`` with the row-number column added and mapped names matched, as configured."""
    table = raw.table
    if mapping.row_number_column is not None:
        name = mapping.row_number_column
        if name in table.column_names:
            raise InputError(
                f"{label}: the file already has a column {name!r}; choose another "
                "[source] row_number_column"
            )
        table = table.append_column(name, pc.cast(table.column(ROW), pa.string()))
    if mapping.ignore_case:
        table = table.rename_columns(_respelled(table.column_names, mapping, label))
    if table is raw.table:
        return raw
    return RawFile(table, raw.malformed, raw.warnings)


def _respelled(columns: list[str], mapping: Mapping, label: str) -> list[str]:
    by_key: dict[str, list[str]] = {}
    for name in columns:
        if name != ROW:
            by_key.setdefault(_key(name), []).append(name)
    renamed = {}
    for wanted in sorted(mapping.source_names()):
        if wanted in columns:
            continue
        found = by_key.get(_key(wanted), [])
        if len(found) > 1:
            listed = ", ".join(repr(c) for c in found)
            raise InputError(
                f"{label}: mapped column {wanted!r} matches {listed} when case is ignored; "
                "name one exactly"
            )
        if found:
            renamed[found[0]] = wanted
    return [renamed.get(name, name) for name in columns]


def _key(name: str) -> str:
    return name.strip().casefold()
