"""`supportkpi kpi`, `metrics` and `report`: parse, call the library, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from supportkpi.cli.options import (
    FromDate,
    RequestOptions,
    SourceOptions,
    ToDate,
    request_options,
    source_options,
)
from supportkpi.errors import InputError
from supportkpi.metrics.registry import all_metrics, get_metric
from supportkpi.report.format import format_value

# The engine (Ibis, DuckDB, pandas) is imported by the commands that use it, so that
# `supportkpi --help` and the other commands start fast.
if TYPE_CHECKING:
    import pandas as pd


FORMATS = ("table", "csv", "json")


def render_kpi_table(frame: pd.DataFrame, console: Console) -> None:
    from supportkpi.report.rows import plain

    table = Table(show_lines=False, header_style="bold")
    for col in frame.columns:
        table.add_column(
            col, justify="right" if col in ("value", "n", "ci_low", "ci_high") else "left"
        )
    for record in frame.to_dict(orient="records"):
        name, _, stat = str(record["metric"]).partition(":")
        unit = get_metric(name).unit
        cells = []
        for col in frame.columns:
            v = plain(record[col])
            if col == "value":
                cells.append(format_value(v, unit, stat or None))
            elif col in ("ci_low", "ci_high"):
                cells.append("" if v is None else f"{v * 100:.1f}%")
            else:
                cells.append("" if v is None else str(v))
        table.add_row(*cells)
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command()
    @request_options
    @source_options
    def kpi(
        metrics: Annotated[
            list[str],
            typer.Argument(
                help="Metric selectors: NAME or NAME:STAT (mean, median, pNN, count, sum)."
            ),
        ],
        source: SourceOptions,
        request: RequestOptions,
        format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    ) -> None:
        """Compute KPIs from a store or a Parquet folder."""
        from supportkpi.query.runner import computed, run_kpi_partial
        from supportkpi.report.rows import result_as_json

        if format_ not in FORMATS:
            raise InputError(f"unknown format {format_!r}; use table, csv or json")
        with source.connect() as con:
            query = con.query(metrics, **request.arguments())
            result = computed(run_kpi_partial(con.backend, query))
        frame = result.rows
        if format_ == "json":
            typer.echo(json.dumps(result_as_json(result), indent=2))
        elif format_ == "csv":
            typer.echo(frame.to_csv(index=False), nl=False)
        elif frame.empty:
            typer.echo("No rows: nothing in the data matches the range and filters.", err=True)
        else:
            render_kpi_table(frame, Console())
        # The metrics computed are printed; the others fail the command, one line each.
        for failed in result.errors:
            message = str(failed.error)
            named = message if failed.metric.partition(":")[0] in message else None
            typer.echo(f"Error: {named or f'{failed.metric}: {message}'}", err=True)
        if result.errors:
            raise typer.Exit(2)

    @app.command("metrics")
    def metrics_(
        json_: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
        markdown: Annotated[
            bool, typer.Option("--markdown", help="Print docs/metrics.md.")
        ] = False,
    ) -> None:
        """The KPI catalogue with exact definitions."""
        if markdown:
            from supportkpi.report.catalogue import catalogue_markdown

            typer.echo(catalogue_markdown(), nl=False)
            return
        catalogue = [m.describe() for m in all_metrics()]
        if json_:
            typer.echo(json.dumps({"metrics": catalogue}, indent=2))
            return
        table = Table(header_style="bold", show_lines=True)
        for col in ("id", "unit", "kind", "definition"):
            table.add_column(col, overflow="fold")
        for m in catalogue:
            table.add_row(m["id"], m["unit"], m["kind"], m["definition"])
        Console().print(table)

    @app.command()
    @source_options
    def report(
        source: SourceOptions,
        period: Annotated[
            str | None,
            typer.Option(help="last-day, last-week, last-month or last-quarter (before today)."),
        ] = None,
        from_: FromDate = None,
        to: ToDate = None,
        by: Annotated[
            str | None, typer.Option(help="A breakdown dimension: channel, team, agent, ...")
        ] = None,
        format_: Annotated[
            str | None, typer.Option("--format", help="terminal, markdown, html, pdf or json.")
        ] = None,
        out: Annotated[Path | None, typer.Option(help="Write the report to this file.")] = None,
        as_of: Annotated[
            str | None, typer.Option(help="Count --period back from this date, not today.")
        ] = None,
    ) -> None:
        """Headline KPIs: the last full month against the month before, or a report document
        of --period (or --from/--to) against the previous equal period, with targets, the
        significance test, "what changed" and charts."""
        if any(v is not None for v in (period, from_, to, by, format_, out, as_of)):
            from supportkpi.cli.report_document import write_document

            write_document(source, period, from_, to, by, format_ or "terminal", out, as_of)
            return
        from supportkpi.report.monthly import monthly_report

        with source.connect() as con:
            title, rows = monthly_report(con)
        table = Table(title=f"Headline KPIs, {title}", header_style="bold")
        notes = any(r.note for r in rows)
        for col, justify in (
            ("KPI", "left"),
            ("before", "right"),
            ("now", "right"),
            ("change", "left"),
            *([("note", "left")] if notes else []),
        ):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for r in rows:
            table.add_row(
                r.title + ("" if ":" not in r.metric else f" ({r.metric.partition(':')[2]})"),
                r.previous,
                r.current,
                r.change,
                *([r.note or ""] if notes else []),
            )
        Console().print(table)
