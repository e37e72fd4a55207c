"""Data: what is loaded (rows per table), the load log and the quarantine of rejected rows."""

from __future__ import annotations

from collections import Counter

from supportkpi.store.quarantine import quarantine_entries
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import LOAD_HINTS, PageContext
from supportkpi.web.dashboard.model import Chart, Column, PageView, Section, Table
from supportkpi.web.dashboard.pages.common import csv_url

QUARANTINE_SHOWN = 500


def build(ctx: PageContext) -> PageView:
    view = PageView("data", "Data")
    view.sections.append(_tables(ctx))
    log = ctx.reader.store.load_log().to_pylist()
    loads = Section("Load log", id="loads", intro="Every load, newest first.")
    columns = [
        Column("load_id", "load", "int", numeric=True),
        Column("loaded_at", "loaded at", "datetime"),
        Column("table_name", "table"),
        Column("file_name", "file"),
        Column("rows_in", "rows in", "int", numeric=True),
        Column("inserted", "inserted", "int", numeric=True),
        Column("updated", "updated", "int", numeric=True),
        Column("unchanged", "unchanged", "int", numeric=True),
        Column("rejected", "rejected", "int", numeric=True),
        Column("warnings", "warnings"),
    ]
    rows = sorted(log, key=lambda r: -(r["load_id"] or 0))
    for row in rows:
        row["warnings"] = "; ".join(row.get("warnings") or [])
    loads.tables = [Table("loads", "Loads", columns, rows, csv_url=csv_url(ctx, "loads"))]
    if not rows:
        loads.empty = ctx.empty_state("tickets")
    view.sections.append(loads)
    view.sections.append(_quarantine(ctx))
    return view


def _tables(ctx: PageContext) -> Section:
    section = Section(
        "Tables", id="tables", intro="The whole store: the filters above do not apply to this page."
    )
    counts = ctx.facts.counts
    columns = [
        Column("table", "table"),
        Column("rows", "rows", "int", numeric=True),
        Column("load", "how to load"),
    ]
    rows = [
        {
            "table": name,
            "rows": count,
            "load": "" if count else _load_command(ctx, name),
        }
        for name, count in counts.items()
    ]
    table = Table("tables", "Rows per table", columns, rows, csv_url=csv_url(ctx, "tables"))
    data = [
        {"category": r["table"], "y": r["rows"], "shown": f"{r['rows']:,} rows", "drill": None}
        for r in rows
    ]
    description = "Bar chart of the rows loaded in each table; the table below has the counts."
    spec = charts.bars(
        data,
        "table",
        "rows",
        ",.0f",
        description,
        horizontal=True,
        sort=[str(r["table"]) for r in rows],
        height=20 * len(rows),
    )
    section.charts = [Chart("tables-chart", "Rows loaded", spec, description, "tables")]
    section.tables = [table]
    if ctx.facts.has_dates:
        section.notes.append(
            f"Data from {ctx.facts.first_day.isoformat()} to {ctx.facts.last_day.isoformat()} "
            f"({ctx.settings.timezone})."
        )
    return section


def _load_command(ctx: PageContext, table: str) -> str:
    command = LOAD_HINTS.get(table, ("", f"ingest {table} FILE"))[1]
    return f"supportkpi {command} --db {ctx.db_path}"


def _quarantine(ctx: PageContext) -> Section:
    section = Section(
        "Quarantine",
        id="quarantine",
        intro="Rows rejected at load time and not yet loaded again, each with the rule it broke.",
    )
    con = ctx.reader.store.con
    rejects = quarantine_entries(con)
    closed = len(quarantine_entries(con, include_resolved=True)) - len(rejects)
    if closed:
        section.notes.append(
            f"{closed:,} earlier rejects are closed: a later load stored those rows (or "
            "rejected them again). `supportkpi rejects --all` lists them."
        )
    if not rejects:
        section.notes.append("No open rejects: every loaded row is stored.")
        return section
    for row in rejects:
        row["key"] = " | ".join(str(v) for v in (row["row_key"] or {}).values())
    by_rule = Counter(f"{r['table_name']}: {r['rule']}" for r in rejects)
    data = [
        {"category": k, "y": v, "shown": f"{v:,} rows", "drill": None}
        for k, v in by_rule.most_common()
    ]
    description = "Bar chart of rejected rows by table and rule."
    spec = charts.bars(
        data, "rule", "rows", ",.0f", description, horizontal=True, height=max(60, 22 * len(data))
    )
    section.charts = [Chart("rejects-chart", "Rejected rows by rule", spec, description, "rejects")]
    columns = [
        Column("load_id", "load", "int", numeric=True),
        Column("table_name", "table"),
        Column("file_name", "file"),
        Column("row_number", "row", "int", numeric=True),
        Column("key", "key"),
        Column("column_name", "column"),
        Column("value", "value"),
        Column("rule", "rule"),
        Column("message", "message"),
    ]
    section.tables = [
        Table(
            "rejects",
            f"{len(rejects):,} open rejected rows",
            columns,
            rejects,
            csv_url=csv_url(ctx, "rejects"),
            display_limit=QUARANTINE_SHOWN,
        )
    ]
    return section
