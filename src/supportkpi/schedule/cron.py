"""When a schedule runs: see :mod:`supportkpi.calendar.cron`, which the dashboard reads too."""

from __future__ import annotations

from supportkpi.calendar.cron import missed_run, next_runs, previous_run

__all__ = ["missed_run", "next_runs", "previous_run"]
