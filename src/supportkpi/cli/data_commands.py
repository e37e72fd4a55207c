"""Data commands ``ingest``, ``rejects``, ``export``: each parses, calls the library, renders."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from supportkpi.ingest import ingest_files
from supportkpi.ingest.loader import Progress, check_inputs, recent_rejects
from supportkpi.store import LoadSummary, Store

DbOption = Annotated[Path, typer.Option("--db", help="The supportkpi DuckDB file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

#: The keys of ``ingest --json``, in order (SPEC §6).
SUMMARY_KEYS = ("table", "rows_in", "inserted", "updated", "unchanged", "rejected")
_STAGES = {"read": "validating", "validated": "writing", "written": "committing"}


def register(app: typer.Typer) -> None:
    """Add the data commands to the ``supportkpi`` app."""
    app.command()(ingest)
    app.command()(rejects)
    app.command()(export)


def ingest(
    table: Annotated[str, typer.Argument(help="Canonical table, e.g. tickets, ticket_events.")],
    files: Annotated[list[Path], typer.Argument(help="CSV, TSV, Parquet or JSON Lines files.")],
    db: DbOption,
    mapping: Annotated[
        Path | None, typer.Option("--map", help="Mapping file (TOML): columns, values, events.")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="csv, tsv, parquet or jsonl.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Load files into a canonical table; bad rows go to the quarantine (see `rejects`)."""
    checked_mapping = check_inputs(table, files, mapping)  # before the database is created
    with Store(db) as store, _progress(enabled=not as_json) as progress:
        summaries = ingest_files(store, table, files, checked_mapping, format, progress)
        rejected = any(s.rejected for s in summaries)
        shown = recent_rejects(store, loads=len(summaries)) if rejected else []
    if as_json:
        rows = [{key: s.as_dict()[key] for key in SUMMARY_KEYS} for s in summaries]
        typer.echo(json.dumps(rows[0] if len(rows) == 1 else rows))
        return
    _render_summaries(summaries, shown, db)


def rejects(
    db: DbOption,
    as_json: JsonOption = False,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show at most N rows (newest loads first).")
    ] = None,
) -> None:
    """Show the quarantine: every rejected row with its file, row, column, value and rule."""
    with Store(db, read_only=True) as store:
        rows = store.rejects().to_pylist()
    rows.sort(key=lambda r: (-r["load_id"], r["file_name"], r["row_number"] or 0))
    if limit is not None:
        rows = rows[:limit]
    if as_json:
        typer.echo(json.dumps(rows, default=str))
        return
    table = Table("load", "table", "rule", "message")
    for r in rows:
        table.add_row(str(r["load_id"]), r["table_name"], r["rule"], Text(r["message"]))
    Console().print(table if rows else "The quarantine is empty.")


def export(
    db: DbOption,
    to: Annotated[Path, typer.Option("--to", help="Directory for <table>.parquet files.")],
) -> None:
    """Write every canonical table as Parquet (DIR/<table>.parquet)."""
    with Store(db, read_only=True) as store:
        written = store.export(to)
    for path in written:
        typer.echo(str(path))


def _render_summaries(summaries: list[LoadSummary], shown: list[str], db: Path) -> None:
    console = Console()
    table = Table("file", "table", "rows in", "inserted", "updated", "unchanged", "rejected")
    for s in summaries:
        table.add_row(
            Path(s.file).name, s.table,
            *(f"{n:,}" for n in (s.rows_in, s.inserted, s.updated, s.unchanged, s.rejected)),
        )  # fmt: skip
    console.print(table)
    for s in summaries:
        for warning in s.warnings:
            console.print(f"[yellow]note:[/yellow] {Path(s.file).name}: {warning}", highlight=False)
    rejected = sum(s.rejected for s in summaries)
    if rejected:
        for message in shown:
            console.print(Text.assemble(("rejected: ", "red"), message))
        console.print(
            f"{rejected:,} rows rejected; see `supportkpi rejects --db {db}`", highlight=False
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
