"""Build Arrow columns from numpy code arrays, in the canonical types of ``schema.tables``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from supportkpi.schema import TABLES, ColumnType

#: Canonical Arrow type of each logical column type.
ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.STRING: pa.string(),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.STRING_LIST: pa.list_(pa.string()),
    ColumnType.DATE: pa.date32(),
}


def ids(prefix: str, count: int, width: int = 6) -> pa.Array:
    """``prefix`` followed by 1…count, zero-padded: ``ids("T", 2) == ["T000001", "T000002"]``."""
    numbers = pc.cast(pa.array(np.arange(1, count + 1, dtype=np.int64)), pa.string())
    width = max(width, len(str(count)))
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, width=width, padding="0"), "")


def pick(values: Sequence[str] | pa.Array, codes: np.ndarray) -> pa.Array:
    """``values[code]`` for each code; a negative code gives null."""
    dictionary = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    codes = np.asarray(codes)
    missing = codes < 0
    indices = pa.array(np.where(missing, 0, codes).astype(np.int64), mask=missing)
    return dictionary.take(indices)


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """UTC timestamps from epoch seconds (float seconds keep microseconds)."""
    seconds = np.asarray(seconds)
    if seconds.dtype.kind == "f":
        micros = np.round(seconds * 1_000_000).astype(np.int64)
    else:
        micros = seconds.astype(np.int64) * 1_000_000
    mask = None if valid is None else ~np.asarray(valid, bool)
    return pa.array(micros, pa.int64(), mask=mask).view(pa.timestamp("us", tz="UTC"))


def nullable(values: np.ndarray, valid: np.ndarray, arrow_type: pa.DataType) -> pa.Array:
    """An Arrow array of ``values`` with nulls where ``valid`` is false."""
    return pa.array(values, arrow_type, mask=~np.asarray(valid, bool))


def string_lists(codes: np.ndarray, values: Sequence[str]) -> pa.Array:
    """One list per row from a (rows × k) code matrix; negative codes are left out."""
    present = codes >= 0
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
    flat = pick(values, codes[present])
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def canonical_table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """Order ``columns`` as the canonical table ``name`` and check each has its canonical type.

    Columns the generator does not fill are left out (the store fills them with null).
    """
    spec = TABLES[name]
    arrays, names = [], []
    for column in spec.columns:
        if column.name not in columns:
            continue
        array = columns[column.name]
        expected = ARROW_TYPES[column.type]
        if array.type != expected:
            array = array.cast(expected)
        arrays.append(array)
        names.append(column.name)
    unknown = set(columns) - set(names)
    if unknown:
        raise ValueError(f"{name}: not canonical columns: {sorted(unknown)}")
    return pa.Table.from_arrays(arrays, names=names)
