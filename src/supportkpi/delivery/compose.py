"""A report document as a :class:`Message`: the mail parts, the chat lines, the JSON payload."""

from __future__ import annotations

from supportkpi.delivery.html import render_html, render_pdf
from supportkpi.delivery.message import Attachment, Message
from supportkpi.report.document import ReportDocument
from supportkpi.report.document_text import render_json, render_markdown, render_plain

#: How many headline KPIs (with a value) a chat message lists; the mail and PDF have all.
CHAT_KPIS = 4


def report_message(doc: ReportDocument, format_: str = "html", link: str | None = None) -> Message:
    """``html``: the mail with inline charts; ``pdf``: the same, the PDF attached;
    ``markdown``: a plain mail in Markdown; ``json``: a plain mail with the data attached."""
    shown = [k for k in doc.kpis if k.current is not None][:CHAT_KPIS]
    lines = [f"{k.title}: {k.shown_current} ({k.shown_delta})" for k in shown]
    lines += doc.what_changed
    payload = {"kind": "report", "report": doc.as_dict()}
    stem = f"supportkpi-report-{doc.period.start}"
    if format_ == "markdown":
        return Message(doc.title, render_markdown(doc), lines, payload, link=link)
    if format_ == "json":
        data = Attachment(f"{stem}.json", "application/json", render_json(doc).encode())
        return Message(doc.title, render_plain(doc), lines, payload, attachments=[data], link=link)
    page = render_html(doc, inline_images=True)
    attachments = []
    if format_ == "pdf":
        attachments.append(
            Attachment(f"{stem}.pdf", "application/pdf", render_pdf(doc, page.charts))
        )
    return Message(doc.title, page.text, lines, payload, page.html, page.charts, attachments, link)
