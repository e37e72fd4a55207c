"""XES event logs (IEEE 1849, ``.xes`` and ``.xes.gz``) as raw tables: one row per event.

Each event's attributes become columns named by their keys (``concept:name``,
``time:timestamp``, ``org:resource``); the attributes of its trace become columns prefixed
``case:`` (``case:concept:name``), as pm4py and Disco name them when they flatten a log to
CSV, so the mapping written for the CSV of a log loads its XES unchanged. Values are the
attributes' texts: ``string``, ``id``, ``int``, ``float`` and ``date`` as written (an XES
date is ISO 8601, usually with an offset), ``boolean`` as ``true``/``false``; a ``list`` or
``container`` becomes a JSON array of its members' values. Attributes nested inside an
attribute, log-level attributes and ``<global>`` defaults are not columns.

Rows are numbered by the event's position in the file (1 = the first event). The file is
read by streaming (``iterparse``), and each trace is dropped from the tree once its events
are taken, so memory grows with the table, not with the XML tree.
"""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO

from supportkpi.errors import InputError
from supportkpi.ingest.raw_table import RawFile, RecordBuilder

#: The XES attribute elements that hold one value in ``value``.
SCALAR_TYPES = frozenset(("string", "date", "int", "float", "boolean", "id"))
COMPOUND_TYPES = frozenset(("list", "container"))
_GZIP_MAGIC = b"\x1f\x8b"


def read_xes(path: Path, null_values: tuple[str, ...] = ()) -> RawFile:
    """Read an XES log (plain or gzip-compressed) into a :class:`RawFile`."""
    builder = RecordBuilder(null_values)
    warnings: list[str] = []
    with _open(path) as fh:
        try:
            _parse(fh, path.name, builder, warnings)
        except ET.ParseError as exc:
            raise InputError(f"{path.name}: not a well-formed XES (XML) file: {exc}") from None
        except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
            raise InputError(f"{path.name}: cannot read as xes: {exc}") from None
    return builder.finish(warnings)


def _open(path: Path) -> IO[bytes]:
    with open(path, "rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    if compressed:  # by content, not by name: .xes.gz and .xez alike
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _parse(fh: IO[bytes], label: str, builder: RecordBuilder, warnings: list[str]) -> None:
    root: ET.Element | None = None
    in_trace = False
    pending: list[tuple[int, dict[str, str | None]]] = []  # the current trace's events
    position = 0
    repeated = 0
    for event, elem in ET.iterparse(fh, events=("start", "end")):
        tag = _local(elem.tag)
        if event == "start":
            if root is None:
                if tag != "log":
                    raise InputError(
                        f"{label}: not an XES log: the root element is <{tag}>, not <log>"
                    )
                root = elem
            elif tag == "trace":
                in_trace = True
            continue
        if tag == "event":
            position += 1
            record, repeats = _attributes(elem)
            repeated += repeats
            if in_trace:
                pending.append((position, record))
            else:  # an event outside any trace has no case attributes
                builder.add(position, record)
            elem.clear()
        elif tag == "trace":
            case, repeats = _attributes(elem)
            repeated += repeats
            prefixed = {f"case:{key}": value for key, value in case.items()}
            for row, record in pending:
                builder.add(row, {**record, **prefixed})
            pending = []
            in_trace = False
            elem.clear()
            if root is not None:
                root.remove(elem)  # the cleared trace would otherwise stay in the tree
    if root is None:
        raise InputError(f"{label}: the file holds no XES log")
    if repeated:
        warnings.append(
            f"{repeated} attributes repeat a key of their event or trace; the last value is read"
        )


def _attributes(elem: ET.Element) -> tuple[dict[str, str | None], int]:
    """The direct attribute children of an event or trace, and how many repeated a key."""
    values: dict[str, str | None] = {}
    repeats = 0
    for child in elem:
        kind = _local(child.tag)
        key = child.get("key")
        if key is None:
            continue
        if kind in SCALAR_TYPES:
            value = child.get("value")
            if kind == "boolean" and value is not None:
                value = value.strip().lower()
        elif kind in COMPOUND_TYPES:
            members = [c.get("value") for c in child.iter() if c is not child]
            value = json.dumps([m for m in members if m is not None], ensure_ascii=False)
        else:
            continue  # events of a trace, or an element this reader does not know
        if key in values:
            repeats += 1
        values[key] = value
    return values, repeats


def _local(tag: str) -> str:
    """The tag without its XML namespace (``{http://www.xes-standard.org/}event`` -> event)."""
    return tag.rpartition("}")[2]
