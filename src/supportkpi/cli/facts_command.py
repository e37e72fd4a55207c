"""`supportkpi facts rebuild|check`: the facts a store keeps current with every load; and
`supportkpi facts build`: the same facts of a Spark source, written to the lake once."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from supportkpi.cli.data_commands import DbOption, JsonOption
from supportkpi.cli.options import Engine, Source
from supportkpi.errors import InputError

facts_app = typer.Typer(
    help="The per-ticket facts a store keeps current with every load, or that a Spark "
    "source keeps on the lake (docs/always-on.md, docs/spark.md).",
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


FactsTo = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="Folder or folder URI to write the facts to; default: the config's spark.facts, "
        "else the source folder (required for a catalog source).",
    ),
]


@facts_app.command()
def build(
    db: Source,
    engine: Engine = "duckdb",
    to: FactsTo = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compute the stored facts of a Spark source once and write them to the lake, where
    later queries of the source read them while its tables are unchanged."""
    from supportkpi.config import load_settings
    from supportkpi.engine.backends import ENGINES

    if engine == "duckdb":
        raise InputError(
            "a DuckDB store keeps its facts itself (`supportkpi facts rebuild`); "
            "`facts build` is for --engine pyspark sources"
        )
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    from supportkpi.facts.lake import build_lake_facts

    done = build_lake_facts(db, load_settings(config), to)
    if as_json:
        typer.echo(json.dumps(asdict(done)))
        return
    typer.echo(
        f"built {len(done.facts)} stored facts of {db} in {done.seconds} s to {done.destination}"
    )
    if done.duckdb_manifest:
        typer.echo("  the DuckDB engine reads them too (_facts.json)")
    if not done.found_by_queries:
        typer.echo(f'  queries read them with [spark] facts = "{done.destination}" in the config')
