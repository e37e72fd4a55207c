"""`supportkpi forecast`: volume forecasts, their backtest, and staffing from the forecast."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from supportkpi.cli.options import SourceOptions, Where, source_options
from supportkpi.errors import InputError

# pandas and statsforecast are imported by the command, so the CLI starts fast.
if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "csv", "json")


def forecast(
    metric: Annotated[str, typer.Argument(help="A count metric: ticket_volume, calls_offered.")],
    source: SourceOptions,
    interval: Annotated[str, typer.Option(help="Slot length: 15m, 30m, 60m or 1d.")] = "60m",
    horizon: Annotated[str, typer.Option(help="How far ahead: 7d, 2w, 48h.")] = "7d",
    by: Annotated[
        str | None, typer.Option(help="One dimension: a series per value (channel, queue).")
    ] = None,
    where: Where = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="Forecast from the data before this instant (default: end of data)."),
    ] = None,
    exclude_day: Annotated[
        list[str] | None,
        typer.Option(help="Leave an outlier day (an outage) out of the history (repeatable)."),
    ] = None,
    folds: Annotated[int, typer.Option(help="Rolling origins of the backtest.")] = 3,
    backtest: Annotated[
        bool, typer.Option("--backtest", help="Print the backtest scores instead of the rows.")
    ] = False,
    staffing: Annotated[
        str | None,
        typer.Option(help="Print a staffing plan from the forecast: calls, chat or async."),
    ] = None,
    aht_s: Annotated[
        float | None, typer.Option(help="Handle time per item (s); calls: observed AHT.")
    ] = None,
    target_sl: Annotated[float, typer.Option(help="Service-level target.")] = 0.8,
    target_s: Annotated[float, typer.Option(help="Answer-within threshold (s).")] = 20.0,
    max_occupancy: Annotated[float | None, typer.Option(help="Highest occupancy.")] = None,
    shrinkage: Annotated[float, typer.Option(help="Share of paid time off work.")] = 0.0,
    patience_s: Annotated[
        float | None, typer.Option(help="Calls: mean caller patience (s), Erlang A.")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Chat: chats an agent holds at once.")] = 1,
    sla_hours: Annotated[float, typer.Option(help="Async: hours to finish work in.")] = 24.0,
    agents: Annotated[
        int | None, typer.Option(help="Async: agents today, for the backlog burn-down.")
    ] = None,
    hours_per_day: Annotated[float, typer.Option(help="Async: paid hours a day.")] = 8.0,
    backlog: Annotated[
        float | None, typer.Option(help="Async: open tickets now (default: the data's).")
    ] = None,
    shifts: Annotated[
        str | None,
        typer.Option(
            help="Cover the plan with shift patterns (08:00-16:00,12:00-20:00); needs the "
            "shifts extra."
        ),
    ] = None,
    shift_method: Annotated[
        str, typer.Option(help="Shifts: min_resources (never short) or min_difference.")
    ] = "min_resources",
    format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Forecast a count metric per slot, with 80%/95% prediction intervals (docs/forecasting.md)."""
    from supportkpi.forecast import StaffingInputs, forecast_volume, staffing_for_forecast
    from supportkpi.query.request import parse_where

    if format_ not in FORMATS:
        raise InputError(f"unknown format {format_!r}; use table, csv or json")
    if by is not None and "," in by:
        raise InputError("a forecast takes one --by dimension")
    patterns = None
    if shifts is not None:
        from supportkpi.forecast.intervals import parse_interval
        from supportkpi.forecast.shifts import METHODS, parse_shifts

        if staffing is None:
            raise InputError("--shifts covers a staffing plan; give --staffing calls|chat|async")
        if shift_method not in METHODS:
            raise InputError(f"unknown shift method {shift_method!r}; use {' or '.join(METHODS)}")
        patterns = parse_shifts(shifts, parse_interval(interval).minutes)
    settings = None
    if staffing is not None:
        settings = StaffingInputs(
            kind=staffing,
            aht_s=aht_s,
            target_sl=target_sl,
            target_s=target_s,
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
            patience_s=patience_s,
            concurrency=concurrency,
            sla_hours=sla_hours,
            agents_now=agents,
            hours_per_day=hours_per_day,
            backlog=backlog,
        ).checked()
    with source.connect() as con:
        result = forecast_volume(
            con,
            metric,
            interval=interval,
            horizon=horizon,
            by=by or None,
            as_of=as_of,
            exclude_days=exclude_day or [],
            folds=folds,
            where=parse_where(where or []),
        )
        plan = staffing_for_forecast(con, result, settings) if settings else None
    if backtest:
        _print_backtest(result.as_json(), format_)
    elif plan is not None and patterns is not None:
        from supportkpi.forecast.shifts import schedule_shifts
        from supportkpi.report.rows import frame_records

        cover = schedule_shifts(plan.rows, result.interval_minutes, patterns, shift_method)
        body = {
            "model": result.model,
            "summary": plan.summary,
            "shifts": frame_records(cover.shifts),
            "notes": result.notes + plan.notes + cover.notes,
        }
        _print_rows(cover.rows, body, format_)
    elif plan is not None:
        body = {"model": result.model, "summary": plan.summary, "notes": result.notes + plan.notes}
        _print_rows(plan.rows, body, format_)
    else:
        _print_rows(result.rows, {"model": result.model, "notes": result.notes}, format_)


def _print_rows(rows: pd.DataFrame, extra: dict[str, Any], format_: str) -> None:
    from supportkpi.report.rows import frame_records

    if format_ == "json":
        typer.echo(json.dumps({**extra, "rows": frame_records(rows)}, indent=2))
        return
    if format_ == "csv":
        typer.echo(rows.to_csv(index=False), nl=False)
    else:
        table = Table(*map(str, rows.columns), title=f"model: {extra['model']}")
        for record in rows.itertuples(index=False):
            table.add_row(
                *("" if v is None else f"{v:g}" if isinstance(v, float) else str(v) for v in record)
            )
        Console().print(table)
    for shift in extra.get("shifts") or []:  # agents per day and pattern (JSON: "shifts")
        typer.echo("shift: " + ", ".join(f"{k} {v}" for k, v in shift.items()), err=True)
    for key, value in (extra.get("summary") or {}).items():
        typer.echo(f"{key}: {'n/a' if value is None else f'{value:,.2f}'}", err=True)
    for note in extra["notes"]:
        typer.echo(f"Note: {note}", err=True)


def _print_backtest(body: dict[str, Any], format_: str) -> None:
    test = body["backtest"]
    if format_ == "json":
        typer.echo(json.dumps({"model": body["model"], "backtest": test, "notes": body["notes"]}))
        return
    if test is None:
        for note in body["notes"]:
            typer.echo(f"Note: {note}", err=True)
        raise InputError("there is too little history for a backtest over this horizon")
    columns = ("model", "mase", "coverage80", "coverage95", "points")
    if format_ == "csv":
        typer.echo(",".join(columns))
        for score in test["scores"]:
            typer.echo(",".join("" if score[c] is None else str(score[c]) for c in columns))
    else:
        table = Table(*columns, title=f"backtest: {test['folds']} folds; used: {body['model']}")
        for score in test["scores"]:
            table.add_row(*(_cell(score[c]) for c in columns))
        Console().print(table)
    for note in body["notes"]:
        typer.echo(f"Note: {note}", err=True)


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def register(app: typer.Typer) -> None:
    """Add `supportkpi forecast` to the app."""
    app.command("forecast")(source_options(forecast))
