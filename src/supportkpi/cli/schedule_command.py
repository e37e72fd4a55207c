"""`supportkpi schedule list|run|once|check`: scheduled reports and alerts (docs/reports.md)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from supportkpi.delivery.dispatch import Outcome
    from supportkpi.schedule.reports import Job

schedule_app = typer.Typer(
    help="Scheduled reports and alerts by e-mail and webhooks (docs/reports.md).",
    no_args_is_help=True,
)

ConfigFile = Annotated[Path, typer.Option(help="TOML config with [[schedule]] and [[alert]].")]
Db = Annotated[str, typer.Option("--db", help="The .duckdb store the reports read.")]
State = Annotated[
    Path | None,
    typer.Option(help="DuckDB file for the run history (default: the store itself)."),
]
Engine = Annotated[str, typer.Option(help="duckdb or pyspark.")]
AsOf = Annotated[
    str | None,
    typer.Option(help="Run as if it were this instant (ISO 8601), e.g. to resend a past week."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")


def _job(db: str, config: Path, state: Path | None, engine: str) -> Job:
    from supportkpi.config import load_settings
    from supportkpi.schedule.reports import Job, state_for

    return Job(db, load_settings(config), state_for(db, state), engine)


@schedule_app.command("list")
def list_(
    config: ConfigFile,
    count: Annotated[int, typer.Option(help="How many next runs to show.")] = 3,
    db: Annotated[
        str | None, typer.Option("--db", help="Also show the last run of each (from the store).")
    ] = None,
    state: State = None,
) -> None:
    """Each schedule and alert check, its timezone and its next run times."""
    from supportkpi.config import load_settings
    from supportkpi.schedule.cron import next_runs
    from supportkpi.schedule.reports import state_for

    settings = load_settings(config)
    log = state_for(db, state) if db else None
    now = datetime.now(UTC)
    rows = [
        (s.name, f"sync {s.sync}" if s.sync else "report", s.cron, s.timezone)
        for s in settings.schedules
    ]
    rows += [(a.name, f"alert: {a.rule}", a.cron, a.timezone) for a in settings.alerts]
    if not rows:
        typer.echo("The config has no [[schedule]] or [[alert]].", err=True)
        return
    for name, kind, cron, tz in rows:
        typer.echo(f"{name}  ({kind}; cron {cron!r} in {tz})")
        runs = [t.strftime("%a %Y-%m-%d %H:%M %Z") for t in next_runs(cron, tz, now, count)]
        typer.echo(f"  next: {', '.join(runs)}")
        if log:
            done = log.deliveries(name)
            last = (
                f"{done[-1]['due_at']:%Y-%m-%d %H:%M %Z} {done[-1]['status']}" if done else "never"
            )
            typer.echo(f"  last: {last}")


@schedule_app.command()
def run(db: Db, config: ConfigFile, state: State = None, engine: Engine = "duckdb") -> None:
    """Run every schedule and alert check when due, until interrupted (Ctrl-C)."""
    from supportkpi.schedule.runner import run_forever

    job = _job(db, config, state, engine)
    typer.echo(
        f"Scheduler started ({len(job.settings.schedules)} schedules, "
        f"{len(job.settings.alerts)} alerts); Ctrl-C stops it.",
        err=True,
    )
    # A service manager stops the scheduler with SIGTERM: end as on Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run_forever(job, echo=lambda line: typer.echo(line, err=True))
    except KeyboardInterrupt:
        typer.echo("Scheduler stopped.", err=True)


@schedule_app.command()
def once(
    name: Annotated[str, typer.Argument(help="A [[schedule]] or [[alert]] name.")],
    db: Db,
    config: ConfigFile,
    state: State = None,
    engine: Engine = "duckdb",
    as_of: AsOf = None,
) -> None:
    """Run one schedule (or check one alert) now, for system cron or CI.

    Exits 2 when a delivery failed; the failure is recorded, never as sent.
    """
    from supportkpi.schedule.alerts import check_alerts, find_alert
    from supportkpi.schedule.reports import find_schedule, run_schedule

    job = _job(db, config, state, engine)
    now = _instant(as_of)
    if any(a.name == name for a in job.settings.alerts):
        results = check_alerts(job, [find_alert(job, name)], now)
        for finding, outcomes in results:
            typer.echo(f"{name}: {finding.summary}", err=True)
            _exit_on_failure(name, outcomes)
        return
    schedule = find_schedule(job.settings, name)
    if schedule.sync:  # a failed sync raises its one line (exit 2), recorded as failed
        from supportkpi.schedule.syncs import run_sync

        typer.echo(f"{name}: synced {schedule.sync}: {run_sync(job, schedule, now=now)}", err=True)
        return
    _exit_on_failure(name, run_schedule(job, schedule, now=now))


@schedule_app.command()
def check(
    db: Db, config: ConfigFile, state: State = None, engine: Engine = "duckdb", as_of: AsOf = None
) -> None:
    """Check every alert rule now; send those whose state changed."""
    from supportkpi.schedule.alerts import check_alerts

    job = _job(db, config, state, engine)
    failed = []
    for finding, outcomes in check_alerts(job, now=_instant(as_of)):
        state_word = {True: "firing", False: "ok", None: "no data"}[finding.firing]
        typer.echo(f"{finding.alert}: {state_word}: {finding.summary}", err=True)
        failed += [o for o in outcomes if not o.sent]
        _echo_outcomes(finding.alert, outcomes)
    if failed:
        raise typer.Exit(2)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _echo_outcomes(name: str, outcomes: list[Outcome]) -> None:
    for o in outcomes:
        typer.echo(f"{name}: sent to {o.target}" if o.sent else f"Error: {o.error}", err=True)


def _exit_on_failure(name: str, outcomes: list[Outcome]) -> None:
    _echo_outcomes(name, outcomes)
    if any(not o.sent for o in outcomes):
        raise typer.Exit(2)


def _instant(text: str | None) -> datetime | None:
    from supportkpi.errors import InputError

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of {text!r} is not an ISO 8601 date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
