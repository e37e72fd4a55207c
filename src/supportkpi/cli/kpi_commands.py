"""`supportkpi kpi`, `metrics` and `report`: parse, call the library, render."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from supportkpi.errors import InputError
from supportkpi.metrics.registry import all_metrics, get_metric
from supportkpi.report.format import format_value

# The engine (Ibis, DuckDB, pandas) is imported by the commands that use it, so that
# `supportkpi --help` and the other commands start fast.
if TYPE_CHECKING:
    import pandas as pd

    from supportkpi.engine.query import KpiResult

Source = Annotated[
    str, typer.Option("--db", help="A .duckdb store or a folder of <table>.parquet files.")
]
FORMATS = ("table", "csv", "json")


def rows_as_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """KPI rows as SPEC §6 JSON: ci_low/ci_high only on rates, null for missing values, and
    ``note`` only on rows that have one."""
    rows = []
    for record in frame.to_dict(orient="records"):
        metric = get_metric(str(record["metric"]).partition(":")[0])
        row = {str(k): _plain(v) for k, v in record.items()}
        if not metric.has_interval:
            row.pop("ci_low", None)
            row.pop("ci_high", None)
        if row.get("note") is None:
            row.pop("note", None)
        rows.append(row)
    return rows


def result_as_json(result: KpiResult) -> dict[str, Any]:
    """``{"rows": [...], "errors": [{"metric", "error", "status"}, ...]}`` (CLI and API)."""
    return {"rows": rows_as_json(result.rows), "errors": [e.as_dict() for e in result.errors]}


def computed(result: KpiResult) -> KpiResult:
    """``result``, unless no metric could be computed: then the first metric's error."""
    if not result.computed:
        raise result.errors[0].error
    return result


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def render_kpi_table(frame: pd.DataFrame, console: Console) -> None:
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
            v = _plain(record[col])
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
    def kpi(
        metrics: Annotated[
            list[str],
            typer.Argument(
                help="Metric selectors: NAME or NAME:STAT (mean, median, pNN, count, sum)."
            ),
        ],
        db: Source,
        engine: Annotated[str, typer.Option(help="duckdb or pyspark.")] = "duckdb",
        from_: Annotated[
            str | None, typer.Option("--from", help="First local date (inclusive), YYYY-MM-DD.")
        ] = None,
        to: Annotated[
            str | None, typer.Option("--to", help="Last local date (exclusive), YYYY-MM-DD.")
        ] = None,
        grain: Annotated[
            str | None, typer.Option(help="day, week, month, quarter or year.")
        ] = None,
        by: Annotated[
            str | None,
            typer.Option(help="Dimensions, comma-separated: channel,team,agent,priority,segment."),
        ] = None,
        where: Annotated[
            list[str] | None, typer.Option(help="Filter DIM=V or DIM=V1,V2 (repeatable).")
        ] = None,
        tz: Annotated[
            str | None, typer.Option(help="Report timezone (IANA); overrides the config.")
        ] = None,
        cohort: Annotated[
            str, typer.Option(help="event (date outcomes when they happen) or created.")
        ] = "event",
        business_hours: Annotated[
            bool, typer.Option("--business-hours", help="Durations in business time.")
        ] = False,
        config: Annotated[Path | None, typer.Option(help="TOML config file (SPEC §7).")] = None,
        format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    ) -> None:
        """Compute KPIs from a store or a Parquet folder."""
        from supportkpi.api import Connection
        from supportkpi.engine.query import parse_where, run_kpi_partial

        if format_ not in FORMATS:
            raise InputError(f"unknown format {format_!r}; use table, csv or json")
        with Connection(db, engine=engine, tz=tz, config=config) as con:
            query = con.query(
                metrics,
                start=from_,
                end=to,
                grain=grain,
                by=[d.strip() for d in by.split(",") if d.strip()] if by else [],
                where=parse_where(where or []),
                cohort=cohort,
                business_hours=business_hours,
            )
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
    def report(
        db: Source,
        tz: Annotated[str, typer.Option(help="Report timezone (IANA).")] = "UTC",
    ) -> None:
        """Headline KPIs: the last full month against the month before."""
        from supportkpi.api import Connection
        from supportkpi.report.monthly import monthly_report

        with Connection(db, tz=tz) as con:
            title, rows = monthly_report(con, tz=tz)
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
