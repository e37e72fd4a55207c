"""Excel workbooks (``.xlsx``, ``.xlsm``) as raw tables, read row by row with openpyxl.

The sheet is the one named by ``--sheet`` or ``[source] sheet``, else the first. Exports
often start with a title, a date line or blank rows: the header is the first row, among
the first ``HEADER_SEARCH`` rows, whose non-empty cells are mostly texts and cover most of the
sheet's width. Blank rows after it are not records. Rows are numbered as Excel shows them
(sheet row 7 is row 7 in the quarantine), so a rejected row is easy to find in the sheet.

Cells become text the way a CSV export of the sheet would spell them: a whole number
without ``.0`` (an id typed as a number stays ``1001``), dates and times in ISO 8601
(naive, so ``[source] timezone`` says where they are), booleans as ``true``/``false``,
durations as ``h:mm:ss``, a datetime at midnight as its date (Excel has no date type).
Formulas give their cached value (the one Excel last saved).
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from supportkpi.errors import InputError
from supportkpi.ingest.raw_table import RawFile, RecordBuilder, unique_names

#: How far down the sheet the header row is looked for.
HEADER_SEARCH = 30


def read_xlsx(path: Path, sheet: str | None = None, null_values: tuple[str, ...] = ()) -> RawFile:
    """Read one sheet of an Excel workbook into a :class:`RawFile`."""
    import openpyxl  # imported here: only Excel loads pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(f"{path.name}: cannot read as an Excel workbook (.xlsx): {exc}") from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            listed = ", ".join(repr(name) for name in workbook.sheetnames)
            raise InputError(f"{path.name}: no sheet named {sheet!r}; the sheets are {listed}")
        # Exports often declare a wrong sheet size; read the cells that are there.
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(values_only=True)
        return _read_rows(enumerate(rows, start=1), path.name, worksheet.title, null_values)
    finally:
        workbook.close()


def _read_rows(rows: Any, label: str, title: str, null_values: tuple[str, ...]) -> RawFile:
    head: list[tuple[int, list[str | None]]] = []
    for number, cells in rows:
        head.append((number, [_text(c) for c in cells]))
        if len(head) == HEADER_SEARCH:
            break
    found = _header_index(head)
    if found is None:
        raise InputError(
            f"{label}: no header row in the first {HEADER_SEARCH} rows of sheet {title!r} "
            "(a row of column names, mostly text)"
        )
    header = [cell or "" for cell in _trimmed(head[found][1])]
    builder = RecordBuilder(null_values)
    names = list(header)
    builder.declare(_names(names))

    def add(number: int, cells: list[str | None]) -> None:
        cells = _trimmed(cells)
        if not any(c is not None and c.strip() for c in cells):
            return  # a blank row is not a record
        while len(names) < len(cells):
            names.append("")  # named column<N> below: data beyond the header is kept
        builder.add(number, dict(zip(_names(names), cells, strict=False)))

    for number, cells in head[found + 1 :]:
        add(number, cells)
    for number, raw in rows:
        add(number, [_text(c) for c in raw])
    final, warnings = unique_names(names)
    raw = builder.finish(warnings)
    renamed = dict(zip(_names(names), final, strict=True))
    raw.table = raw.table.rename_columns([renamed.get(c, c) for c in raw.table.column_names])
    return raw


def _names(names: list[str]) -> list[str]:
    """Provisional, unique column keys while reading (final names once the width is known)."""
    return [f"\0{i}" for i in range(len(names))]


def _header_index(head: list[tuple[int, list[str | None]]]) -> int | None:
    """Index in ``head`` of the first row that looks like column names."""
    widths = [len(_filled(cells)) for _, cells in head]
    width = max(widths, default=0)
    for index, (_, cells) in enumerate(head):
        filled = _filled(cells)
        texts = [c for c in filled if not _is_number(c)]
        # "Mostly": more than half the sheet's width filled, and more than half of it text.
        if filled and 2 * len(filled) > width and 2 * len(texts) > len(filled):
            return index
    return None


def _filled(cells: list[str | None]) -> list[str]:
    return [c for c in cells if c is not None and c.strip()]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _trimmed(cells: list[str | None]) -> list[str | None]:
    """Cells without the empty ones at the end of the row."""
    end = len(cells)
    while end and (cells[end - 1] is None or not str(cells[end - 1]).strip()):
        end -= 1
    return cells[:end]


def _text(value: object) -> str | None:
    """A cell as the text a CSV export would hold."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Excel stores every number as a float: 1001 is 1001.0, and an id must stay "1001".
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        # Excel has no date-only type: a date cell is a datetime at midnight.
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        shown = f"{secs:02.0f}" if secs == int(secs) else f"{secs:09.6f}"
        return f"{sign}{int(hours)}:{int(minutes):02d}:{shown}"
    return str(value)
