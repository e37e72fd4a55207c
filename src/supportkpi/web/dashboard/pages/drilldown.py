"""The rows behind a number: ``/tickets?metric=…&period=…&grain=…`` plus the page's filters.

It pages through :meth:`Connection.rows_behind` (tickets, calls, survey responses, …, newest
first). The CSV download holds every row, up to :data:`CSV_LIMIT`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from supportkpi.errors import ConfigError, InputError
from supportkpi.metrics.selector import Selector, parse_selector
from supportkpi.query.runner import missing_basis
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import Column, EmptyState, PageView, Section, Table
from supportkpi.web.dashboard.pages.common import csv_url, frame_rows
from supportkpi.web.dashboard.render import sentence
from supportkpi.web.dashboard.tiles import title_of

PAGE_SIZE = 50
CSV_LIMIT = 10_000
#: Columns of the row lists that only serve the engine.
HIDDEN = ("open_at", "close_at", "since", "den", "delta")
TEXT_COLUMNS = ("ticket_id", "call_id", "response_id", "session_id", "customer_id")


def build(ctx: PageContext, download: bool = False) -> PageView:
    """One page of rows (or, with ``download``, all rows up to the CSV limit)."""
    metric = ctx.extra_params.get("metric", "")
    if not metric:
        raise InputError(
            "name the KPI whose rows to list, e.g. /tickets?metric=first_response_time"
        )
    sel = parse_selector(metric)
    period = ctx.extra_params.get("period") or None
    page = _page_number(ctx.extra_params.get("page", "1"))
    title = title_of(sel)
    view = PageView("tickets", f"Rows behind {title}")
    reason = ctx.unavailable_reason(sel)
    if reason:
        raise InputError(f"{title} is {reason}; remove that filter to list its rows")
    arguments: dict[str, Any] = {
        "start": ctx.filters.start,
        "end": ctx.filters.end,
        "grain": ctx.filters.grain if period else None,
        "where": ctx.filters.where_dict(),
        "business_hours": ctx.filters.business_hours and sel.metric.business_hours,
    }
    con = ctx.reader.con
    # Rows behind a value that has no basis would read as that value's evidence.
    missing = missing_basis(con.backend, sel.metric)
    if missing is not None:
        view.sections.append(Section(title, id="rows", empty=EmptyState(_sentence(missing.note))))
        return view
    try:
        return _rows_view(ctx, view, sel, period, page, download, arguments)
    except ConfigError as exc:  # the metric needs configuration: say which, as the tiles do
        view.sections.append(Section(title, id="rows", empty=EmptyState(_sentence(str(exc)))))
        return view


def _rows_view(
    ctx: PageContext,
    view: PageView,
    sel: Selector,
    period: str | None,
    page: int,
    download: bool,
    arguments: dict[str, Any],
) -> PageView:
    con = ctx.reader.con
    title = title_of(sel)
    if download:
        frames, total, number = [], 0, 1
        while True:
            found = con.rows_behind(sel.label, period, number, 1000, **arguments)
            frames.append(found.rows)
            total = found.total
            if number * 1000 >= min(total, CSV_LIMIT):
                break
            number += 1
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    else:
        found = con.rows_behind(sel.label, period, page, PAGE_SIZE, **arguments)
        rows, total = found.rows, found.total
    section = Section(_heading(ctx, title, period, total), id="rows")
    section.intro = sel.metric.definition
    table = _table(ctx, sel.metric.unit, rows)
    if download and total > CSV_LIMIT:
        table.limit_note = f"first {CSV_LIMIT:,} of {total:,} rows"
    pages = max(1, -(-total // PAGE_SIZE))
    section.data = {"page": page, "pages": pages, "total": total, "links": _pager(ctx, page, pages)}
    section.partial = "_pager.html"
    section.tables.append(table)
    view.sections.append(section)
    return view


def _sentence(text: str) -> str:
    return sentence(text) + ("" if text.endswith(".") else ".")


def _heading(ctx: PageContext, title: str, period: str | None, total: int) -> str:
    when = f"the {ctx.filters.grain} starting {period}" if period else "the selected range"
    return f"{total:,} rows behind {title} in {when}"


def _table(ctx: PageContext, unit: Any, rows: pd.DataFrame) -> Table:
    rows = rows.drop(columns=[c for c in HIDDEN if c in rows.columns])
    columns = []
    for name in rows.columns:
        if name == "at":
            columns.append(Column("at", "dated at", "datetime"))
        elif name == "value":
            columns.append(Column("value", "value", str(unit), numeric=True))
        elif name == "counted":
            columns.append(Column("counted", "counts toward the rate", "bool"))
        else:
            columns.append(Column(str(name), str(name).replace("_", " ")))
    table = Table("rows", "Rows", columns, frame_rows(rows), csv_url=csv_url(ctx, "rows"))
    return table


def _pager(ctx: PageContext, page: int, pages: int) -> dict[str, str | None]:
    def link(number: int) -> str | None:
        if number < 1 or number > pages or number == page:
            return None
        params = {**ctx.extra_params, "page": str(number)}
        return ctx.filters.url(ctx.path, **params)

    return {
        "first": link(1),
        "previous": link(page - 1),
        "next": link(page + 1),
        "last": link(pages),
    }


def _page_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"the page number must be 1 or more, got {text!r}")
    return int(text)
