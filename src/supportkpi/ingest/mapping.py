"""Mapping files: how a source file's columns and values become a canonical table.

A mapping is a small TOML file; every section is optional::

    [source]
    format = "csv"                  # csv | tsv | parquet | jsonl (default: from the extension)
    delimiter = ","                 # CSV only
    encoding = "utf-8"              # CSV/TSV only
    timezone = "Europe/Rome"        # naive timestamps are local times there (default UTC)
    date_format = "%d/%m/%Y %H:%M"  # strptime layout tried before ISO 8601
    null_values = ["NA", "NULL"]    # extra texts read as empty (empty cells always are)
    implicit_columns = false        # read only mapped columns, never same-named ones
                                    #   (default true; see below)

    [columns]                       # canonical column = "source column"
    ticket_id = "Case ID"

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

    [tickets]                       # ticket_events only: defaults for tickets derived
    channel = "web"                 # from the events (when no event has a channel)

    [computed.offered_at]           # a column built from several source columns:
    join = ["Date", "Time"]         #   their texts joined (separator " " by default),
                                    #   then parsed like any cell of the column
    [computed.answered_at]          # or a timestamp plus a duration:
    from = "offered_at"             #   a canonical timestamp column of this table
    add = "Speed of answer"         #   a source column holding the duration,
    unit = "seconds"                #   in a [durations] format (default seconds)
    when = { "Answered" = "Y" }     # optional: only rows where that source column holds
                                    #   this value (or one of a list); empty elsewhere

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
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportkpi.errors import ConfigError, InputError
from supportkpi.schema import ColumnType, Table
from supportkpi.schema.tables import ACTOR_TYPES, EVENT_KINDS, TICKET_STATUSES

FORMATS = ("csv", "tsv", "parquet", "jsonl")
DURATION_FORMATS = ("hh:mm:ss", "seconds", "minutes", "hours", "milliseconds")
SECTIONS = (
    "source",
    "columns",
    "constants",
    "values",
    "durations",
    "months_before",
    "computed",
    "events",
    "tickets",
)
COMPUTED_KEYS = ("join", "separator", "from", "add", "unit", "when")
SOURCE_KEYS = (
    "format",
    "delimiter",
    "encoding",
    "timezone",
    "date_format",
    "null_values",
    "implicit_columns",
)
#: Columns the loader owns; a mapping may not set them.
LOADER_COLUMNS = ("derived",)
#: Event columns an activity cannot set (they identify the event, not describe it).
ACTIVITY_FORBIDDEN = ("event_id", "ticket_id", "at")
_CLOSED_ENUMS = {"kind": EVENT_KINDS, "actor_type": ACTOR_TYPES, "status": TICKET_STATUSES}
#: Event columns an ``[events]`` mapping sets per activity; never read from a same-named column.
ACTIVITY_OWNED = ("kind", "actor_type", "status")

Scalar = str | bool | int | float


@dataclass(frozen=True)
class ActivitySpec:
    """What one activity of an event log means: constants, column copies and cleared columns."""

    constants: dict[str, str] = field(default_factory=dict)
    copy: dict[str, str] = field(default_factory=dict)
    clear: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComputedSpec:
    """A canonical column built from source columns (``[computed.<column>]``)."""

    join: tuple[str, ...] = ()  # source columns whose texts are joined
    separator: str = " "
    start: str | None = None  # ``from``: a canonical timestamp column of the same table
    add: str | None = None  # source column holding a duration added to ``start``
    unit: str = "seconds"
    when_column: str | None = None
    when_values: tuple[str, ...] = ()

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every source column the computation reads."""
        named = (*self.join, self.add, self.when_column)
        return tuple(name for name in named if name is not None)

    def describe(self) -> str:
        """What the column is computed from, for messages."""
        if self.join:
            return "computed from " + ", ".join(repr(c) for c in self.join)
        plus = f" + {self.add!r}" if self.add else ""
        return f"computed from {self.start!r}{plus}"


@dataclass(frozen=True)
class Mapping:
    """A parsed, validated mapping for one canonical table (see the module docstring)."""

    table: str
    format: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    timezone: str = "UTC"
    date_format: str | None = None
    null_values: tuple[str, ...] = ()
    #: Read canonical columns the mapping does not name from same-named source columns.
    implicit_columns: bool = True
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    durations: dict[str, str] = field(default_factory=dict)
    #: canonical timestamp column -> (source column of whole months, reference ISO date)
    months_before: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: canonical column -> how it is computed from source columns (``[computed]``)
    computed: dict[str, ComputedSpec] = field(default_factory=dict)
    activity_column: str | None = None
    activities: dict[str, ActivitySpec] = field(default_factory=dict)
    default_activity: ActivitySpec | None = None
    ticket_channel: str | None = None
    origin: str = "mapping"


def as_text(value: Scalar) -> str:
    """Render a TOML scalar the way a source file would spell it (``true``, ``3``, ``x``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
    checker = _Checker(table)
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

    columns = checker.str_table(data, "columns", checker.mappable)
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
        delimiter=checker.optional_str(source, "delimiter", "[source]"),
        encoding=checker.optional_str(source, "encoding", "[source]") or "utf-8",
        timezone=timezone,
        date_format=checker.optional_str(source, "date_format", "[source]"),
        null_values=tuple(nulls),
        implicit_columns=implicit,
        columns=columns,
        constants=constants,
        values=values,
        durations=durations,
        months_before=months_before,
        computed=computed,
        activity_column=events[0],
        activities=events[1],
        default_activity=events[2],
        ticket_channel=str(channel).strip().lower() if channel is not None else None,
        origin=origin,
    )


def _parse_months_before(checker: _Checker, data: dict[str, Any]) -> dict[str, tuple[str, str]]:
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
    checker: _Checker, data: dict[str, Any], taken: dict[str, dict[str, Any]]
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
    checker: _Checker, data: dict[str, Any]
) -> tuple[str | None, dict[str, ActivitySpec], ActivitySpec | None]:
    events = checker.table_of(data, "events")
    if not events:
        return None, {}, None
    if checker.table.name != "ticket_events":
        checker.problem("[events] applies only when loading ticket_events")
        return None, {}, None
    for key in events:
        if key not in ("activity_column", "activities", "default"):
            checker.problem(f"[events] unknown key {key!r}")
    column = checker.optional_str(events, "activity_column", "[events]")
    if column is None:
        checker.problem("[events] activity_column is required")
    activities = {
        str(name): checker.activity(spec, f"[events.activities.{name!r}]")
        for name, spec in checker.table_of(events, "activities").items()
    }
    default = events.get("default")
    default_spec = checker.activity(default, "[events] default") if default is not None else None
    if not activities and default_spec is None:
        checker.problem("[events] lists no activities")
    return column, activities, default_spec


class _Checker:
    """Collects mapping problems instead of stopping at the first."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def table_of(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem(f"[{key}] must be a table")
            return {}
        return value

    def optional_str(self, data: dict[str, Any], key: str, where: str) -> str | None:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            self.problem(f"{where} {key} must be a string")
            return None
        return value

    def scalar(self, value: object, where: str) -> bool:
        if isinstance(value, str | bool | int | float):
            return True
        self.problem(f"{where}: expected a string, number or boolean")
        return False

    def mappable(self, name: str, where: str) -> bool:
        if name in LOADER_COLUMNS:
            self.problem(f"{where} {name}: set by the loader, cannot be mapped")
            return False
        if name not in self.table.column_names:
            close = difflib.get_close_matches(name, self.table.column_names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problem(f"{where} {name}: unknown column of table {self.table.name!r}{hint}")
            return False
        return True

    def numeric(self, name: str, where: str) -> bool:
        if not self.mappable(name, where):
            return False
        if self.table.column(name).type not in (ColumnType.FLOAT, ColumnType.INTEGER):
            self.problem(f"{where} {name}: not a numeric column, cannot hold a duration")
            return False
        return True

    def str_table(
        self, data: dict[str, Any], key: str, accept: Any, where: str | None = None
    ) -> dict[str, str]:
        where = where or f"[{key}]"
        out = {}
        for name, value in self.table_of(data, key).items():
            if not accept(name, where):
                continue
            if not isinstance(value, str):
                self.problem(f"{where} {name}: expected a string")
                continue
            out[name] = value
        return out

    def enum_value(self, name: str, value: str, where: str) -> None:
        allowed = _CLOSED_ENUMS.get(name) if self.table.name == "ticket_events" else None
        if name in self.table.column_names and not allowed:
            column = self.table.column(name)
            allowed = column.enum if column.enum and not column.open_enum else None
        if allowed and value.strip().lower() not in allowed:
            self.problem(f"{where}: {value!r} is not one of {', '.join(allowed)}")

    def computed(self, name: str, spec: dict[str, Any], where: str) -> ComputedSpec | None:
        for key in spec:
            if key not in COMPUTED_KEYS:
                self.problem(f"{where} unknown key {key!r}; known: {', '.join(COMPUTED_KEYS)}")
        join, start = spec.get("join"), spec.get("from")
        if (join is None) == (start is None):
            self.problem(f'{where}: give either join = [columns] or from = "column"')
            return None
        when_column, when_values = self._when(spec.get("when"), where)
        separator = self.optional_str(spec, "separator", where)
        if join is not None:
            if not isinstance(join, list) or not join or not all(isinstance(c, str) for c in join):
                self.problem(f"{where} join must be a list of source column names")
                return None
            if "add" in spec or "unit" in spec:
                self.problem(f"{where}: add and unit go with from, not with join")
            return ComputedSpec(
                tuple(join), " " if separator is None else separator,
                when_column=when_column, when_values=when_values,
            )  # fmt: skip
        time_type = ColumnType.TIMESTAMP
        if self.table.column(name).type is not time_type:
            self.problem(f"{where}: from/add builds a timestamp; {name} is not one")
        if not isinstance(start, str) or not self.mappable(start, f"{where} from"):
            return None
        if self.table.column(start).type is not time_type or start == name:
            self.problem(f"{where} from: {start} must be another timestamp column")
        add = self.optional_str(spec, "add", where)
        unit = self.optional_str(spec, "unit", where) or "seconds"
        if unit not in DURATION_FORMATS:
            self.problem(f"{where} unit {unit!r} is not one of {', '.join(DURATION_FORMATS)}")
        if separator is not None:
            self.problem(f"{where}: separator goes with join")
        return ComputedSpec(
            start=start, add=add, unit=unit, when_column=when_column, when_values=when_values
        )

    def _when(self, when: object, where: str) -> tuple[str | None, tuple[str, ...]]:
        if when is None:
            return None, ()
        if not isinstance(when, dict) or len(when) != 1:
            self.problem(f'{where} when must name one source column: {{ "Column" = "value" }}')
            return None, ()
        ((column, wanted),) = when.items()
        listed = wanted if isinstance(wanted, list) else [wanted]
        if not listed or not all(self.scalar(v, f"{where} when") for v in listed):
            return None, ()
        return str(column), tuple(as_text(v) for v in listed)

    def activity(self, spec: object, where: str) -> ActivitySpec:
        if not isinstance(spec, dict):
            self.problem(f"{where} must be a table")
            return ActivitySpec()
        constants: dict[str, str] = {}
        copy: dict[str, str] = {}
        clear: list[str] = []
        for key, value in spec.items():
            if key == "copy":
                copy = self.str_table(spec, "copy", self._activity_column, f"{where} copy")
            elif key == "clear":
                if not isinstance(value, list):
                    self.problem(f"{where} clear must be a list of column names")
                    continue
                clear = [str(v) for v in value if self._activity_column(str(v), f"{where} clear")]
            elif self._activity_column(key, where) and self.scalar(value, f"{where} {key}"):
                constants[key] = as_text(value)
                self.enum_value(key, constants[key], f"{where} {key}")
        return ActivitySpec(constants, copy, tuple(clear))

    def _activity_column(self, name: str, where: str) -> bool:
        if name in ACTIVITY_FORBIDDEN:
            self.problem(f"{where} {name}: identifies the event, an activity cannot set it")
            return False
        return self.mappable(name, where)
