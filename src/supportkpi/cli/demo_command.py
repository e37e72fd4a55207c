"""The ``demo`` command: generate the seeded demo data set and load it into a store."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

# `demo` loads its generator on first use; the store (DuckDB) is imported by the command.
from supportkpi import demo

if TYPE_CHECKING:
    from supportkpi.store import LoadSummary


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to the ``supportkpi`` app."""
    app.command(name="demo")(demo_command)


def demo_command(
    db: Annotated[Path, typer.Option("--db", help="The supportkpi DuckDB file to fill.")],
    tickets: Annotated[
        int,
        typer.Option(
            "--tickets", help="Number of tickets; calls, customers and orders scale with it."
        ),
    ] = demo.DEFAULT_TICKETS,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same data.")] = (
        demo.DEFAULT_SEED
    ),
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty the ten tables first (other data is lost).")
    ] = False,
) -> None:
    """Generate a realistic synthetic support operation (18 months, all ten tables) and load it.

    The same --tickets and --seed always give the same data; loading it again changes nothing.
    """
    from supportkpi.facts import open_store

    demo.check_arguments(tickets, seed)  # before the database file is created
    with open_store(db) as store, _progress() as progress:
        summaries = demo.load_demo(store, tickets, seed, replace=replace, progress=progress)
    _render(summaries, db)


def _render(summaries: dict[str, LoadSummary], db: Path) -> None:
    table = Table("table", "rows", "inserted", "updated", "unchanged")
    for name, s in summaries.items():
        table.add_row(name, *(f"{n:,}" for n in (s.rows_in, s.inserted, s.updated, s.unchanged)))
    console = Console()
    console.print(table)
    console.print(f"Demo data loaded into {db}.", highlight=False)


@contextmanager
def _progress() -> Iterator[demo.Progress | None]:
    """A progress bar on stderr, when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn("{task.description:<32}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("generating", total=demo.STEP_COUNT)

        def update(done: int, total: int, description: str) -> None:
            bar.update(task, completed=done, total=total, description=description)

        yield update
