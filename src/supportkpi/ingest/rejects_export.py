"""Write open quarantine entries back out in their source columns, to be fixed and re-loaded.

The file has the rows' source columns as they were read (the union over the entries, in file
order), then ``EXPORT_COLUMNS``: the entry it came from (``_reject_load``, ``_reject_row``),
the rule and the reason. It is written the way the mapping reads (format, delimiter,
encoding), so ``supportkpi ingest TABLE FILE --map MAPPING`` loads it like the original; the
extra columns are ignored as data, and tell the loader which entries the stored rows resolve.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from supportkpi.errors import InputError
from supportkpi.ingest.mapping import load_mapping
from supportkpi.ingest.readers import detect_format
from supportkpi.schema import get_table
from supportkpi.store import EXPORT_COLUMNS, Store
from supportkpi.store.quarantine import quarantine_entries

_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")


@dataclass
class RejectsExport:
    """What :func:`export_rejects` wrote."""

    path: Path
    table: str
    rows: int
    #: Open entries with no source row to write: malformed records, entries of older stores.
    left_out: int


def export_rejects(
    store: Store,
    path: str | Path,
    table: str | None = None,
    load: int | None = None,
    mapping: str | Path | None = None,
) -> RejectsExport:
    """Write the open rejects of one table (of one load, if given) to ``path``."""
    if table is not None:
        get_table(table)
    target = Path(path)
    if target.suffix.lower() in _COMPRESSED:
        raise InputError(f"{target.name}: cannot write a compressed file; give a plain name")
    entries = quarantine_entries(store.con, load=load, table=table)
    if not entries:
        where = f" of table {table}" if table else ""
        where += f" in load {load}" if load is not None else ""
        raise InputError(f"no open rejects{where}")
    tables = sorted({e["table_name"] for e in entries})
    if len(tables) > 1:
        raise InputError(
            f"the open rejects are of several tables ({', '.join(tables)}); choose one with --table"
        )
    spec = get_table(tables[0])
    read_as = load_mapping(mapping, spec)
    # Excel, XES and aligned text are read, not written: the export takes its file's extension.
    readable_only = read_as.format in ("xlsx", "xes")
    fmt = detect_format(target, None if readable_only else read_as.format)
    if fmt in ("xlsx", "xes"):
        raise InputError(
            f"{target.name}: rejects are written as csv, tsv, jsonl or parquet, not {fmt}; "
            "give the file one of those extensions"
        )
    if read_as.widths or read_as.delimiter == "whitespace":
        raise InputError(
            "the mapping reads aligned text, which the export does not write; export "
            "without --map (as CSV) and load the fixed file with a CSV mapping"
        )
    rows = sorted(
        (e for e in entries if e["source_row"] is not None),
        key=lambda e: (e["load_id"], e["row_number"] or 0),
    )
    columns = list(dict.fromkeys(name for e in rows for name in e["source_row"]))
    columns += EXPORT_COLUMNS
    records = [
        {
            **e["source_row"],
            "_reject_load": str(e["load_id"]),
            "_reject_row": str(e["row_number"]),
            "_reject_rule": e["rule"],
            "_reject_reason": e["message"],
        }
        for e in rows
    ]
    try:
        if fmt in ("csv", "tsv"):
            delimiter = read_as.delimiter or ("\t" if fmt == "tsv" else ",")
            _write_csv(target, columns, records, delimiter, read_as.encoding)
        elif fmt == "jsonl":
            with target.open("w", encoding="utf-8") as out:
                for record in records:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            data = {c: pa.array([r.get(c) for r in records], pa.string()) for c in columns}
            pq.write_table(pa.table(data), target)
    except (OSError, UnicodeEncodeError, LookupError) as exc:
        raise InputError(f"{target}: cannot write the rejects: {exc}") from None
    return RejectsExport(target, spec.name, len(records), len(entries) - len(records))


def _write_csv(
    target: Path,
    columns: list[str],
    records: list[dict[str, Any]],
    delimiter: str,
    encoding: str,
) -> None:
    with target.open("w", encoding=encoding, newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, delimiter=delimiter, restval="")
        writer.writeheader()
        writer.writerows(records)
