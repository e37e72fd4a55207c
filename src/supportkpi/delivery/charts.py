"""The report's charts, for a mail: drawn by :mod:`supportkpi.web.dashboard.report_charts`
(the dashboard's preview draws them too), named here for the delivery modules."""

from __future__ import annotations

from supportkpi.report.document_html import RenderedChart
from supportkpi.web.dashboard.report_charts import chart_specs, render_charts, to_png, to_svg

__all__ = ["RenderedChart", "chart_specs", "render_charts", "to_png", "to_svg"]
