"""`supportkpi customers`: the value-vs-cost view, one row per customer."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from supportkpi.cli.kpi_commands import FORMATS
from supportkpi.cli.options import FromDate, SourceOptions, ToDate, source_options
from supportkpi.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command()
    @source_options
    def customers(
        source: SourceOptions,
        from_: FromDate = None,
        to: ToDate = None,
        format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    ) -> None:
        """Per customer: tickets, calls, support cost (evenly per contact), revenue, segment."""
        # Imported here, not at the top, so that the CLI starts without the engine.
        from supportkpi.report.rows import frame_records
        from supportkpi.report.value_vs_cost import value_vs_cost

        if format_ not in FORMATS:
            raise InputError(f"unknown format {format_!r}; use table, csv or json")
        with source.connect() as con:
            frame = value_vs_cost(con, start=from_, end=to)
        if format_ == "csv":
            typer.echo(frame.to_csv(index=False), nl=False)
            return
        records = frame_records(frame)
        if format_ == "json":
            typer.echo(json.dumps({"rows": records}, indent=2))
            return
        if not records:  # an empty table would look like a failure to print
            span = "in the range" if from_ or to else "in the data"
            typer.echo(f"No customer has a ticket, an answered call or an order {span}.", err=True)
            return
        table = Table(header_style="bold")
        for col in frame.columns:
            table.add_column(col, justify="left" if col in ("customer_id", "segment") else "right")
        for r in records:
            table.add_row(*(_cell(col, r[col]) for col in frame.columns))
        Console().print(table)


def _cell(column: str, value: object) -> str:
    if value is None:
        return ""
    if column in ("support_cost", "revenue"):
        return f"{float(value):,.2f}"  # type: ignore[arg-type]
    if column == "cost_to_revenue":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    return str(value)
