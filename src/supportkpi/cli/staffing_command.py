"""`supportkpi staffing` (one interval, Erlang C / A) and `supportkpi staffing-plan` (a week)."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from supportkpi.errors import InputError, NotFoundError

# numpy, pandas and the staffing models are imported by the commands, so the CLI starts fast.
if TYPE_CHECKING:
    import pandas as pd

_RATES = {"service_level", "probability_wait", "occupancy", "abandonment"}


class PlanFormat(StrEnum):
    """Output formats of `staffing-plan`."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def staffing(
    calls: Annotated[float, typer.Option(help="Calls offered in the interval.")],
    interval_min: Annotated[float, typer.Option(help="Interval length in minutes.")],
    aht_s: Annotated[float, typer.Option(help="Average handle time in seconds.")],
    target_sl: Annotated[float, typer.Option(help="Service-level target, e.g. 0.8.")],
    target_s: Annotated[float, typer.Option(help="Answer-within threshold in seconds.")],
    max_occupancy: Annotated[
        float | None, typer.Option(help="Highest allowed occupancy, e.g. 0.85.")
    ] = None,
    shrinkage: Annotated[float, typer.Option(help="Share of paid time off the phones.")] = 0.0,
    patience_s: Annotated[
        float | None, typer.Option(help="Mean caller patience in seconds: adds Erlang A.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Agents needed for one interval (Erlang C; Erlang A with --patience-s)."""
    from supportkpi.staffing import staffing_summary

    summary = staffing_summary(
        calls, interval_min, aht_s, target_sl, target_s, max_occupancy, shrinkage, patience_s
    )
    if as_json:
        typer.echo(json.dumps(summary))
        return
    Console().print(_summary_table(summary))


def _summary_table(summary: dict[str, Any]) -> Table:
    table = Table("figure", "value", title="Staffing")
    for key, value in summary.items():
        table.add_row(key, _format(key, value))
    return table


def _format(key: str, value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isinf(value):
        return "∞"
    if key.startswith(tuple(_RATES)) and not key.endswith("_s"):
        return f"{value:.1%}"
    return f"{value:.2f}"


def staffing_plan_command(
    calls_file: Annotated[
        Path, typer.Argument(help="Calls (CSV or Parquet): offered_at and handle_s.")
    ],
    weeks: Annotated[int, typer.Option(help="Weeks of history to average.")] = 4,
    tz: Annotated[str, typer.Option(help="IANA timezone of the plan.")] = "UTC",
    week_start: Annotated[
        str | None, typer.Option(help="Monday of the planned week (default: next).")
    ] = None,
    interval_min: Annotated[int, typer.Option(help="Interval length in minutes.")] = 30,
    target_sl: Annotated[float, typer.Option(help="Service-level target.")] = 0.8,
    target_s: Annotated[float, typer.Option(help="Answer-within threshold (s).")] = 20.0,
    max_occupancy: Annotated[float | None, typer.Option(help="Highest occupancy.")] = None,
    shrinkage: Annotated[float, typer.Option(help="Share of paid time off the phones.")] = 0.0,
    output_format: Annotated[
        PlanFormat, typer.Option("--format", help="table (agents grid), csv or json.")
    ] = PlanFormat.TABLE,
) -> None:
    """Agents per weekday × interval for a week, from the seasonal average of past weeks."""
    from supportkpi.staffing import plan_matrix, staffing_plan

    plan = staffing_plan(
        _read_calls(calls_file),
        weeks=weeks,
        tz=tz,
        week_start=week_start,
        interval_min=interval_min,
        target_sl=target_sl,
        target_s=target_s,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
    )
    if output_format is PlanFormat.CSV:
        typer.echo(plan.to_csv(index=False), nl=False)
    elif output_format is PlanFormat.JSON:
        typer.echo(plan.to_json(orient="records", date_format="iso"))
    else:
        grid = plan_matrix(plan)
        table = Table("interval", *grid.columns, title="Agents to schedule (after shrinkage)")
        for interval, row in grid.iterrows():
            table.add_row(str(interval), *(str(int(v)) for v in row))
        Console().print(table)


def _read_calls(path: Path) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise NotFoundError(f"calls file {path} does not exist.")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() in {".csv", ".tsv"}:
        return pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",")
    raise InputError(f"calls file {path} must be .csv, .tsv or .parquet.")


def register(app: typer.Typer) -> None:
    """Add the staffing commands to the `supportkpi` app."""
    app.command("staffing")(staffing)
    app.command("staffing-plan")(staffing_plan_command)
