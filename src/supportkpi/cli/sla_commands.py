"""`supportkpi check` (KPI targets) and `supportkpi sla at-risk`: parse, call, render."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from supportkpi.calendar.durations import parse_duration
from supportkpi.errors import InputError

Source = Annotated[str, typer.Option("--db", help="A .duckdb store or a folder of Parquet files.")]
Config = Annotated[Path, typer.Option("--config", help="TOML config file (SPEC §7).")]


def register(app: typer.Typer) -> None:
    sla_app = typer.Typer(help="SLA policies: the at-risk list.", no_args_is_help=True)
    app.add_typer(sla_app, name="sla")

    @app.command()
    def check(
        db: Source,
        config: Config,
        from_: Annotated[str | None, typer.Option("--from", help="First local date.")] = None,
        to: Annotated[str | None, typer.Option("--to", help="End local date (exclusive).")] = None,
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Evaluate the config's KPI targets; exit 1 when any is missed (for cron or CI)."""
        # Imported here, not at the top, so that the CLI starts without the engine.
        from supportkpi.api import Connection
        from supportkpi.report.monthly import last_full_month
        from supportkpi.report.targets import evaluate_targets

        with Connection(db, config=config) as con:
            if from_ is None and to is None:
                _, from_date, to_date = last_full_month(con)
                from_, to = from_date.isoformat(), to_date.isoformat()
            results = evaluate_targets(con, from_, to)
        missed = [r for r in results if r.status == "miss"]
        if json_:
            payload = {
                "ok": not missed,
                "from": from_,
                "to": to,
                "targets": [r.as_dict() for r in results],
            }
            typer.echo(json.dumps(payload, indent=2))
        else:
            table = Table(title=f"KPI targets, {from_} to {to}", header_style="bold")
            for col in ("metric", "target", "value", "n", "status"):
                table.add_column(col)
            colours = {"pass": "green", "miss": "red", "no_data": "yellow"}
            for r in results:
                status = f"[{colours[r.status]}]{r.status}[/]"
                table.add_row(r.metric, r.target, r.shown, str(r.n), status)
            Console().print(table)
        if missed:
            raise typer.Exit(1)

    @sla_app.command("at-risk")
    def at_risk_command(
        db: Source,
        config: Config,
        horizon: Annotated[str, typer.Option(help="Due within this time, e.g. 4h.")] = "4h",
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Now, as an ISO instant (default: now).")
        ] = None,
        format_: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    ) -> None:
        """Open tickets whose SLA target falls due within the horizon, soonest first."""
        from supportkpi.api import Connection
        from supportkpi.report.at_risk import at_risk

        try:
            horizon_s = parse_duration(horizon)
            now = datetime.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if now is not None and now.tzinfo is None:
            raise InputError("--as-of needs a timezone, e.g. 2024-01-22T09:00:00+00:00")
        with Connection(db, config=config) as con:
            rows = at_risk(con, horizon_s, now)
        if format_ == "json":
            rows["due_at"] = rows["due_at"].map(lambda t: t.isoformat())
            typer.echo(json.dumps({"rows": rows.to_dict("records")}, indent=2, default=str))
        elif format_ == "csv":
            typer.echo(rows.to_csv(index=False), nl=False)
        else:
            table = Table(title=f"SLA targets due within {horizon}", header_style="bold")
            for col in rows.columns:
                table.add_column(col)
            for record in rows.astype(str).to_dict("records"):
                table.add_row(*record.values())
            Console().print(table)
