"""The dashboard's pages, declared once: the router, the navigation and the tests read this.

Each page is a function ``build(ctx) -> PageView``; it asks for its KPIs in as few ``kpi()``
calls as it can and returns plain data (tiles, charts, tables) for the one page template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import PageView
from supportkpi.web.dashboard.pages import (
    agents,
    contact_centre,
    customers,
    data,
    overview,
    quality,
    reports,
    self_service,
    sla,
    speed,
    staffing_page,
    volume,
)


@dataclass(frozen=True)
class Page:
    """A page of the dashboard: where it lives, its name in the navigation, its builder."""

    slug: str
    path: str
    title: str
    build: Callable[[PageContext], PageView]


PAGES: tuple[Page, ...] = (
    Page("overview", "/", "Overview", overview.build),
    Page("speed", "/speed", "Speed", speed.build),
    Page("volume", "/volume", "Volume and backlog", volume.build),
    Page("quality", "/quality", "Quality", quality.build),
    Page("sla", "/sla", "SLA", sla.build),
    Page("contact-centre", "/contact-centre", "Contact centre", contact_centre.build),
    Page("staffing", "/staffing", "Staffing", staffing_page.build),
    Page("agents", "/agents", "Agents and teams", agents.build),
    Page("customers", "/customers", "Customers and cost", customers.build),
    Page("self-service", "/self-service", "Self-service and automation", self_service.build),
    Page("data", "/data", "Data", data.build),
)
#: Pages about the deployment rather than the KPIs: they draw no charts, read live state
#: (the run history) rather than cached answers, and are not prepared in advance.
TOOL_PAGES: tuple[Page, ...] = (Page("reports", "/reports", "Reports", reports.build),)
#: Every page in the navigation, in its order.
NAVIGATION: tuple[Page, ...] = (*PAGES, *TOOL_PAGES)
