"""Data: what is loaded (rows per table), the live sources' last syncs, the load log and the
quarantine of rejected rows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from supportkpi.store.quarantine import quarantine_entries
from supportkpi.store.sync_state import SourceStatus, age_s, sync_status
from supportkpi.web.dashboard import charts
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import Chart, Column, PageView, Section, Table, display
from supportkpi.web.dashboard.pages.common import csv_url

QUARANTINE_SHOWN = 500


def build(ctx: PageContext) -> PageView:
    view = PageView("data", "Data")
    view.sections.append(_tables(ctx))
    synced = _syncs(ctx)
    if synced is not None:
        view.sections.append(synced)
    log = ctx.reader.store.load_log().to_pylist()
    loads = Section("Load log", id="loads", intro="Every load, newest first.")
    if ctx.state.reads_elsewhere:  # the store holds the server's own state only
        loads.intro = (
            f"This server reads {ctx.state.source} on {ctx.state.engine} and never writes it: "
            "its loads happen where it is written, and are not logged here."
        )
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
            "load": "" if count else ctx.load_command(name),
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


def _syncs(ctx: PageContext) -> Section | None:
    """Each synced source's streams: last sync, its pages, how old the newest data is. None
    for a store that never synced (files only): no section at all then."""
    sources = sync_status(ctx.reader.store.con)
    if not sources:
        return None
    now = datetime.now(UTC)
    section = Section(
        "Live sources",
        id="syncs",
        intro=(
            "Each [sources.NAME] synced into this store (supportkpi sync, docs/connectors.md): "
            "when each stream last stored a page, how many pages that sync stored, and the "
            "newest record time its pages reached. Times in UTC, like the load log."
        ),
    )
    columns = [
        Column("source", "source"),
        Column("system", "system"),
        Column("stream", "stream"),
        Column("last_sync", "last sync", "datetime"),
        Column("pages", "pages in the last sync", "int", numeric=True),
        Column("newest_data", "newest data", "datetime"),
        Column("age", "age of the newest data", "seconds", numeric=True),
    ]
    rows = [
        {
            "source": source.source,
            "system": source.system,
            "stream": stream.stream,
            "last_sync": stream.last_sync,
            "pages": stream.pages,
            "newest_data": stream.newest_data,
            "age": age_s(stream.newest_data, now),
        }
        for source in sources
        for stream in source.streams
    ]
    section.tables = [
        Table("syncs", "Last sync per source", columns, rows, csv_url=csv_url(ctx, "syncs"))
    ]
    section.notes += [_source_note(source, now) for source in sources]
    return section


def _source_note(source: SourceStatus, now: datetime) -> str:
    """``"zd (zendesk): last synced 2026-12-04 09:15 UTC; newest data 2026-12-04 09:12 UTC,
    3m old."``: the latest of its streams."""
    newest = source.newest_data
    age = display(age_s(newest, now), "seconds")
    reach = (
        "no record time known yet" if newest is None else f"newest data {_when(newest)}, {age} old"
    )
    return f"{source.source} ({source.system}): last synced {_when(source.last_sync)}; {reach}."


def _when(instant: datetime) -> str:
    return display(instant, "datetime")


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
