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
