"""Aligned text files: whitespace-delimited, or fixed-width columns.

``[source] delimiter = "whitespace"``: fields are separated by runs of spaces or tabs, so a
report padded into columns reads as a table; a field holding spaces is written in double
quotes (``"Take in charge"``, ``""`` inside for a quote). ``[source] widths = [10, 25, 8]``:
each field is that many characters of the line, left to right, trimmed; the first non-blank
line is the header, split the same way. Lines go through the same checks in both cases: a
line with the wrong number of fields (or, fixed-width, text past the last column) is a
malformed record for the quarantine, numbered like a CSV record (the n-th non-blank line
after the header).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from supportkpi.errors import InputError
from supportkpi.ingest.raw_table import RawFile, RecordBuilder, unique_names

#: A double-quoted field (``""`` is a quote inside it) or a run of non-blank characters.
_TOKEN = re.compile(r'"((?:[^"]|"")*)"|(\S+)')

Split = Callable[[str], tuple[list[str], str | None]]  # fields, and why the line is malformed


def read_whitespace(
    path: Path, encoding: str = "utf-8", null_values: tuple[str, ...] = ()
) -> RawFile:
    """Read a whitespace-delimited file (header line first) into a :class:`RawFile`."""
    return _read(path, encoding, null_values, _split_whitespace)


def read_fixed_width(
    path: Path,
    widths: tuple[int, ...],
    encoding: str = "utf-8",
    null_values: tuple[str, ...] = (),
) -> RawFile:
    """Read a fixed-width file whose columns are ``widths`` characters wide."""
    bounds = []
    start = 0
    for width in widths:
        bounds.append((start, start + width))
        start += width

    def split(line: str) -> tuple[list[str], str | None]:
        fields = [line[a:b].strip() for a, b in bounds]
        beyond = line[start:].strip()
        if beyond:
            return fields, f"text past the last column (character {start + 1} on): {beyond!r}"
        return fields, None

    return _read(path, encoding, null_values, split)


def _split_whitespace(line: str) -> tuple[list[str], str | None]:
    fields = [bare or quoted.replace('""', '"') for quoted, bare in _TOKEN.findall(line)]
    return fields, None


def _read(path: Path, encoding: str, null_values: tuple[str, ...], split: Split) -> RawFile:
    label = path.name
    try:
        lines = _lines(path, encoding)
        header = next(lines, None)
        if header is None:
            raise InputError(f"{label}: the file is empty (no header row)")
        names, warnings = unique_names(split(header)[0])
        builder = RecordBuilder(null_values)
        builder.declare(names)
        for number, line in enumerate(lines, start=1):
            fields, problem = split(line)
            if problem is None and len(fields) != len(names):
                problem = f"expected {len(names)} fields, found {len(fields)}"
            if problem is not None:
                builder.reject(number, line, problem)
                continue
            builder.add(number, dict(zip(names, fields, strict=True)))
        return builder.finish(warnings)
    except (OSError, UnicodeDecodeError, pa.ArrowInvalid) as exc:
        raise InputError(f"{label}: cannot read as aligned text: {exc}") from None


def _lines(path: Path, encoding: str) -> Iterator[str]:
    """The file's non-blank lines, without line ends (compressed files are decompressed)."""
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    stream = pa.input_stream(str(path), compression="detect")
    with io.TextIOWrapper(stream, encoding=codec, newline=None) as text:
        for line in text:
            line = line.rstrip("\r\n")
            if line.strip():
                yield line
