"""Run one scheduled report: compute it, send it to every address, record each outcome."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from supportkpi.config.reporting import Schedule
from supportkpi.config.settings import Settings
from supportkpi.delivery.compose import report_message
from supportkpi.delivery.dispatch import Outcome, deliver
from supportkpi.engine.periods import zone
from supportkpi.errors import NotFoundError, SupportKpiError
from supportkpi.query.session import Session
from supportkpi.report.document import ReportPeriod, build_document, report_period
from supportkpi.schedule.state import RunLog, state_path


@dataclass(frozen=True)
class Job:
    """What ``schedule run`` and ``schedule once`` need: the store, its config, the state."""

    db: str
    settings: Settings
    log: RunLog
    engine: str = "duckdb"
    env: Mapping[str, str] | None = None
    sleep: Callable[[float], None] = time.sleep


def find_schedule(settings: Settings, name: str) -> Schedule:
    for schedule in settings.schedules:
        if schedule.name == name:
            return schedule
    known = ", ".join(s.name for s in settings.schedules) or "none"
    raise NotFoundError(f"no [[schedule]] named {name!r} (the config has: {known})")


def run_schedule(
    job: Job, schedule: Schedule, due_at: datetime | None = None, now: datetime | None = None
) -> list[Outcome]:
    """Send ``schedule``'s report as of ``now``; record it as due at ``due_at`` (default now)."""
    now = now or datetime.now(UTC)
    today = now.astimezone(zone(schedule.timezone)).date()
    spec = schedule.report
    # The schedule's timezone decides what "last week" means, and the report's dates.
    try:
        with Session(job.db, job.engine, tz=schedule.timezone, config=job.settings) as con:
            period = report_period(spec.period, today)
            doc = build_document(con, period, by=spec.by, now=now)
    except SupportKpiError as exc:
        # The run happened and failed: recorded (never as sent), so it is not "missed" later.
        failed = [Outcome(target, f"the report could not be made: {exc}") for target in schedule.to]
        job.log.record(schedule.name, "schedule", due_at or now, failed)
        raise
    link = dashboard_link(job.settings, period, "")
    message = report_message(doc, spec.format, link)
    outcomes = deliver(message, schedule.to, job.settings.delivery, job.env, job.sleep)
    job.log.record(schedule.name, "schedule", due_at or now, outcomes)
    return outcomes


def dashboard_link(
    settings: Settings, period: ReportPeriod, page: str, **filters: str
) -> str | None:
    """The dashboard view of ``period`` with ``filters`` filled in (its ``to`` is inclusive)."""
    base = settings.delivery.dashboard_url
    if not base:
        return None
    last = period.end - timedelta(days=1)
    query = {"range": "custom", "from": str(period.start), "to": str(last), **filters}
    return f"{base.rstrip('/')}/{page}?{urlencode(query)}"


def state_for(db: str, state: str | Path | None) -> RunLog:
    """The run log of ``db`` (the store itself, or ``state`` for a Parquet folder)."""
    return RunLog(state_path(db, state))
