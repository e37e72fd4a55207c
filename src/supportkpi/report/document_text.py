"""A :class:`ReportDocument` as text: a terminal table, Markdown, plain text and JSON.

The plain text is the ``text/plain`` part of the mail (clients that show no HTML, and
previews); Markdown suits a wiki page or a chat message. Both hold the same table as the HTML.
"""

from __future__ import annotations

import json
from datetime import timedelta

from rich.console import Console
from rich.table import Table

from supportkpi.report.document import DocumentKpi, ReportDocument

COLUMNS = ("KPI", "before", "now", "change", "significant", "target")


def significance_mark(kpi: DocumentKpi) -> str:
    """``yes (p=0.003)``, ``no (p=0.41)``, or ``no test`` for KPIs without one."""
    if kpi.test is None or kpi.p_value is None:
        return "no test"
    return f"{'yes' if kpi.significant else 'no'} (p={kpi.p_value:.3f})"


def target_mark(kpi: DocumentKpi) -> str:
    if kpi.target is None:
        return ""
    word = {"pass": "met", "miss": "MISSED", "no_data": "no data"}[kpi.target_status or "no_data"]
    return f"{kpi.target} ({word})"


def kpi_cells(kpi: DocumentKpi) -> list[str]:
    return [
        kpi.title,
        kpi.shown_previous,
        kpi.shown_current,
        kpi.shown_delta,
        significance_mark(kpi),
        target_mark(kpi),
    ]


def render_terminal(doc: ReportDocument, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=doc.title, header_style="bold")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("KPI", "target") else "right")
    for kpi in doc.kpis:
        table.add_row(*kpi_cells(kpi))
    console.print(table)
    console.print("[bold]What changed[/bold]")
    for line in doc.what_changed:
        console.print(f"  • {line}")
    if doc.breakdown is not None:
        console.print(_breakdown_table(doc))


def _breakdown_table(doc: ReportDocument) -> Table:
    assert doc.breakdown is not None
    b = doc.breakdown
    table = Table(title=f"By {b.dimension}", header_style="bold")
    table.add_column(b.dimension)
    for title in b.titles:
        table.add_column(title, justify="right")
    for row in b.rows:
        table.add_row(row[b.dimension], *[row.get(m, "–") for m in b.metrics])
    return table


def render_markdown(doc: ReportDocument) -> str:
    lines = [
        f"# {doc.title}",
        "",
        f"Compared with {previous_period_text(doc)}; timezone {doc.timezone}.",
        "",
    ]
    lines += _md_table(list(COLUMNS), [kpi_cells(k) for k in doc.kpis])
    lines += ["", "## What changed", ""] + [f"- {s}" for s in doc.what_changed]
    if doc.breakdown is not None:
        b = doc.breakdown
        lines += ["", f"## By {b.dimension}", ""]
        rows = [[r[b.dimension], *[r.get(m, "–") for m in b.metrics]] for r in b.rows]
        lines += _md_table([b.dimension, *b.titles], rows)
    lines += ["", f"Generated {doc.generated_at} by supportkpi."]
    return "\n".join(lines) + "\n"


def render_plain(doc: ReportDocument) -> str:
    """Aligned columns for a mail's plain-text part (no markup at all)."""
    rows = [list(COLUMNS), *[kpi_cells(k) for k in doc.kpis]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = [doc.title, f"Compared with {previous_period_text(doc)}; timezone {doc.timezone}.", ""]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    lines += ["", "What changed:"] + [f"- {s}" for s in doc.what_changed]
    if doc.breakdown is not None:
        b = doc.breakdown
        lines += ["", f"By {b.dimension}:"]
        for r in b.rows:
            values = ", ".join(
                f"{t} {r.get(m, '–')}" for m, t in zip(b.metrics, b.titles, strict=True)
            )
            lines.append(f"- {r[b.dimension]}: {values}")
    return "\n".join(lines) + "\n"


def render_json(doc: ReportDocument) -> str:
    return json.dumps(doc.as_dict(), indent=2, default=str) + "\n"


def previous_period_text(doc: ReportDocument) -> str:
    p = doc.period
    return f"{p.previous_start:%d %b %Y} – {p.previous_end - timedelta(days=1):%d %b %Y}"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return [line(header), "|" + "---|" * len(header), *[line(r) for r in rows]]
