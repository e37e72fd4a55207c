"""``supportkpi sync NAME --db PATH --config FILE``: pull a live source's changes (issue 18)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from supportkpi.cli.data_commands import DbOption, JsonOption

if TYPE_CHECKING:
    from supportkpi.config.sources import SourceSettings
    from supportkpi.sync import SyncResult
    from supportkpi.sync.page import Page
    from supportkpi.sync.run import OnPage


def register(app: typer.Typer) -> None:
    """Add ``sync`` to the ``supportkpi`` app."""
    app.command("sync")(sync)


def sync(
    name: Annotated[
        str, typer.Argument(help="The source: the name of a sources.NAME table of the config.")
    ],
    db: DbOption,
    config: Annotated[
        Path, typer.Option("--config", help="TOML config holding the sources.NAME table.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Fetch what changed in a help desk since the last sync and load it (docs/connectors.md)."""
    from supportkpi.config import load_settings
    from supportkpi.errors import InputError
    from supportkpi.sync import sync_source

    settings = load_settings(config)
    source = settings.sources.get(name)
    if source is None:
        known = ", ".join(settings.sources) or "none"
        raise InputError(f"{config}: no [sources.{name}] (sources: {known})")
    with _progress_bar(source, enabled=not as_json) as on_page:
        result = sync_source(db, source, on_page=on_page)
    if as_json:
        typer.echo(json.dumps(_as_dict(result)))
        return
    _render(result, db)


@contextmanager
def _progress_bar(source: SourceSettings, enabled: bool) -> Iterator[OnPage | None]:
    """A bar on stderr per stream, from the source's start to now, when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    begin, now = source.start.timestamp(), time.time()
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[n]}"),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, TaskID] = {}
        counts: dict[str, int] = {}

        def on_page(page: Page) -> None:
            stream = page.stream
            if stream not in tasks:
                tasks[stream] = bar.add_task(f"{source.name} {stream}", total=now - begin, n="")
            counts[stream] = counts.get(stream, 0) + len(page.records)
            reached = page.reached
            done = None if reached is None else min(max(reached - begin, 0.0), now - begin)
            bar.update(tasks[stream], completed=done, n=f"{counts[stream]} records")

        yield on_page


def _as_dict(result: SyncResult) -> dict[str, object]:
    loads = [{"file": s.file, **{k: v for k, v in s.as_dict().items() if k != "file"}}
             for s in result.summaries]  # fmt: skip
    return {"source": result.source, "pages": result.pages, "requests": result.requests,
            "records": result.records, "loads": loads}  # fmt: skip


def _render(result: SyncResult, db: Path) -> None:
    fetched = ", ".join(f"{n} {stream}" for stream, n in result.records.items())
    typer.echo(
        f"sync {result.source}: {result.pages} pages in {result.requests} requests "
        f"({fetched}) into {db}"
    )
    totals: dict[str, list[int]] = {}
    for s in result.summaries:
        row = totals.setdefault(s.table, [0, 0, 0, 0])
        for i, n in enumerate((s.inserted, s.updated, s.unchanged, s.rejected)):
            row[i] += n
    for table, (inserted, updated, unchanged, rejected) in totals.items():
        typer.echo(
            f"  {table}: {inserted} inserted, {updated} updated, {unchanged} unchanged, "
            f"{rejected} quarantined"
        )
