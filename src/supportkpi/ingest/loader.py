"""Load files into the store: read, map, validate, then write everything in one transaction.

>>> from supportkpi.store import Store
>>> store = Store(":memory:")
>>> # summary = ingest_file(store, "tickets", "tickets.csv", mapping="mapping.toml")

One file is one load: the upsert, the quarantine, the derived tickets and the load-log entry
are committed together or not at all. ``rows_in == inserted + updated + unchanged +
rejected`` holds for every load; a file that breaks it is a bug, and the load is refused.
A load also closes the open quarantine entries of earlier loads that it stored again (or
rejected again), see :mod:`supportkpi.store.quarantine`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from supportkpi.errors import InputError
from supportkpi.ingest.casts import CastOptions
from supportkpi.ingest.cost_periods import overlap_warnings
from supportkpi.ingest.mapping import load_mapping
from supportkpi.ingest.mapping_model import Mapping
from supportkpi.ingest.plan import LoadPlan, plan_load
from supportkpi.ingest.readers import ROW, detect_format, read_raw
from supportkpi.ingest.source_names import prepare_columns
from supportkpi.ingest.validate import Validated, drop_work_tables, time_travel_count, validate
from supportkpi.schema import Table, get_table
from supportkpi.sentiment import score_events
from supportkpi.store import LOAD_LOG, QUARANTINE, LoadSummary, Store, file_hash
from supportkpi.store.derive import derive_tickets, replace_derived, unknown_ticket_events
from supportkpi.store.quarantine import close_entries, open_entries_of, stored_keys

#: Called with a stage name: "read", "validated", "written" (before commit), "committed".
Progress = Callable[[str], None]
MappingSource = str | Path | dict[str, Any] | Mapping | None
SELF_DESCRIBING = ("xes", "xlsx", "parquet")


def ingest_file(
    store: Store,
    table: str,
    path: str | Path,
    mapping: MappingSource = None,
    format: str | None = None,
    progress: Progress | None = None,
    label: str | None = None,
) -> LoadSummary:
    """Load one file into ``table``; return what the load did.

    ``mapping`` is a TOML path, a parsed dict or a :class:`Mapping` (see
    :mod:`supportkpi.ingest.mapping`); ``format`` overrides the extension (csv, tsv,
    parquet, jsonl). Whole-file problems (unknown table, missing file, missing required
    column) raise :class:`~supportkpi.errors.InputError`; bad rows are quarantined.
    ``label`` is the file name the summary, the load log and the quarantine record instead
    of ``path`` (an import profile's converted file stands for the user's export).
    """
    spec = get_table(table)
    resolved = load_mapping(mapping, spec)
    notify = progress or (lambda _stage: None)
    keyed_open, keyless_open = open_entries_of(store.con, spec.name)
    summary, checked, _ = read_and_validate(
        store, spec, resolved, Path(path), format, notify, source_rows=keyless_open > 0
    )
    content_hash = file_hash(path)
    if label is not None:
        summary.file = label
    good, rejects = checked.good, checked.rejects
    if spec.name == "ticket_events":
        good = score_events(good)  # scored once here, never per query
    with store.transaction():
        load_id = store.next_load_id()
        if spec.name == "tickets" and good.num_rows:
            replaced = replace_derived(store, good.column("ticket_id"))
            if replaced:
                summary.warnings.append(
                    f"replaced {replaced} tickets derived from events with the loaded rows"
                )
        summary.inserted, summary.updated, summary.unchanged = store.upsert(spec, good)
        summary.rejected = rejects.num_rows
        if keyed_open or keyless_open or checked.stored_links is not None:
            summary.resolved = _close_entries(store, load_id, spec, checked, keyed_open > 0)
        store.quarantine(load_id, spec.name, summary.file, rejects)
        if spec.name == "costs" and good.num_rows:
            summary.warnings.extend(overlap_warnings(store.con, good))
        if spec.name == "ticket_events" and good.num_rows:
            summary.warnings.extend(_derive(store, good.column("ticket_id"), resolved))
        if not summary.reconciles:
            raise RuntimeError(f"load does not reconcile: {summary}")  # a bug, not bad input
        store.log_load(load_id, summary, content_hash)
        notify("written")
    notify("committed")
    return summary


def read_and_validate(
    store: Store,
    spec: Table,
    mapping: Mapping,
    source: Path,
    fmt: str | None,
    notify: Progress,
    source_rows: bool = False,
) -> tuple[LoadSummary, Validated, LoadPlan]:
    """Read and validate one file, outside any transaction; the raw table dies here."""
    label = source.name
    resolved_format = source_format(source, fmt, mapping)
    raw = read_raw(
        source, resolved_format, mapping.delimiter, mapping.encoding, mapping.null_values,
        sheet=mapping.sheet, widths=mapping.widths,
    )  # fmt: skip
    raw = prepare_columns(raw, mapping, label)
    notify("read")
    columns = [c for c in raw.table.column_names if c != ROW]
    known_columns = resolved_format != "jsonl" or raw.table.num_rows > 0
    plan = plan_load(spec, mapping, columns, label, check=known_columns)
    options = CastOptions(mapping.timezone, mapping.date_formats, mapping.durations)
    summary = LoadSummary(table=spec.name, rows_in=raw.rows_in, file=str(source))
    summary.warnings.extend(raw.warnings + plan.warnings)
    try:
        checked = validate(store.con, raw, plan, options, label, source_rows)
        notify("validated")
        travelled = time_travel_count(store.con, plan)
    finally:
        drop_work_tables(store.con)
    if travelled:
        summary.warnings.append(
            f"{travelled} tickets answered, solved or closed before they were created "
            "(time travel); stored, and left out of duration statistics"
        )
    return summary, checked, plan


def source_format(source: Path, requested: str | None, mapping: Mapping) -> str:
    """``--format``, else the mapping's format, else the extension's.

    A file whose extension names a self-describing format (``.xes``, ``.xlsx``, ``.parquet``)
    is read as that even when the mapping says ``csv``: the mapping of a CSV event log then
    loads the same log's XES unchanged.
    """
    if requested:
        return detect_format(source, requested)
    if mapping.format is not None:
        try:
            own = detect_format(source, None)
        except InputError:
            own = None
        if own in SELF_DESCRIBING:
            return own
    return detect_format(source, mapping.format)


def _close_entries(
    store: Store, load_id: int, spec: Table, checked: Validated, match_keys: bool
) -> int:
    """Close earlier entries this load stored (return how many) or rejected again."""
    good, rejects = checked.good, checked.rejects
    keys = stored_keys(store.con, spec.key, good) if match_keys and good.num_rows else None
    resolved = close_entries(
        store.con, load_id, spec.name, "stored",
        keys=keys, links=checked.stored_links, sources=checked.stored_sources,
    )  # fmt: skip
    keyless = rejects.filter(pc.is_null(rejects.column("row_key")))
    close_entries(
        store.con, load_id, spec.name, "superseded",
        keys=rejects.select(["row_key"]),
        links=rejects.select(["from_load", "from_row"]),
        sources=pa.table({"source_row": keyless.column("source_row")}),
    )  # fmt: skip
    return resolved


def ingest_files(
    store: Store,
    table: str,
    paths: Sequence[str | Path],
    mapping: MappingSource = None,
    format: str | None = None,
    progress: Progress | None = None,
) -> list[LoadSummary]:
    """Load several files into ``table``, one atomic load per file, in the order given.

    Every file is checked to exist before the first is loaded.
    """
    resolved = check_inputs(table, paths, mapping)
    return [ingest_file(store, table, p, resolved, format, progress) for p in paths]


def check_inputs(table: str, paths: Sequence[str | Path], mapping: MappingSource = None) -> Mapping:
    """Fail early, before touching the store: unknown table, missing file, bad mapping."""
    spec = get_table(table)
    for path in paths:
        if not Path(path).is_file():
            raise InputError(f"{path}: file not found")
    return load_mapping(mapping, spec)


def recent_rejects(store: Store, loads: int = 1, limit: int = 5) -> list[str]:
    """The first ``limit`` messages of open quarantine entries of the last ``loads`` loads."""
    rows = store.con.execute(
        f"""SELECT message FROM {QUARANTINE}
           WHERE load_id > (SELECT coalesce(max(load_id), 0) FROM {LOAD_LOG}) - $loads
             AND resolved_by IS NULL
           ORDER BY load_id, row_number LIMIT $limit""",
        {"loads": loads, "limit": limit},
    ).fetchall()
    return [row[0] for row in rows]


def recent_left_out(store: Store, loads: int = 1) -> int:
    """Rows the mapping left out on purpose in the last ``loads`` loads (``LEFT_OUT_RULES``:
    quarantined with their reason, resolved at once)."""
    row = store.con.execute(
        f"""SELECT count(*) FROM {QUARANTINE}
           WHERE load_id > (SELECT coalesce(max(load_id), 0) FROM {LOAD_LOG}) - $loads
             AND resolution = 'left out'""",
        {"loads": loads},
    ).fetchone()
    return int(row[0]) if row else 0


def _derive(store: Store, ticket_ids: Any, mapping: Mapping) -> list[str]:
    warnings = []
    events, tickets = unknown_ticket_events(store, ticket_ids)
    if events:
        warnings.append(
            f"{events} events refer to {tickets} tickets not in the tickets table; "
            "kept, with tickets derived from the events"
        )
    result = derive_tickets(store, ticket_ids, mapping.ticket_channel)
    if result.derived:
        warnings.append(
            f"derived {result.derived} tickets from events ({result.inserted} new, "
            f"{result.updated} updated, {result.unchanged} unchanged)"
        )
    return warnings
