"""What a parsed mapping holds: :class:`Mapping` and the specs inside it.

:class:`ActivitySpec` is one activity of an ``[events]`` log, :class:`ComputedSpec` one
``[computed]`` column. The file format, and the parser that builds these from TOML, are in
:mod:`supportkpi.ingest.mapping`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DURATION_FORMATS = ("hh:mm:ss", "seconds", "minutes", "hours", "milliseconds")
#: Event columns an ``[events]`` mapping sets per activity; never read from a same-named column.
ACTIVITY_OWNED = ("kind", "actor_type", "status")

Scalar = str | bool | int | float
#: Conditions on source columns: (column, the texts it may hold); every column must hold.
When = tuple[tuple[str, tuple[str, ...]], ...]
DUPLICATE_MODES = ("reject", "keep_last")


def describe_when(when: When) -> str:
    """``'State' = 'Resolved' and 'Sub' in ('a', 'b')``, for messages."""
    parts = []
    for column, values in when:
        shown = repr(values[0]) if len(values) == 1 else "one of " + ", ".join(map(repr, values))
        parts.append(f"{column!r} is {shown}")
    return " and ".join(parts)


@dataclass(frozen=True)
class ActivitySpec:
    """What one activity of an event log means: constants, column copies and cleared columns."""

    constants: dict[str, str] = field(default_factory=dict)
    copy: dict[str, str] = field(default_factory=dict)
    clear: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActivityRule:
    """An ``[[events.rules]]`` entry: activities matched by pattern and/or by other columns."""

    spec: ActivitySpec
    number: int  # 1-based position in the file, for messages
    pattern: str | None = None  # an RE2 regular expression the whole activity name matches
    shown: str | None = None  # the pattern as written (glob or regex), for messages
    when: When = ()

    def describe(self) -> str:
        """``rule 2 (match 'Resolve*')``, for messages."""
        parts = [f"match {self.shown!r}"] if self.shown else []
        if self.when:
            parts.append(f"when {describe_when(self.when)}")
        return f"[[events.rules]] {self.number} ({'; '.join(parts)})"


@dataclass(frozen=True)
class RowFilter:
    """``[filter]``: which source rows to load; the others are quarantined as ``filtered``."""

    keep: When = ()  # load only rows where all of these hold
    drop: When = ()  # never load rows where all of these hold

    def __bool__(self) -> bool:
        return bool(self.keep or self.drop)

    def describe(self) -> str:
        parts = []
        if self.keep:
            parts.append(f"keep rows where {describe_when(self.keep)}")
        if self.drop:
            parts.append(f"drop rows where {describe_when(self.drop)}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ComputedSpec:
    """A canonical column built from source columns (``[computed.<column>]``)."""

    join: tuple[str, ...] = ()  # source columns whose texts are joined
    separator: str = " "
    start: str | None = None  # ``from``: a canonical timestamp column of the same table
    add: str | None = None  # source column holding a duration added to ``start``
    unit: str = "seconds"
    when: When = ()

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every source column the computation reads."""
        named = (*self.join, self.add, *(column for column, _ in self.when))
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
    delimiter: str | None = None  # a character, or "whitespace"
    encoding: str = "utf-8"
    timezone: str = "UTC"
    #: strptime layouts, tried in order before ISO 8601.
    date_formats: tuple[str, ...] = ()
    sheet: str | None = None  # Excel sheet (default the first)
    widths: tuple[int, ...] = ()  # fixed-width columns, in characters
    null_values: tuple[str, ...] = ()
    #: Read canonical columns the mapping does not name from same-named source columns.
    implicit_columns: bool = True
    columns: dict[str, str] = field(default_factory=dict)
    #: canonical column -> more source columns, read in order where the first is empty
    fallbacks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Match mapped source column names to the file's ignoring case and surrounding blanks.
    ignore_case: bool = False
    #: A source column of this name holds each record's row number (for building keys).
    row_number_column: str | None = None
    #: "reject": a repeated key is a duplicate (first kept); "keep_last": the last snapshot.
    duplicates: str = "reject"
    order_by: str | None = None  # canonical column ordering snapshots (keep_last)
    row_filter: RowFilter = field(default_factory=RowFilter)
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
    activity_rules: tuple[ActivityRule, ...] = ()
    ticket_channel: str | None = None
    origin: str = "mapping"

    def source_names(self) -> set[str]:
        """Every source column the mapping names (for matching them to the file's)."""
        names = set(self.columns.values())
        names.update(c for more in self.fallbacks.values() for c in more)
        names.update(c for c, _ in self.months_before.values())
        names.update(c for spec in self.computed.values() for c in spec.source_columns)
        if self.activity_column is not None:
            names.add(self.activity_column)
        specs = [*self.activities.values(), *(r.spec for r in self.activity_rules)]
        if self.default_activity is not None:
            specs.append(self.default_activity)
        names.update(c for spec in specs for c in spec.copy.values())
        names.update(c for rule in self.activity_rules for c, _ in rule.when)
        names.update(c for c, _ in (*self.row_filter.keep, *self.row_filter.drop))
        return names


def as_text(value: Scalar) -> str:
    """Render a TOML scalar the way a source file would spell it (``true``, ``3``, ``x``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
