"""One document, every format: ``markdown``, ``html``, ``pdf`` and ``json`` as bytes.

(``terminal`` is drawn on a console by :func:`supportkpi.report.document_text.render_terminal`.)
"""

from __future__ import annotations

from supportkpi.delivery.html import render_html, render_pdf
from supportkpi.errors import InputError
from supportkpi.report.document import ReportDocument
from supportkpi.report.document_text import render_json, render_markdown

FORMATS = ("terminal", "markdown", "html", "pdf", "json")
#: File suffix and MIME type of each format that makes a file.
MEDIA = {
    "markdown": (".md", "text/markdown"),
    "html": (".html", "text/html"),
    "pdf": (".pdf", "application/pdf"),
    "json": (".json", "application/json"),
}


def render_document(doc: ReportDocument, format_: str) -> bytes:
    """The document as a file's bytes; HTML carries its charts as ``data:`` URLs."""
    if format_ == "markdown":
        return render_markdown(doc).encode("utf-8")
    if format_ == "html":
        return render_html(doc, inline_images=False).html.encode("utf-8")
    if format_ == "pdf":
        return render_pdf(doc)
    if format_ == "json":
        return render_json(doc).encode("utf-8")
    raise InputError(f"unknown format {format_!r}; use {', '.join(FORMATS)}")
