"""The Reports page's preview (``/reports/preview/NAME``): one schedule's report as its mail
shows it, built from the server's store, in the browser. Nothing is sent or recorded.

The page is the mail's own HTML (:mod:`supportkpi.report.document_html`) with the charts as
``data:`` URLs: inline styles and ``data:`` images are all it needs, so it keeps to the
dashboard's Content-Security-Policy. A preview is built once per schedule, day and load of
the store (the app's cache): drawing the charts takes a moment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import Request

from supportkpi.config.reporting import Schedule
from supportkpi.engine.periods import parse_date, zone
from supportkpi.errors import NotFoundError, SupportKpiError
from supportkpi.query.session import Session
from supportkpi.report.document import ReportDocument, build_document, report_period
from supportkpi.report.document_html import document_html
from supportkpi.web.dashboard.model import PageView
from supportkpi.web.dashboard.registry import NAVIGATION
from supportkpi.web.dashboard.render import render
from supportkpi.web.dashboard.report_charts import render_charts
from supportkpi.web.errors import internal_error
from supportkpi.web.state import ApiState, Reader


def preview_page(request: Request, state: ApiState, name: str) -> tuple[str, int]:
    """The preview's HTML and status; a failure (an unknown name, a bad ``as_of``) is a
    dashboard page saying what went wrong."""
    try:
        schedule = find_schedule(state, name)
        today = _today(schedule, request.query_params.get("as_of"))
        with state.reading() as reader:
            key = ("report-preview", schedule, today.isoformat())
            html = state.cached(key, reader, lambda: build_preview(state, reader, schedule, today))
    except SupportKpiError as exc:
        return _error_page(request, str(exc)), exc.status
    except Exception as exc:  # never a traceback: say what failed, log the rest
        return _error_page(request, internal_error(exc, f"report preview {name!r}")), 500
    return str(html), 200


def find_schedule(state: ApiState, name: str) -> Schedule:
    for schedule in state.settings.schedules:
        if schedule.name == name:
            return schedule
    known = ", ".join(s.name for s in state.settings.schedules) or "none"
    raise NotFoundError(f"no [[schedule]] named {name!r} (the config has: {known})")


def build_preview(state: ApiState, reader: Reader, schedule: Schedule, today: date) -> str:
    """The schedule's report as of ``today`` (in its timezone), as a page with its charts."""
    doc = _document(state, reader, schedule, today)
    banner = (
        f"Preview of the schedule {schedule.name!r} ({schedule.report.format}), as of "
        f"{today.isoformat()}, from this server's store. Nothing was sent."
    )
    return document_html(doc, render_charts(doc), inline_images=False, banner=banner).html


def _document(state: ApiState, reader: Reader, schedule: Schedule, today: date) -> ReportDocument:
    spec = schedule.report
    period = report_period(spec.period, today)
    # The schedule's timezone decides its days, as when it runs (schedule/reports.py); the
    # pooled connection counts in the config's, so another zone needs a session of its own.
    if reader.con.default_tz == schedule.timezone:
        return build_document(reader.con, period, by=spec.by)
    with Session(state.db_path, tz=schedule.timezone, config=state.settings) as con:
        return build_document(con, period, by=spec.by)


def _today(schedule: Schedule, as_of: str | None) -> date:
    """``as_of`` (a date), else today in the schedule's timezone."""
    day = parse_date(as_of, "as_of") if as_of else None
    return day or datetime.now(UTC).astimezone(zone(schedule.timezone)).date()


def _error_page(request: Request, message: str) -> str:
    return render(
        "page.html",
        request=request,
        slug="reports",
        view=PageView("reports", "Report preview"),
        error=message,
        filters=None,
        facts=None,
        raw={},
        extra={},
        pages=NAVIGATION,
        business_hours_available=False,
    )
