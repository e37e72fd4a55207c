"""A :class:`ReportDocument` as HTML that reads well in mail clients and in a browser.

Mail clients drop ``<style>`` blocks and external resources, so every element carries its
own ``style`` attribute, the layout is one 600-pixel table column, and the charts are either
inline attachments (``cid:`` URLs, for a mail) or ``data:`` URLs (a file, the PDF, the
dashboard's preview). The charts come drawn already (see
:mod:`supportkpi.web.dashboard.report_charts`): this module only lays the page out, so the
mail, the file and the preview are one page. It has no script, so it also keeps to the
dashboard's Content-Security-Policy (inline styles and ``data:`` images only).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import Environment

from supportkpi.report.document import ReportDocument
from supportkpi.report.document_text import (
    COLUMNS,
    kpi_cells,
    previous_period_text,
    render_plain,
)

FONT = "font-family:Helvetica,Arial,sans-serif;"
CELL = FONT + "padding:4px 8px;border-bottom:1px solid #e6e6e6;font-size:13px;color:#222;"
HEAD = CELL + "font-weight:bold;background:#f4f6f8;text-align:left;"
MISSED = "color:#b00020;font-weight:bold;"

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width">
<title>{{ doc.title }}</title></head>
<body style="margin:0;padding:16px;background:#ffffff;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0"
 style="{{ font }}max-width:600px;border-collapse:collapse;">
<tr><td>
{% if banner %}<p style="{{ font }}font-size:13px;color:#333;background:#fff8e1;
padding:8px;margin:0 0 12px 0;">{{ banner }}</p>{% endif %}
<h1 style="{{ font }}font-size:20px;margin:0 0 4px 0;color:#111;">{{ doc.title }}</h1>
<p style="{{ font }}font-size:13px;color:#555;margin:0 0 12px 0;">Compared with the previous
 period ({{ previous }}); timezone {{ doc.timezone }}.</p>
<table cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;">
<tr>{% for col in columns %}<th style="{{ head }}{% if loop.index > 1 and loop.index < 6
 %}text-align:right;{% endif %}">{{ col }}</th>{% endfor %}</tr>
{% for kpi, cells in rows %}<tr>
{% for cell in cells %}<td style="{{ cell_style }}{% if loop.index > 1 and loop.index < 6
 %}text-align:right;{% endif %}{% if loop.last and kpi.target_status == 'miss' %}{{ missed
 }}{% endif %}">{{ cell }}</td>{% endfor %}
</tr>{% endfor %}
</table>
<h2 style="{{ font }}font-size:16px;margin:16px 0 4px 0;color:#111;">What changed</h2>
<ul style="{{ font }}font-size:13px;color:#222;margin:0;padding-left:20px;">
{% for line in doc.what_changed %}<li style="margin:2px 0;">{{ line }}</li>{% endfor %}
</ul>
{% for chart in charts %}
<h2 style="{{ font }}font-size:15px;margin:16px 0 4px 0;color:#111;">{{ chart.title }}</h2>
<img src="{{ source(chart) }}" width="560" alt="{{ chart.description }}"
 style="display:block;border:0;max-width:100%;height:auto;">
{% endfor %}
{% if doc.breakdown %}{% set b = doc.breakdown %}
<h2 style="{{ font }}font-size:16px;margin:16px 0 4px 0;color:#111;">By {{ b.dimension }}</h2>
<table cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;">
<tr><th style="{{ head }}">{{ b.dimension }}</th>
{% for t in b.titles %}<th style="{{ head }}text-align:right;">{{ t }}</th>{% endfor %}</tr>
{% for row in b.rows %}<tr><td style="{{ cell_style }}">{{ row[b.dimension] }}</td>
{% for m in b.metrics %}<td style="{{ cell_style }}text-align:right;">{{ row.get(m, '–')
 }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endif %}
<p style="{{ font }}font-size:11px;color:#777;margin:16px 0 0 0;">Generated {{
 doc.generated_at }} by supportkpi.</p>
</td></tr></table>
</body></html>
"""

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class RenderedChart:
    """One chart: ``cid`` names it inside a mail, ``title`` is its caption and alt text."""

    cid: str
    title: str
    description: str
    png: bytes


@dataclass(frozen=True)
class HtmlReport:
    """The HTML, its plain-text twin, and the PNG charts the HTML refers to by ``cid:``."""

    html: str
    text: str
    charts: list[RenderedChart] = field(default_factory=list)


def document_html(
    doc: ReportDocument,
    charts: list[RenderedChart],
    inline_images: bool = True,
    banner: str | None = None,
) -> HtmlReport:
    """HTML for a mail (``inline_images``: charts as ``cid:`` attachments) or for a file or a
    browser (charts as ``data:`` URLs). ``banner``: a line above the report (the preview
    says it is one)."""

    def source(chart: RenderedChart) -> str:
        if inline_images:
            return f"cid:{chart.cid}"
        return "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")

    html = _page(doc, charts, source, banner)
    return HtmlReport(html, render_plain(doc), charts if inline_images else [])


def _page(
    doc: ReportDocument,
    charts: list[RenderedChart],
    source: Callable[[RenderedChart], str],
    banner: str | None,
) -> str:
    return _ENV.from_string(TEMPLATE).render(
        doc=doc,
        previous=previous_period_text(doc),
        columns=COLUMNS,
        rows=[(k, kpi_cells(k)) for k in doc.kpis],
        charts=charts,
        source=source,
        font=FONT,
        head=HEAD,
        cell_style=CELL,
        missed=MISSED,
        banner=banner,
    )
