"""The web dashboard (issue 7 §3): server-rendered pages over the same store as the API.

Mount it on the API app (idempotent)::

    from supportkpi.web.dashboard import mount_dashboard
    mount_dashboard(app)          # or: app.include_router(dashboard_router)

Pages live at ``/`` (overview), ``/speed``, ``/volume``, ``/quality``, ``/sla``,
``/contact-centre``, ``/agents``, ``/customers``, ``/self-service``, ``/data``, the
drill-down at ``/tickets``, and ``/reports`` (schedules, alerts, their runs, and a preview of
each report at ``/reports/preview/NAME``); filters are in the query string (see
:mod:`supportkpi.web.dashboard.filters`).
"""

from __future__ import annotations

from fastapi import FastAPI

from supportkpi.web.dashboard.router import router as dashboard_router


def mount_dashboard(app: FastAPI) -> FastAPI:
    """Add the dashboard's routes to ``app`` once (a second call changes nothing)."""
    if not any(getattr(route, "path", None) == "/static/vega-bundle.js" for route in app.routes):
        app.include_router(dashboard_router)
    return app


__all__ = ["dashboard_router", "mount_dashboard"]
