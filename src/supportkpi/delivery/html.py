"""A :class:`ReportDocument` as HTML for mail clients, and as PDF.

The page itself is laid out by :mod:`supportkpi.report.document_html` (the dashboard's
preview shows the same page); this module draws the charts for it and turns it into PDF.
"""

from __future__ import annotations

from supportkpi.errors import UnsupportedError
from supportkpi.report.document import ReportDocument
from supportkpi.report.document_html import HtmlReport, RenderedChart, document_html
from supportkpi.web.dashboard.report_charts import render_charts

__all__ = ["HtmlReport", "render_html", "render_pdf"]


def render_html(
    doc: ReportDocument, inline_images: bool = True, charts: list[RenderedChart] | None = None
) -> HtmlReport:
    """HTML for a mail (``inline_images``: charts as ``cid:`` attachments) or for a file.

    ``charts`` saves drawing them again when the caller has them already."""
    charts = render_charts(doc) if charts is None else charts
    return document_html(doc, charts, inline_images)


def render_pdf(doc: ReportDocument, charts: list[RenderedChart] | None = None) -> bytes:
    """The same page through WeasyPrint (it needs Pango; see scripts/setup.sh)."""
    try:
        import weasyprint
    except OSError as exc:  # the Python package is there, its system libraries are not
        raise UnsupportedError(
            "PDF reports need Pango (Debian: apt-get install libpango-1.0-0 "
            f"libpangoft2-1.0-0): {exc}"
        ) from None
    html = render_html(doc, inline_images=False, charts=charts).html
    return bytes(weasyprint.HTML(string=html).write_pdf())
