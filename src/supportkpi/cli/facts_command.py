"""`supportkpi facts rebuild|check`: the facts a store keeps current with every load."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from supportkpi.cli.data_commands import DbOption, JsonOption

facts_app = typer.Typer(
    help="The per-ticket facts a store keeps current with every load (docs/stored-facts.md).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(facts_app, name="facts")


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        help="TOML config: also store the facts its options and SLA policies need "
        "(include_bots, the SLA clocks)."
    ),
]


@facts_app.command()
def rebuild(db: DbOption, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Rebuild every stored fact from scratch, in one transaction."""
    from supportkpi.config import load_settings
    from supportkpi.facts import fact_config, refresh
    from supportkpi.store import Store

    extra = []
    if config is not None:
        settings = load_settings(config)
        extra.append(fact_config(settings.options, tuple(settings.sla)))
    started = time.monotonic()
    with Store(db, create=False) as store, store.transaction():
        rebuilt = refresh(store, rebuild=True, extra=extra)
    seconds = round(time.monotonic() - started, 2)
    if as_json:
        typer.echo(json.dumps({"rebuilt": rebuilt, "seconds": seconds}))
    else:
        typer.echo(f"rebuilt {rebuilt} stored facts of {db} in {seconds} s")


@facts_app.command()
def check(db: DbOption, as_json: JsonOption = False) -> None:
    """Compare every stored fact with a fresh computation; exit 1 when any differs."""
    from supportkpi.facts import differences
    from supportkpi.store import Store

    with Store(db, read_only=True) as store:
        found = differences(store)
    if as_json:
        typer.echo(json.dumps(found))
    else:
        for name, count in found.items():
            state = (
                "equal"
                if count == 0
                else ("another version" if count < 0 else f"{count} rows differ")
            )
            typer.echo(f"{name}: {state}")
        if not found:
            typer.echo(f"{db} stores no facts yet (a load through supportkpi stores them)")
    if any(count != 0 for count in found.values()):
        raise typer.Exit(1)
