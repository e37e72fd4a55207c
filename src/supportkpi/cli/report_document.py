"""`supportkpi report --period ... --format ...`: build the report document, render, write."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from supportkpi.cli.options import SourceOptions
from supportkpi.engine.periods import parse_date, zone
from supportkpi.errors import InputError


def write_document(
    source: SourceOptions,
    period: str | None,
    from_: str | None,
    to: str | None,
    by: str | None,
    format_: str,
    out: Path | None,
    as_of: str | None,
) -> None:
    from supportkpi.delivery.formats import FORMATS, render_document
    from supportkpi.report.document import build_document, report_period
    from supportkpi.report.document_text import render_terminal

    if format_ not in FORMATS:
        raise InputError(f"unknown format {format_!r}; use {', '.join(FORMATS)}")
    if format_ == "pdf" and out is None:
        raise InputError("a PDF is written to a file: add --out report.pdf")
    if format_ == "terminal" and out is not None:
        raise InputError("--out needs a file format: markdown, html, pdf or json")
    with source.connect() as con:
        today = parse_date(as_of, "--as-of") or datetime.now(zone(con.default_tz)).date()
        chosen = report_period(period or "last-month", today, from_, to)
        doc = build_document(con, chosen, by=by)
    if format_ == "terminal":
        render_terminal(doc)
        return
    body = render_document(doc, format_)
    if out is None:
        typer.echo(body.decode("utf-8"), nl=False)
        return
    out.write_bytes(body)
    typer.echo(f"Wrote {out} ({len(body):,} bytes).", err=True)
