"""The web dashboard (issue 7 §3): server-rendered pages over the same store as the API.

Mount it on the API app::

    from supportkpi.web.dashboard import dashboard_router
    app.include_router(dashboard_router)

Pages live at ``/`` (overview), ``/speed``, ``/volume``, ``/quality``, ``/sla``,
``/contact-centre``, ``/agents``, ``/customers``, ``/self-service``, ``/data`` and the
drill-down at ``/tickets``; filters are in the query string (see
:mod:`supportkpi.web.dashboard.filters`).
"""

from supportkpi.web.dashboard.router import router as dashboard_router

__all__ = ["dashboard_router"]
