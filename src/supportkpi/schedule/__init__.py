"""Scheduled reports and alerts (issue 16): cron schedules, alert rules, and their run history.

``schedule once`` and ``schedule run`` (the CLI) call :func:`reports.run_schedule` and
:func:`alerts.check_alerts`; :mod:`state` keeps what was sent, in the store.
"""
