"""Read a source file into Arrow, numbering every data record and setting malformed ones aside.

Row numbers are 1-based data-record numbers: for CSV/TSV and aligned text the n-th record
after the header (blank lines are not records), for JSON Lines the line number, for Parquet
the row position, for XES the event's position, for Excel the sheet's row number.
Malformed records (a CSV line with the wrong number of fields, a JSON line that is not an
object) do not stop the load: they come back in ``RawFile.malformed`` for the quarantine.
Excel, XES and aligned text have their own modules (:mod:`~supportkpi.ingest.xlsx_reader`,
:mod:`~supportkpi.ingest.xes_reader`, :mod:`~supportkpi.ingest.text_reader`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from supportkpi.errors import InputError, UnsupportedError
from supportkpi.ingest.raw_table import ROW, RawFile, malformed_table, numbered, unique_names
from supportkpi.ingest.text_reader import read_fixed_width, read_whitespace
from supportkpi.ingest.xes_reader import read_xes
from supportkpi.ingest.xlsx_reader import read_xlsx

__all__ = ["FORMATS", "ROW", "RawFile", "detect_format", "read_raw"]

#: Every format a file can be read as (``--format``, ``[source] format``).
FORMATS = ("csv", "tsv", "parquet", "jsonl", "xlsx", "xes")
#: ``[source] delimiter`` value that splits fields on runs of blanks.
WHITESPACE = "whitespace"

_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xes": "xes",
}
_ALIASES = {"ndjson": "jsonl", "json": "jsonl", "json_lines": "jsonl", "excel": "xlsx"}
_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")
_LISTED = "csv, tsv, parquet, jsonl, xlsx or xes"


def detect_format(path: Path, requested: str | None) -> str:
    """The format named by ``requested``, else the one the file extension implies."""
    if requested:
        fmt = _ALIASES.get(requested.lower(), requested.lower())
        if fmt == "xls":
            raise UnsupportedError(_OLD_EXCEL)
        if fmt not in FORMATS:
            raise InputError(f"unknown format {requested!r}; use {_LISTED}")
        return fmt
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext == ".xls":
        raise UnsupportedError(f"{path.name}: {_OLD_EXCEL}")
    if ext not in _EXTENSIONS:
        raise InputError(
            f"{path.name}: cannot tell the format from the extension; pass --format {_LISTED}"
        )
    if _EXTENSIONS[ext] == "xlsx" and len(suffixes) < len(path.suffixes):
        raise InputError(f"{path.name}: an Excel workbook is already compressed; unpack it")
    return _EXTENSIONS[ext]


_OLD_EXCEL = (
    "old Excel .xls workbooks are not supported; save the sheet as .xlsx (Excel 2007+) or CSV"
)


def read_raw(
    path: Path,
    fmt: str,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    null_values: tuple[str, ...] = (),
    sheet: str | None = None,
    widths: tuple[int, ...] = (),
) -> RawFile:
    """Read ``path`` as ``fmt`` (see ``FORMATS``) into a :class:`RawFile`.

    ``sheet`` names an Excel sheet (default the first). For csv/tsv, ``widths`` reads
    fixed-width columns and ``delimiter="whitespace"`` splits fields on runs of blanks.
    """
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if fmt == "xlsx":
        return read_xlsx(path, sheet, null_values)
    if fmt == "xes":
        return read_xes(path, null_values)
    if fmt in ("csv", "tsv") and widths:
        return read_fixed_width(path, widths, encoding, null_values)
    if fmt in ("csv", "tsv") and delimiter == WHITESPACE:
        return read_whitespace(path, encoding, null_values)
    try:
        if fmt in ("csv", "tsv"):
            sep = delimiter or ("\t" if fmt == "tsv" else ",")
            return _read_csv(path, sep, encoding, null_values)
        if fmt == "parquet":
            table = pq.read_table(path)
            return RawFile(numbered(table, np.arange(1, table.num_rows + 1)), malformed_table([]))
        return _read_jsonl(path, null_values)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: cannot read as {fmt}: {_first_line(exc)}") from None


def _read_csv(path: Path, sep: str, encoding: str, null_values: tuple[str, ...]) -> RawFile:
    header = _csv_header(path, sep, encoding)
    names, warnings = unique_names(header)
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        null_values=list(null_values),
        strings_can_be_null=bool(null_values),
        quoted_strings_can_be_null=False,
    )
    # Threads are fast but cannot number malformed records; a file that has some is re-read
    # serially, which numbers them (pyarrow counts records, header included, blank lines not).
    for use_threads in (True, False):
        bad: list[tuple[int | None, str, int, int]] = []

        def on_invalid(row: Any, bad: list[tuple[int | None, str, int, int]] = bad) -> str:
            bad.append((row.number, row.text, row.expected_columns, row.actual_columns))
            return "skip"

        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=use_threads,
                encoding=encoding,
                # renamed columns: give the names, skip the header record
                column_names=names if names != header else None,
                skip_rows=1 if names != header else 0,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=convert,
        )
        if not bad:
            rows = np.arange(1, table.num_rows + 1)
            return RawFile(numbered(table, rows), malformed_table([]), warnings)
        if all(number is not None for number, *_ in bad):
            break
    bad_rows = np.array([number - 1 for number, *_ in bad if number is not None], dtype=np.int64)
    all_rows = np.arange(1, table.num_rows + len(bad_rows) + 1)
    good_rows = np.delete(all_rows, bad_rows - 1)
    malformed = [
        (int(number) - 1, text, f"expected {expected} fields, found {actual}")
        for number, text, expected, actual in bad
        if number is not None
    ]
    return RawFile(numbered(table, good_rows), malformed_table(malformed), warnings)


def _csv_header(path: Path, sep: str, encoding: str) -> list[str]:
    """Column names, read by pyarrow itself so quoting, BOM and compression match the body."""
    try:
        with pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, invalid_row_handler=lambda _: "skip"
            ),
        ) as reader:
            return list(reader.schema.names)
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise InputError(f"{path.name}: the file is empty (no header row)") from None
        raise


def _read_jsonl(path: Path, null_values: tuple[str, ...]) -> RawFile:
    columns: dict[str, list[str | None]] = {}
    rows: list[int] = []
    malformed: list[tuple[int, str, str]] = []
    nulls = set(null_values)
    with open(path, encoding="utf-8-sig") as fh:
        for line_number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                malformed.append((line_number, line.rstrip("\n"), f"not valid JSON: {exc.msg}"))
                continue
            if not isinstance(record, dict):
                malformed.append((line_number, line.rstrip("\n"), "not a JSON object"))
                continue
            index = len(rows)
            rows.append(line_number)
            for key, value in record.items():
                column = columns.setdefault(str(key), [None] * index)
                column.append(_json_text(value, nulls))
            for column in columns.values():
                if len(column) == index:
                    column.append(None)
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    return RawFile(numbered(table, np.array(rows, dtype=np.int64)), malformed_table(malformed))


def _json_text(value: object, nulls: set[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return None if text in nulls else text


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
