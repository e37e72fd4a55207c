"""``supportkpi import KIND FILE...``: load a named help desk's export through its profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from supportkpi.cli.data_commands import (
    DbOption,
    DryRunOption,
    JsonOption,
    _progress,
    _render_previews,
    _render_summaries,
)


class _ImportCommand(TyperCommand):
    """Lists the kinds in ``--help``, found only when help is shown (the CLI starts fast)."""

    @property
    def epilog(self) -> str:
        from supportkpi.ingest.profiles import PROFILES

        kinds = "\n".join(f"  {p.name:<11} {p.summary}" for p in PROFILES.values())
        return f"Kinds (docs/importers.md describes each export):\n{kinds}"

    @epilog.setter
    def epilog(self, _value: Any) -> None:
        pass  # click sets it in __init__; the property above is the epilog


def register(app: typer.Typer) -> None:
    """Add ``import`` to the ``supportkpi`` app."""
    app.command("import", cls=_ImportCommand)(import_export)


def import_export(
    kind: Annotated[str, typer.Argument(help="The help desk or log kind, e.g. servicenow.")],
    files: Annotated[list[Path], typer.Argument(help="The export's files.")],
    db: DbOption,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--map", help="Extra mapping (TOML), sections by table (tickets.columns, ...)."
        ),
    ] = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Load a help desk's export with its shipped mapping; bad rows go to the quarantine."""
    from supportkpi.facts import open_store
    from supportkpi.ingest.loader import recent_left_out, recent_rejects
    from supportkpi.ingest.profiles.runner import load_planned, planned_parts, preview_import
    from supportkpi.store.store import SUMMARY_KEYS

    if dry_run:
        previews = preview_import(kind, files, mapping)
        if as_json:
            typer.echo(json.dumps([p.as_dict() for p in previews]))
        else:
            _render_previews(previews, as_json=False)
        return
    # The files are checked and converted before the database is opened (or created).
    with (
        planned_parts(kind, files, mapping) as planned,
        open_store(db) as store,
        _progress(enabled=not as_json) as progress,
    ):
        summaries = load_planned(store, planned, progress)
        rejected = any(s.rejected for s in summaries)
        shown = recent_rejects(store, loads=len(summaries)) if rejected else []
        left_out = recent_left_out(store, loads=len(summaries)) if rejected else 0
    if as_json:
        # ingest's keys, plus the file: one export loads as several parts
        keys = ("file", *SUMMARY_KEYS)
        typer.echo(json.dumps([{key: s.as_dict()[key] for key in keys} for s in summaries]))
        return
    _render_summaries(summaries, shown, db, left_out)
