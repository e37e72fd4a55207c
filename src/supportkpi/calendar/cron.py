"""When a schedule runs: croniter reads the cron expression, in the schedule's timezone.

Cron times are wall-clock times of the schedule's zone, so ``0 8 * * MON`` in Europe/Berlin
is 07:00 UTC in winter and 06:00 UTC in summer. A time that a spring-forward change skips
runs at the first instant after the gap (croniter's rule); one that an autumn change repeats
runs once.

The scheduler (:mod:`supportkpi.schedule`) runs on these times, and the dashboard's Reports page
shows them; both sit above this layer.
"""

from __future__ import annotations

from datetime import datetime

from croniter import croniter

from supportkpi.engine.periods import zone


def next_runs(cron: str, tz: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` run times strictly after ``after``, as aware times in ``tz``."""
    it = croniter(cron, after.astimezone(zone(tz)))
    return [it.get_next(datetime) for _ in range(count)]


def previous_run(cron: str, tz: str, before: datetime) -> datetime:
    """The last run time at or before ``before``."""
    local = before.astimezone(zone(tz))
    if croniter.match(cron, local) and local.second == 0 and local.microsecond == 0:
        return local
    return croniter(cron, local).get_prev(datetime)


def missed_run(cron: str, tz: str, last_due: datetime | None, now: datetime) -> datetime | None:
    """The latest run that fell due after ``last_due`` and by ``now``, if any was missed.

    A schedule that never ran has missed nothing: starting the scheduler does not send at once.
    """
    if last_due is None:
        return None
    latest = previous_run(cron, tz, now)
    return latest if latest > last_due else None
