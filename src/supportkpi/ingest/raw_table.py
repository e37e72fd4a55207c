"""What every reader returns: :class:`RawFile`, and the pieces readers share to build one.

A raw table holds the source columns as text (or any Arrow type, for Parquet) plus ``ROW``,
each record's 1-based number in its file. Records a reader cannot split into columns are
set aside in ``RawFile.malformed`` for the quarantine, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

#: Name of the row-number column added to every raw table (kept clear of source names).
ROW = "__supportkpi_row"
_MAX_SHOWN = 200  # characters of a malformed record kept in the quarantine
_CHUNK = 65_536  # records held as Python lists before they become Arrow arrays


@dataclass
class RawFile:
    """Source columns (any Arrow types) plus ``ROW``, and the malformed records set aside."""

    table: pa.Table
    malformed: pa.Table  # row_number, value, message
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return self.table.num_rows + self.malformed.num_rows


class RecordBuilder:
    """Collects text records (column name -> text) into an Arrow table, a chunk at a time.

    Streaming readers (XES, Excel, text) add one record at a time; holding a million records
    as Python dicts would take several times the memory of the Arrow columns they become.
    Columns appear in the order they are first seen; a record lacking one has it empty.
    """

    def __init__(self, null_values: tuple[str, ...] = ()) -> None:
        self.nulls = frozenset(null_values)
        self.names: dict[str, None] = {}  # an ordered set
        self.chunks: list[pa.Table] = []
        self.rows: list[int] = []
        self.columns: dict[str, list[str | None]] = {}
        self.malformed: list[tuple[int, str, str]] = []

    def add(self, row: int, record: dict[str, str | None]) -> None:
        index = len(self.rows)
        self.rows.append(row)
        nulls = self.nulls
        for name, value in record.items():
            column = self.columns.get(name)
            if column is None:
                column = self.columns[name] = [None] * index
                self.names.setdefault(name)
            column.append(None if value in nulls else value)
        for column in self.columns.values():
            if len(column) == index:
                column.append(None)
        if len(self.rows) >= _CHUNK:
            self._flush()

    def declare(self, names: list[str]) -> None:
        """Columns the table has even if no record fills them (a header's names)."""
        for name in names:
            self.names.setdefault(name)

    def reject(self, row: int, text: str, message: str) -> None:
        """Set a record aside as malformed (it reaches the quarantine with ``message``)."""
        self.malformed.append((row, text, message))

    def finish(self, warnings: list[str] | None = None) -> RawFile:
        self._flush()
        names = list(self.names)
        if not self.chunks:
            table = pa.table({name: pa.array([], pa.string()) for name in names})
            table = numbered(table, np.array([], dtype=np.int64))
        else:
            table = pa.concat_tables(self.chunks, promote_options="default")
            for name in names:
                if name not in table.column_names:
                    table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
            table = table.select([*names, ROW])
        return RawFile(table, malformed_table(self.malformed), warnings or [])

    def _flush(self) -> None:
        if not self.rows:
            return
        data = {name: pa.array(values, pa.string()) for name, values in self.columns.items()}
        data[ROW] = pa.array(self.rows, pa.int64())
        self.chunks.append(pa.table(data))
        self.rows, self.columns = [], {}


def numbered(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """``table`` with its row numbers as the ``ROW`` column."""
    if ROW in table.column_names:
        table = table.drop_columns([ROW])
    if table.num_columns == 0:
        return pa.table({ROW: pa.array(rows, pa.int64())})
    return table.append_column(ROW, pa.array(rows, pa.int64()))


def malformed_table(records: list[tuple[int, str, str]]) -> pa.Table:
    """Malformed records (row number, text, why) as the table ``RawFile.malformed`` holds."""
    return pa.table(
        {
            "row_number": pa.array([r[0] for r in records], pa.int64()),
            "value": pa.array([r[1][:_MAX_SHOWN] for r in records], pa.string()),
            "message": pa.array([r[2] for r in records], pa.string()),
        }
    )


def unique_names(header: list[str]) -> tuple[list[str], list[str]]:
    """Name blank header cells ``column<N>`` and repeats ``<name>.<N>`` (N: 1-based position)."""
    names: list[str] = []
    warnings = []
    for position, name in enumerate(header, start=1):
        if not name.strip():
            names.append(f"column{position}")
        elif name in names:
            names.append(f"{name}.{position}")
            warnings.append(
                f"column {name!r} appears twice; column {position} read as {names[-1]!r}"
            )
        else:
            names.append(name)
    return names, warnings
