"""Mapping files: how a source file's columns and values become a canonical table.

A mapping is a small TOML file; every section is optional::

    [source]
    format = "csv"                  # csv | tsv | parquet | jsonl | xlsx | xes
                                    #   (default: from the extension)
    delimiter = ","                 # CSV only; "whitespace" splits on runs of blanks
    widths = [10, 20, 5]            # fixed-width text instead: column widths in characters
    sheet = "Tickets"               # Excel: the sheet (default the first; --sheet overrides)
    encoding = "utf-8"              # CSV/TSV only
    timezone = "Europe/Rome"        # naive timestamps are local times there (default UTC)
    date_format = "%d/%m/%Y %H:%M"  # strptime layout tried before ISO 8601, or a list of
                                    #   layouts tried in order
    null_values = ["NA", "NULL"]    # extra texts read as empty (empty cells always are)
    implicit_columns = false        # read only mapped columns, never same-named ones
                                    #   (default true; see below)
    ignore_case = true              # mapped source names match ignoring case and blanks
    row_number_column = "line"      # add the record's row number as a source column
    duplicates = "keep_last"        # snapshot exports: the last row of a key is the record
    order_by = "updated_at"         #   (the last by this canonical column, then file order)

    [filter]                        # rows to load; the others are quarantined as filtered
    keep = { "Type" = ["Incident", "Request"] }   # every condition must hold
    drop = { "State" = "Draft" }

    [columns]                       # canonical column = "source column"
    ticket_id = "Case ID"
    solved_at = ["Resolved", "Closed"]   # a list: the first non-empty of them

    [constants]                     # canonical column = value (also fills empty cells)
    channel = "email"

    [values.resolved]               # source value -> canonical value, for one column
    Y = true
    N = false                       # (map a value to "" to leave the cell empty)

    [months_before]                 # timestamp = a whole number of months before a date
    created_at = { column = "tenure", reference = "2024-01-31" }

    [durations]                     # numeric column = "hh:mm:ss" | "seconds" | "minutes"
    talk_s = "hh:mm:ss"             #                   | "hours" | "milliseconds"

    [events]                        # ticket_events only: one activity column -> event fields
    activity_column = "concept:name"
    default = { kind = "note", actor_type = "system" }   # for unlisted activities

    [events.activities."Take in charge ticket"]
    kind = "message"
    actor_type = "agent"
    public = true
    copy = { assignee_id = "org:resource" }   # per-activity column copies
    clear = ["actor_id"]                      # per-activity columns forced empty

    [[events.rules]]                # many activities at once, tried in order after the
    match = "Reply *"               #   exact names: match (wildcards * ?) or regex (RE2,
    when = { "Sub" = "public" }     #   whole name), and/or when on other source columns
    kind = "message"
    actor_type = "agent"

    [tickets]                       # ticket_events only: defaults for tickets derived
    channel = "web"                 # from the events (when no event has a channel)

    [computed.offered_at]           # a column built from several source columns:
    join = ["Date", "Time"]         #   their texts joined (separator " " by default),
                                    #   then parsed like any cell of the column
    [computed.answered_at]          # or a timestamp plus a duration:
    from = "offered_at"             #   a canonical timestamp column of this table
    add = "Speed of answer"         #   a source column holding the duration,
    unit = "seconds"                #   in a [durations] format (default seconds)
    when = { "Answered" = "Y" }     # optional: only rows where these source columns hold
                                    #   these values (or one of a list); empty elsewhere

Computed columns: a row with an empty input gets an empty value (a text column joins the
parts that are there); where ``when`` holds, an empty input is an error instead. A row whose
inputs do not parse (or make no valid value) is quarantined with the rule ``computed``. A
computed column is not also named in ``[columns]``, ``[constants]``, ``[values]`` or
``[months_before]``; ``from`` may name another computed column.

Canonical columns that the mapping does not name are read from a source column of the same
name (case-insensitive), and the load summary says so ("read column 'Status' as status")
whenever the mapping names source columns or the spelling differs. ``[source]
implicit_columns = false`` turns this off. With an ``[events]`` activity column, the activity
rules own ``status``, ``kind`` and ``actor_type``: a same-named source column is never read
into them (an activity can still ``copy`` it). Source columns nobody asks for are ignored.
Every problem in a mapping is reported at once, in one :class:`~supportkpi.errors.ConfigError`.

This module holds the file format (its sections and keys) and the parser; the parsed form is
in :mod:`supportkpi.ingest.mapping_model`, the checks of single entries in
:mod:`supportkpi.ingest.mapping_checks`.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportkpi.errors import ConfigError, InputError
from supportkpi.ingest.mapping_checks import MappingChecker
from supportkpi.ingest.mapping_layout import parse_columns, parse_layout
from supportkpi.ingest.mapping_model import (
    DUPLICATE_MODES,
    DURATION_FORMATS,
    ActivityRule,
    ActivitySpec,
    ComputedSpec,
    Mapping,
    RowFilter,
    as_text,
)
from supportkpi.ingest.readers import FORMATS
from supportkpi.schema import ColumnType, Table

SECTIONS = (
    "source",
    "filter",
    "columns",
    "constants",
    "values",
    "durations",
    "months_before",
    "computed",
    "events",
    "tickets",
)
SOURCE_KEYS = (
    "format",
    "delimiter",
    "encoding",
    "timezone",
    "date_format",
    "null_values",
    "implicit_columns",
    "ignore_case",
    "sheet",
    "widths",
    "row_number_column",
    "duplicates",
    "order_by",
)


def load_mapping(source: str | Path | dict[str, Any] | Mapping | None, table: Table) -> Mapping:
    """Read and validate a mapping (a TOML path, an already parsed dict, or ``None``)."""
    if source is None:
        return Mapping(table=table.name)
    if isinstance(source, Mapping):
        return source
    if isinstance(source, dict):
        return parse_mapping(source, table, origin="mapping")
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{path}: mapping file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: invalid TOML: {exc}") from None
    return parse_mapping(data, table, origin=path.name)


def parse_mapping(data: dict[str, Any], table: Table, origin: str = "mapping") -> Mapping:
    """Validate parsed TOML against ``table``; one ConfigError lists every problem."""
    checker = MappingChecker(table)
    for section in data:
        if section not in SECTIONS:
            checker.problem(f"unknown section [{section}]; known: {', '.join(SECTIONS)}")
    source = checker.table_of(data, "source")
    for key in source:
        if key not in SOURCE_KEYS:
            checker.problem(f"[source] unknown key {key!r}; known: {', '.join(SOURCE_KEYS)}")
    fmt = checker.optional_str(source, "format", "[source]")
    if fmt is not None and fmt not in FORMATS:
        checker.problem(f"[source] format {fmt!r} is not one of {', '.join(FORMATS)}")
    timezone = checker.optional_str(source, "timezone", "[source]") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        checker.problem(f"[source] timezone {timezone!r} is not an IANA time zone name")
    nulls = source.get("null_values", [])
    if not isinstance(nulls, list) or not all(isinstance(v, str) for v in nulls):
        checker.problem("[source] null_values must be a list of strings")
        nulls = []
    implicit = source.get("implicit_columns", True)
    if not isinstance(implicit, bool):
        checker.problem("[source] implicit_columns must be true or false")
        implicit = True
    ignore_case = source.get("ignore_case", False)
    if not isinstance(ignore_case, bool):
        checker.problem("[source] ignore_case must be true or false")
        ignore_case = False
    layout = parse_layout(checker, source, fmt)
    duplicates = checker.optional_str(source, "duplicates", "[source]") or "reject"
    if duplicates not in DUPLICATE_MODES:
        checker.problem(
            f"[source] duplicates {duplicates!r} is not one of {', '.join(DUPLICATE_MODES)}"
        )
    order_by = checker.optional_str(source, "order_by", "[source]")
    if order_by is not None:
        if duplicates != "keep_last":
            checker.problem('[source] order_by goes with duplicates = "keep_last"')
        checker.mappable(order_by, "[source] order_by")
    row_filter = RowFilter(
        checker.conditions(checker.table_of(data, "filter").get("keep"), "[filter] keep"),
        checker.conditions(checker.table_of(data, "filter").get("drop"), "[filter] drop"),
    )
    for key in checker.table_of(data, "filter"):
        if key not in ("keep", "drop"):
            checker.problem(f"[filter] unknown key {key!r}; known: keep, drop")

    columns, fallbacks = parse_columns(checker, data)
    constants = {
        name: as_text(value)
        for name, value in checker.table_of(data, "constants").items()
        if checker.mappable(name, "[constants]") and checker.scalar(value, f"[constants] {name}")
    }
    for name, value in constants.items():
        checker.enum_value(name, value, f"[constants] {name}")
    values: dict[str, dict[str, str]] = {}
    for name, value_map in checker.table_of(data, "values").items():
        if not checker.mappable(name, "[values]"):
            continue
        if not isinstance(value_map, dict):
            checker.problem(f"[values.{name}] must be a table of source value = canonical value")
            continue
        values[name] = {
            str(src): as_text(dst)
            for src, dst in value_map.items()
            if checker.scalar(dst, f"[values.{name}] {src}")
        }
    durations = checker.str_table(data, "durations", checker.numeric)
    for name, fmt_name in durations.items():
        if fmt_name not in DURATION_FORMATS:
            checker.problem(
                f"[durations] {name}: unknown duration format {fmt_name!r}; "
                f"use one of {', '.join(DURATION_FORMATS)}"
            )
    months_before = _parse_months_before(checker, data)
    taken: dict[str, dict[str, Any]] = {
        "columns": columns,
        "constants": constants,
        "values": values,
        "months_before": months_before,
    }
    computed = _parse_computed(checker, data, taken)
    events = _parse_events(checker, data)
    tickets = checker.table_of(data, "tickets")
    for key in tickets:
        if key != "channel":
            checker.problem(f"[tickets] unknown key {key!r}; only 'channel' can be set")
    if tickets and table.name != "ticket_events":
        checker.problem("[tickets] applies only when loading ticket_events")
    if checker.problems:
        raise ConfigError(f"{origin}: invalid mapping for table {table.name!r}", checker.problems)
    channel = tickets.get("channel")
    return Mapping(
        table=table.name,
        format=fmt,
        delimiter=layout["delimiter"],
        encoding=checker.optional_str(source, "encoding", "[source]") or "utf-8",
        timezone=timezone,
        date_formats=layout["date_formats"],
        sheet=layout["sheet"],
        widths=layout["widths"],
        null_values=tuple(nulls),
        implicit_columns=implicit,
        ignore_case=ignore_case,
        row_number_column=layout["row_number_column"],
        duplicates=duplicates,
        order_by=order_by,
        row_filter=row_filter,
        columns=columns,
        fallbacks=fallbacks,
        constants=constants,
        values=values,
        durations=durations,
        months_before=months_before,
        computed=computed,
        activity_column=events[0],
        activities=events[1],
        default_activity=events[2],
        activity_rules=events[3],
        ticket_channel=str(channel).strip().lower() if channel is not None else None,
        origin=origin,
    )


def _parse_months_before(
    checker: MappingChecker, data: dict[str, Any]
) -> dict[str, tuple[str, str]]:
    """``[months_before]``: a timestamp column computed as N months before a reference date."""
    out = {}
    for name, spec in checker.table_of(data, "months_before").items():
        where = f"[months_before] {name}"
        if not checker.mappable(name, "[months_before]"):
            continue
        if checker.table.column(name).type not in (ColumnType.TIMESTAMP, ColumnType.DATE):
            checker.problem(f"{where}: not a timestamp or date column")
            continue
        if not isinstance(spec, dict) or set(spec) != {"column", "reference"}:
            checker.problem(f'{where} must be {{ column = "...", reference = "YYYY-MM-DD" }}')
            continue
        column, reference = spec["column"], spec["reference"]
        if not isinstance(column, str) or not column:
            checker.problem(f"{where}: column must be the name of a source column")
            continue
        try:
            date.fromisoformat(str(reference))
        except ValueError:
            checker.problem(f"{where}: reference {reference!r} is not a date (YYYY-MM-DD)")
            continue
        out[name] = (column, str(reference))
    return out


def _parse_computed(
    checker: MappingChecker, data: dict[str, Any], taken: dict[str, dict[str, Any]]
) -> dict[str, ComputedSpec]:
    """``[computed.<column>]``: a column joined from source columns, or a timestamp + duration."""
    specs: dict[str, ComputedSpec] = {}
    for name, spec in checker.table_of(data, "computed").items():
        where = f"[computed.{name}]"
        if not checker.mappable(name, "[computed]"):
            continue
        if not isinstance(spec, dict):
            checker.problem(f"{where} must be a table (join = [...], or from/add)")
            continue
        for section, names in taken.items():
            if name in names:
                checker.problem(f"{where}: {name} is also in [{section}]; keep one of the two")
        parsed = checker.computed(name, spec, where)
        if parsed is not None:
            specs[name] = parsed
    for name in specs:  # a column computed from itself, directly or through others
        seen, current = {name}, specs[name].start
        while current in specs:
            if current in seen:
                checker.problem(f"[computed.{name}]: 'from' goes round in a circle")
                break
            seen.add(current)
            current = specs[current].start
    return specs


def _parse_events(
    checker: MappingChecker, data: dict[str, Any]
) -> tuple[str | None, dict[str, ActivitySpec], ActivitySpec | None, tuple[ActivityRule, ...]]:
    events = checker.table_of(data, "events")
    if not events:
        return None, {}, None, ()
    if checker.table.name != "ticket_events":
        checker.problem("[events] applies only when loading ticket_events")
        return None, {}, None, ()
    for key in events:
        if key not in ("activity_column", "activities", "default", "rules"):
            checker.problem(
                f"[events] unknown key {key!r}; known: activity_column, activities, rules, default"
            )
    column = checker.optional_str(events, "activity_column", "[events]")
    if column is None:
        checker.problem("[events] activity_column is required")
    activities = {
        str(name): checker.activity(spec, f"[events.activities.{name!r}]")
        for name, spec in checker.table_of(events, "activities").items()
    }
    default = events.get("default")
    default_spec = checker.activity(default, "[events] default") if default is not None else None
    listed = events.get("rules", [])
    if not isinstance(listed, list):
        checker.problem("[events] rules must be an array of tables: [[events.rules]]")
        listed = []
    parsed = (checker.activity_rule(spec, n) for n, spec in enumerate(listed, start=1))
    rules = tuple(rule for rule in parsed if rule is not None)
    if not activities and default_spec is None and not listed:
        checker.problem("[events] lists no activities")
    return column, activities, default_spec, rules
