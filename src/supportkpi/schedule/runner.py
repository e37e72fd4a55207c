"""`schedule run`: a long-running loop that runs each schedule and alert check when due.

croniter computes the due times; this loop only sleeps until the earliest and runs it. It
re-reads the clock at least once a minute, so a suspended machine or a changed clock is seen.

Missed runs (the scheduler was down, or the machine slept through a due time) follow the
schedule's ``missed`` setting: ``run-once`` sends the latest missed report once (never one per
missed run), ``skip`` records it as skipped and waits for the next due time. Alerts have no
missed runs: the next check judges the data as it is then. Nor have syncs (``sync = "NAME"``):
the next run, once, fetches everything since the source's stored cursor, so a sync that is
late runs once and a sync missed while the scheduler was down waits for its next due time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from supportkpi.config.alerts import AlertRule
from supportkpi.config.reporting import Schedule
from supportkpi.delivery.dispatch import Outcome
from supportkpi.errors import SupportKpiError
from supportkpi.schedule.alerts import check_alerts
from supportkpi.schedule.cron import missed_run, next_runs
from supportkpi.schedule.reports import Job, run_schedule
from supportkpi.schedule.syncs import run_sync

#: A due time older than this when the loop reaches it counts as missed.
GRACE = timedelta(minutes=10)
#: The longest sleep between two looks at the clock.
MAX_SLEEP_S = 60.0


@dataclass(frozen=True)
class Entry:
    """One thing on the timetable: a report schedule or an alert rule."""

    name: str
    kind: str  # "schedule" or "alert"
    cron: str
    timezone: str
    item: Schedule | AlertRule


def timetable(job: Job) -> list[Entry]:
    out = [Entry(s.name, "schedule", s.cron, s.timezone, s) for s in job.settings.schedules]
    out += [Entry(a.name, "alert", a.cron, a.timezone, a) for a in job.settings.alerts]
    return out


def catch_up(job: Job, now: datetime, echo: Callable[[str], None] = print) -> None:
    """At start: each schedule whose latest due time passed unsent is run once or skipped."""
    for schedule in job.settings.schedules:
        if schedule.sync:  # a sync catches up by itself, from its cursor, on its next run
            continue
        missed = missed_run(schedule.cron, schedule.timezone, job.log.last_due(schedule.name), now)
        if missed is not None:
            _missed(job, schedule, missed, now, echo)


def _missed(
    job: Job, schedule: Schedule, due: datetime, now: datetime, echo: Callable[[str], None]
) -> None:
    if schedule.missed == "skip":
        job.log.record_skip(schedule.name, due, "missed while the scheduler was not running")
        echo(f"{schedule.name}: skipped the run due {due.isoformat()} (missed = skip)")
        return
    echo(f"{schedule.name}: sending the run due {due.isoformat()}, missed (missed = run-once)")
    _report(schedule.name, run_schedule(job, schedule, due_at=due, now=now), echo)


def run_forever(
    job: Job,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], bool] = lambda: False,
    echo: Callable[[str], None] = print,
) -> None:
    """Run every entry when due, until ``stop()`` is true (the CLI runs until interrupted)."""
    entries = timetable(job)
    if not entries:
        echo("The config has no [[schedule]] or [[alert]]: nothing to run.")
        return
    catch_up(job, clock(), echo)
    due = {e.name + e.kind: next_runs(e.cron, e.timezone, clock())[0] for e in entries}
    while not stop():
        entry = min(entries, key=lambda e: due[e.name + e.kind])
        when = due[entry.name + entry.kind]
        now = clock()
        wait = (when - now).total_seconds()
        if wait > 0:
            sleep(min(wait, MAX_SLEEP_S))
            continue
        try:
            _run(job, entry, when, now, echo)
        except SupportKpiError as exc:  # one bad run must not stop the others
            echo(f"{entry.name}: Error: {exc}")
        due[entry.name + entry.kind] = next_runs(entry.cron, entry.timezone, max(when, now))[0]


def _run(
    job: Job, entry: Entry, when: datetime, now: datetime, echo: Callable[[str], None]
) -> None:
    if isinstance(entry.item, AlertRule):
        for finding, outcomes in check_alerts(job, [entry.item], now):
            if outcomes:
                _report(f"{finding.alert} ({finding.summary})", outcomes, echo)
        return
    if entry.item.sync:  # late or not, one run fetches all that changed since the cursor
        echo(f"{entry.name}: synced {entry.item.sync}: {run_sync(job, entry.item, when, now)}")
        return
    if now - when > GRACE:
        _missed(job, entry.item, when, now, echo)
        return
    _report(entry.name, run_schedule(job, entry.item, due_at=when, now=now), echo)


def _report(name: str, outcomes: list[Outcome], echo: Callable[[str], None]) -> None:
    for o in outcomes:
        echo(f"{name}: sent to {o.target}" if o.sent else f"{name}: Error: {o.error}")
