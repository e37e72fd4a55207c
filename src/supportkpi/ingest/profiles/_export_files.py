"""What the profiles share about the user's files: their columns, checked, one sentence."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from supportkpi.errors import InputError


def csv_header(path: Path, expects: str) -> list[str]:
    """The column names of a CSV, read as the loader reads them (quoting, BOM)."""
    try:
        with pacsv.open_csv(
            path,
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=lambda _: "skip"
            ),
        ) as reader:
            return list(reader.schema.names)
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError):
        message = f"{path.name}: not {expects}: it is not a CSV file with a header row"
        raise InputError(message) from None


def require_columns(
    path: Path, present: Iterable[str], required: Iterable[str], expects: str
) -> None:
    """An :class:`InputError` naming the missing columns when ``present`` lacks any."""
    have = set(present)
    missing = [name for name in required if name not in have]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        listed = ", ".join(repr(name) for name in missing)
        raise InputError(f"{path.name}: not {expects}: missing {noun} {listed}")


def read_csv_text(path: Path, columns: list[str], null_values: tuple[str, ...] = ()) -> pa.Table:
    """``columns`` of a CSV, every one as text (empty cells and ``null_values`` are null)."""
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=lambda _: "skip"
        ),
        convert_options=pacsv.ConvertOptions(
            include_columns=columns,
            column_types={name: pa.string() for name in columns},
            null_values=["", *null_values],
            strings_can_be_null=True,
        ),
    )
