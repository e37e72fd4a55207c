"""Shared pieces of the help-desk profiles: reading API pages, writing converted parts.

Help desks export through their REST APIs: a file is one response page (``{"tickets":
[...]}``), a bare JSON array, or JSON Lines (one object, or one page, a line). JSON Lines
are read line by line; a one-document file is read whole with the standard library.
Converted rows go to JSON Lines files in the import's work directory, one per canonical
table, so the ordinary loader validates, quarantines and counts them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportkpi.errors import InputError
from supportkpi.ingest.profiles.base import Part
from supportkpi.schema import get_table

#: Source columns the converters add to every row: where it came from, and why it could
#: not become a row when that is so (both are kept in the quarantine's source row).
ORIGIN = "_source"
PROBLEM = "_problem"
#: The channel of a ticket whose export does not say, as for tickets derived from events.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Record:
    """One object of an export: what holds it (a page key, or None), and where it is."""

    key: str | None
    value: Any
    where: str


def read_records(path: Path, keys: Iterable[str], system: str) -> Iterator[Record]:
    """Every record of ``path``: the items of each page's ``keys`` lists, or the objects
    themselves (bare arrays, JSON Lines of records). A page key holding one object (the
    ``{"ticket": {...}}`` of a show endpoint) gives that object. A file that is not JSON
    is an :class:`InputError` naming ``system``."""
    wanted = tuple(keys)
    for where, value in _documents(path, system):
        for at, item in _items(f"{path.name} {where}", value):
            paged = isinstance(item, dict) and any(k in item for k in wanted)
            if not paged:
                yield Record(None, item, at)
                continue
            for key in wanted:
                inner = item.get(key)
                if isinstance(inner, list):
                    for n, member in enumerate(inner, start=1):
                        yield Record(key, member, f"{at} {key}[{n}]")
                elif isinstance(inner, dict):
                    yield Record(key, inner, f"{at} {key}")


def _items(where: str, value: Any) -> Iterator[tuple[str, Any]]:
    """A value's objects: itself, or the members of an array (arrays of arrays too: one
    API response per ticket, saved together)."""
    if not isinstance(value, list):
        yield where, value
        return
    for index, item in enumerate(value, start=1):
        yield from _items(f"{where} item {index}", item)


def _documents(path: Path, system: str) -> Iterator[tuple[str, Any]]:
    """The file's one JSON document, or each line of a JSON Lines file."""
    not_json = f"{path.name}: not a {system} export: the file is not JSON"
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = fh.readline()
            rest = fh.readline()
            while rest and not rest.strip():
                rest = fh.readline()
            one_line = _parse(first)
            if one_line is not _BAD and rest:  # JSON Lines: stream it
                yield "line 1", one_line
                yield from _lines(fh, rest, start=2)
                return
    except UnicodeDecodeError:
        raise InputError(f"{not_json} (it is not UTF-8 text)") from None
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        detail = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise InputError(f"{not_json} ({detail})") from None
    yield "document", document


_BAD = object()


def _parse(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return _BAD


def _lines(fh: Any, pending: str, start: int) -> Iterator[tuple[str, Any]]:
    number = start
    line: str | None = pending
    while line:
        if line.strip():
            value = _parse(line)
            # A broken line is still a record: it reaches the loader and is quarantined.
            yield (
                f"line {number}",
                ({PROBLEM: "not valid JSON", "text": line.strip()} if value is _BAD else value),
            )
        line = fh.readline()
        number += 1


def utc_text(value: Any) -> str | None:
    """An API time as ISO 8601: unix seconds become UTC, texts are kept as written; zero
    and empty values (Chatwoot writes ``0`` for "never") are None."""
    if value is None or value == "" or value == 0 or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).isoformat()
    if isinstance(value, str) and value.isdigit():
        return datetime.fromtimestamp(int(value), UTC).isoformat()
    return str(value)


def id_text(value: Any) -> str | None:
    """An id as text (``123`` and ``"123"`` are one id); empty is None."""
    if value is None or value == "" or isinstance(value, bool | dict | list):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def source_fields(record: dict[str, Any], prefix: str = "source:") -> dict[str, Any]:
    """The record's own fields under ``source:<name>``, for ``--map`` to map extra ones."""
    return {prefix + key: value for key, value in record.items()}


@dataclass
class PartWriter:
    """Rows of one canonical table, written as JSON Lines into the work directory."""

    table: str
    path: Path
    labels: list[str] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)
    rows: int = 0
    _handle: Any = None

    def add(self, row: dict[str, Any], origin: Path) -> None:
        """Write one row, converted from a record of the user's file ``origin``."""
        if origin.name not in self.labels:
            self.labels.append(origin.name)
        if self._handle is None:
            # Kept open across add() calls (rows stream out); part() closes it.
            self._handle = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        # Required columns stay even when empty, so a row missing one is quarantined for
        # it rather than the whole file lacking the column.
        required = {c.name for c in get_table(self.table).columns if c.required}
        clean = {k: v for k, v in row.items() if v is not None or k in required}
        clean.update({name: None for name in required - clean.keys()})
        self.columns.update(clean)
        self._handle.write(json.dumps(clean, ensure_ascii=False, default=str) + "\n")
        self.rows += 1

    def part(self, source: dict[str, Any] | None = None) -> Part | None:
        """The load of these rows (None when there are none). Its mapping names the
        canonical columns the rows hold, and only those, so a ``--map`` that maps one more
        (from a ``source:*`` field) changes just that column; ``source`` adds ``[source]``
        settings."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if not self.rows:
            return None
        names = [c.name for c in get_table(self.table).columns if c.name in self.columns]
        settings = {"implicit_columns": False, **(source or {})}
        if settings.get("order_by") not in (None, *names):
            del settings["order_by"]  # no row has it: the file order decides
        mapping = {
            "source": settings,
            "columns": {name: name for name in names},
        }
        label = ", ".join(self.labels)
        return Part(self.table, self.path, mapping, format="jsonl", label=label)


def loads(
    parts: Iterable[Part | None], paths: Sequence[Path], system: str, expects: str
) -> list[Part]:
    """The parts that have rows; an :class:`InputError` when no file held any record."""
    found = [part for part in parts if part is not None]
    if not found:
        names = ", ".join(path.name for path in paths)
        raise InputError(f"{names}: no {system} records to load (expected {expects})")
    return found


def writers(workdir: Path, *tables: str) -> dict[str, PartWriter]:
    """One writer per table, files ``<table>.jsonl`` in ``workdir``."""
    return {t: PartWriter(t, workdir / f"{t}.jsonl") for t in tables}


def not_export(path: Path, system: str, expects: str) -> InputError:
    """The one-sentence error for a file that is not ``system``'s export, saying what its
    first document or line holds instead."""
    found = first_value(path, system)
    if isinstance(found, dict):
        seen = "its keys are " + ", ".join(sorted(map(str, found))[:8]) if found else "it is {}"
    elif isinstance(found, list) and found and isinstance(found[0], dict):
        seen = "its first record has keys " + ", ".join(sorted(map(str, found[0]))[:8])
    elif isinstance(found, list):
        seen = "it is an empty array" if not found else "its records are not objects"
    else:
        seen = f"it holds a {type(found).__name__}"
    return InputError(f"{path.name}: not a {system} export: expected {expects}, but {seen}")


def first_value(path: Path, system: str) -> Any:
    """The first document or line of a file (for error messages)."""
    for _, value in _documents(path, system):
        return value
    return None
