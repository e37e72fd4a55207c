"""Run one scheduled sync: ``[[schedule]]`` with ``sync = "NAME"`` pulls ``[sources.NAME]``.

It is ``supportkpi sync NAME`` run by the scheduler (docs/connectors.md, Scheduling), and its
outcome goes to the schedule's run history like a report's: ``ok`` with what it fetched, or
``failed`` with the one-line error (a refused login, a help desk that stays down). A failed
run is recorded, then raised, so ``schedule run`` prints it and goes on with the next.
"""

from __future__ import annotations

from datetime import UTC, datetime

from supportkpi.config.reporting import Schedule
from supportkpi.errors import InputError, SupportKpiError
from supportkpi.schedule.reports import Job
from supportkpi.sync import SyncResult, sync_source

#: The run history's ``target`` of a sync run: the source, named as the config names it.
TARGET = "sources.{name}"


def run_sync(
    job: Job, schedule: Schedule, due_at: datetime | None = None, now: datetime | None = None
) -> str:
    """Sync ``schedule``'s source into the job's store; the summary line of what it stored."""
    due_at = due_at or now or datetime.now(UTC)
    name = schedule.sync or ""
    target = TARGET.format(name=name)
    try:
        source = job.settings.sources.get(name)
        if source is None:  # the config's validation makes sure there is one
            raise InputError(f"no [sources.{name}] in the config")
        summary = describe(sync_source(job.db, source, sleep=job.sleep))
    except SupportKpiError as exc:
        job.log.record_run(schedule.name, "sync", due_at, target, str(exc))
        raise
    job.log.record_run(schedule.name, "sync", due_at, target, None, summary)
    return summary


def describe(result: SyncResult) -> str:
    """``"2 pages, 3 records (tickets 3, ticket_events 0)"``: what one sync stored."""
    per_stream = ", ".join(f"{stream} {n:,}" for stream, n in result.records.items())
    total = sum(result.records.values())
    return f"{result.pages:,} pages, {total:,} records ({per_stream})"
