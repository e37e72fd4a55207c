"""Data commands ``ingest``, ``rejects``, ``export``: each parses, calls the library, renders."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

# The loaders and the store (DuckDB, pyarrow) are imported by the commands, so that the
# CLI starts fast.
if TYPE_CHECKING:
    from supportkpi.ingest.loader import Progress
    from supportkpi.ingest.preview import Preview
    from supportkpi.store import LoadSummary

DbOption = Annotated[Path, typer.Option("--db", help="The supportkpi DuckDB file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Show what would be stored and quarantined; write nothing."),
]

#: The keys of ``ingest --json``, in order (SPEC §6).
_STAGES = {"read": "validating", "validated": "writing", "written": "committing"}


def register(app: typer.Typer) -> None:
    """Add the data commands to the ``supportkpi`` app."""
    app.command()(ingest)
    app.command()(rejects)
    app.command()(export)


def ingest(
    table: Annotated[str, typer.Argument(help="Canonical table, e.g. tickets, ticket_events.")],
    files: Annotated[
        list[Path],
        typer.Argument(help="CSV, TSV, Parquet, JSON Lines, Excel (.xlsx) or XES files."),
    ],
    db: DbOption,
    mapping: Annotated[
        Path | None, typer.Option("--map", help="Mapping file (TOML): columns, values, events.")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="csv, tsv, parquet, jsonl, xlsx or xes.")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Excel: the sheet to read (default the first).")
    ] = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Load files into a canonical table; bad rows go to the quarantine (see `rejects`)."""
    from dataclasses import replace

    from supportkpi.facts import open_store
    from supportkpi.ingest import ingest_files
    from supportkpi.ingest.loader import check_inputs, recent_left_out, recent_rejects
    from supportkpi.store.store import SUMMARY_KEYS

    checked_mapping = check_inputs(table, files, mapping)  # before the database is created
    if sheet is not None:
        checked_mapping = replace(checked_mapping, sheet=sheet)
    if dry_run:
        _dry_run(table, files, checked_mapping, format, as_json)
        return
    with open_store(db) as store, _progress(enabled=not as_json) as progress:
        summaries = ingest_files(store, table, files, checked_mapping, format, progress)
        rejected = any(s.rejected for s in summaries)
        shown = recent_rejects(store, loads=len(summaries)) if rejected else []
        left_out = recent_left_out(store, loads=len(summaries)) if rejected else 0
    if as_json:
        rows = [{key: s.as_dict()[key] for key in SUMMARY_KEYS} for s in summaries]
        typer.echo(json.dumps(rows[0] if len(rows) == 1 else rows))
        return
    _render_summaries(summaries, shown, db, left_out)


def _dry_run(table: str, files: list[Path], mapping: Any, fmt: str | None, as_json: bool) -> None:
    """``ingest --dry-run``: one preview per file; the store is not opened."""
    from supportkpi.ingest.preview import preview_file

    _render_previews([preview_file(table, path, mapping, fmt) for path in files], as_json)


def _render_previews(previews: list[Preview], as_json: bool) -> None:
    """Print dry-run previews: one block (or one JSON object) per file."""
    if as_json:
        rows = [p.as_dict() for p in previews]
        typer.echo(json.dumps(rows[0] if len(rows) == 1 else rows))
        return
    console = Console(highlight=False, soft_wrap=True)  # lines are read and grepped whole
    for p in previews:
        name = Path(p.file).name
        console.print(
            f"{name}: dry run, nothing written. {p.rows_in:,} rows in: {p.would_store:,} "
            f"would be stored in {p.table}, {p.would_quarantine:,} quarantined"
            + (f" ({p.tickets:,} tickets)" if p.tickets is not None else "")
        )
        if p.by_rule:
            counts = Table("rule", "column", "rows", title="would be quarantined")
            for rule, column, n in p.by_rule:
                counts.add_row(rule, column or "", f"{n:,}")
            console.print(counts)
            for message in p.first_rejects:
                console.print(Text.assemble(("rejected: ", "red"), message))
        for source, canonical in p.implicit_columns:
            console.print(f"column {source!r} read as {canonical} (same name, not in the mapping)")
        if p.uncovered_activities is not None:
            if not p.uncovered_activities:
                console.print("every activity has a rule")
            else:
                fate = "take the [events] default" if p.has_default else "are rejected"
                console.print(Text(f"activities with no rule ({fate}):"))  # [events]: no markup
                for activity, n in p.uncovered_activities:
                    console.print(Text(f"  {activity!r}: {n:,} rows"))
        for warning in p.warnings:
            console.print(Text.assemble(("note:", "yellow"), f" {name}: {warning}"))


def rejects(
    db: DbOption,
    as_json: JsonOption = False,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show at most N rows (newest loads first).")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also show entries a later load resolved.")
    ] = False,
    load: Annotated[int | None, typer.Option("--load", help="Only the entries of load N.")] = None,
    table: Annotated[str | None, typer.Option("--table", help="Only the entries of TABLE.")] = None,
    export_to: Annotated[
        Path | None,
        typer.Option("--export", help="Write the open rejected rows in their source columns."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--map", help="With --export: write as this mapping reads.")
    ] = None,
    clear: Annotated[
        bool, typer.Option("--clear", help="Delete the entries of the load given by --load.")
    ] = False,
) -> None:
    """Show the quarantine (open entries, by rule and column first); export or clear it.

    Fix and reload: `rejects --export FILE [--map M]`, edit FILE, then `ingest TABLE FILE
    [--map M]`; a load that stores a rejected row's key resolves its entry.
    """
    from supportkpi.errors import InputError
    from supportkpi.store import Store
    from supportkpi.store.quarantine import clear_load, quarantine_entries

    if clear:
        if load is None:
            raise InputError("--clear needs --load N: the load whose entries to clear")
        with Store(db, create=False) as store, store.transaction() as con:
            cleared = clear_load(con, load)
        noun = "entry" if cleared == 1 else "entries"
        typer.echo(json.dumps({"load": load, "cleared": cleared}) if as_json else
                   f"cleared {cleared} quarantine {noun} of load {load}")  # fmt: skip
        return
    if export_to is not None:
        _export_rejects(db, export_to, table, load, mapping, as_json)
        return
    with Store(db, read_only=True) as store:
        rows = quarantine_entries(store.con, show_all, load, table)
        hidden = (
            0 if show_all else len(quarantine_entries(store.con, True, load, table)) - len(rows)
        )
    if as_json:
        typer.echo(json.dumps(rows[:limit] if limit is not None else rows, default=str))
        return
    _render_rejects(rows, limit, hidden, show_all, db)


def export(
    db: DbOption,
    to: Annotated[Path, typer.Option("--to", help="Directory for <table>.parquet files.")],
) -> None:
    """Write every canonical table as Parquet (DIR/<table>.parquet)."""
    from supportkpi.store import Store

    with Store(db, read_only=True) as store:
        written = store.export(to)
    for path in written:
        typer.echo(str(path))


def _export_rejects(
    db: Path, to: Path, table: str | None, load: int | None, mapping: Path | None, as_json: bool
) -> None:
    from supportkpi.ingest.rejects_export import export_rejects
    from supportkpi.store import Store

    with Store(db, read_only=True) as store:
        done = export_rejects(store, to, table, load, mapping)
    if as_json:
        typer.echo(json.dumps({"file": str(done.path), "table": done.table, "rows": done.rows,
                               "left_out": done.left_out}))  # fmt: skip
        return
    typer.echo(f"wrote {done.rows:,} rejected rows of {done.table} to {done.path}")
    if done.left_out:
        typer.echo(f"left out {done.left_out:,} entries with no source columns (malformed "
                   "records); `supportkpi rejects --json` shows their text")  # fmt: skip
    again = f" --map {mapping}" if mapping is not None else ""
    typer.echo(f"fix them, then: supportkpi ingest {done.table} {done.path} --db {db}{again}")


def _render_rejects(
    rows: list[dict[str, Any]], limit: int | None, hidden: int, show_all: bool, db: Path
) -> None:
    from supportkpi.store.quarantine import rejects_summary

    console = Console()
    if not rows:
        console.print("No open rejects." if hidden else "The quarantine is empty.")
    else:
        which = "All" if show_all else "Open"
        summary = Table(
            "table", "rule", "column", "rows", title=f"{which} rejects by rule and column"
        )
        for s in rejects_summary(rows):
            summary.add_row(s["table_name"], s["rule"], s["column_name"] or "", f"{s['rows']:,}")
        console.print(summary)
        entries = Table("load", "table", "row", "key", "rule", "message")
        if show_all:
            entries.add_column("resolved")
        for r in rows[:limit] if limit is not None else rows:
            key = " | ".join(str(v) for v in (r["row_key"] or {}).values())
            cells = [str(r["load_id"]), r["table_name"], str(r["row_number"] or ""), Text(key),
                     r["rule"], Text(r["message"])]  # fmt: skip
            if show_all:
                by = r["resolved_by"]
                cells.append(f"{r['resolution']} (load {by})" if by is not None else "open")
            entries.add_row(*cells)
        console.print(entries)
    if hidden:
        noun = "entry" if hidden == 1 else "entries"
        console.print(
            f"{hidden:,} closed {noun} not shown (left out by the mapping, or a later load "
            "stored their rows or rejected them again); --all shows them"
        )
    if rows and not show_all:
        console.print(
            f"To fix them: supportkpi rejects --db {db} --export FILE [--map MAPPING], edit "
            "FILE, then load it with `supportkpi ingest` and the same mapping.",
            highlight=False,
        )


def _render_summaries(
    summaries: list[LoadSummary], shown: list[str], db: Path, left_out: int = 0
) -> None:
    console = Console()
    table = Table("file", "table", "rows in", "inserted", "updated", "unchanged", "rejected")
    for s in summaries:
        table.add_row(
            Path(s.file).name, s.table,
            *(f"{n:,}" for n in (s.rows_in, s.inserted, s.updated, s.unchanged, s.rejected)),
        )  # fmt: skip
    console.print(table)
    for s in summaries:
        # Warnings name mapping sections ("[source]"): plain text, not console markup.
        for warning in s.warnings:
            console.print(Text.assemble(("note:", "yellow"), f" {Path(s.file).name}: {warning}"))
        if s.resolved:
            noun = "entry" if s.resolved == 1 else "entries"
            console.print(
                f"{Path(s.file).name}: resolved {s.resolved:,} quarantine {noun} "
                "of earlier loads (their rows are now stored)",
                highlight=False,
            )
    rejected = sum(s.rejected for s in summaries) - left_out
    if rejected:
        for message in shown:
            console.print(Text.assemble(("rejected: ", "red"), message))
        console.print(
            f"{rejected:,} rows rejected; see `supportkpi rejects --db {db}`", highlight=False
        )
    if left_out:
        noun = "row" if left_out == 1 else "rows"
        console.print(  # plain text: "[filter]" is not console markup
            Text(
                f"{left_out:,} {noun} left out by the mapping ([filter], older snapshots); "
                f"`supportkpi rejects --db {db} --all` lists them"
            )
        )


@contextmanager
def _progress(enabled: bool) -> Iterator[Progress | None]:
    """A spinner on stderr naming the load's stage, when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    console = Console(stderr=True)
    with console.status("reading") as status:
        yield lambda stage: status.update(_STAGES.get(stage, stage))
