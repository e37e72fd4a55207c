"""Match a file's columns to a canonical table, before any row is read.

The plan says, for every canonical column, where its text comes from (a source column, a
constant, a value map, an activity of an event log). Whole-file problems surface here, as one
sentence naming the file and the columns: a required column that nothing provides, or a
missing activity column. Optional mapped columns that the file lacks only warn.

A canonical column the mapping does not name is read from a source column of the same name
(case-insensitive) unless ``[source] implicit_columns = false``, or the column is one an
``[events]`` mapping sets per activity (``ACTIVITY_OWNED``): an incident log's own ``Status``
column must not override, or fill in for, what the activity rules say. Same-name matches are
reported, since a column nobody mapped can still change what is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from supportkpi.errors import InputError
from supportkpi.ingest.mapping_model import (
    ACTIVITY_OWNED,
    ActivityRule,
    ActivitySpec,
    ComputedSpec,
    Mapping,
    RowFilter,
)
from supportkpi.schema import Column, Table

#: Columns the loader fills itself; never read from a file.
LOADER_COLUMNS = ("derived",)


@dataclass
class ColumnPlan:
    """Where one canonical column's text comes from."""

    column: Column
    source: str | None  # a column of the file, if any
    constant: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    #: The source holds whole months before this ISO date (``[months_before]``).
    months_before: str | None = None
    #: Built from source columns (``[computed]``); then ``source`` is None.
    computed: ComputedSpec | None = None
    #: More source columns, read in order where ``source`` is empty (``[columns]`` lists).
    fallbacks: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        """Every source column read, in order (the first non-empty one gives the text)."""
        return (self.source, *self.fallbacks) if self.source else ()


@dataclass
class ActivityPlan:
    """The ``[events]`` mapping as a lookup table: one row (``_idx``) per activity spec.

    Rows ``0..`` are the listed activities (``_activity`` holds their name), then the
    ``[[events.rules]]`` in order (``rules[i]`` is row ``first_rule + i``), then the default.
    A source row takes its exact activity, else the first rule it matches, else the default.
    """

    column: str  # source column holding the activity name
    lookup: pa.Table
    rules: list[ActivityRule]
    first_rule: int
    default: int | None  # row of the default, if there is one
    constants: dict[str, str]  # canonical column -> lookup column holding its constant
    copies: list[tuple[str, str, str]]  # (lookup flag column, canonical column, source column)
    clears: dict[str, str]  # canonical column -> lookup flag column


@dataclass
class LoadPlan:
    """Everything the validator needs to know about the file's columns."""

    table: Table
    columns: list[ColumnPlan]
    activity: ActivityPlan | None
    warnings: list[str]
    row_filter: RowFilter = field(default_factory=RowFilter)
    #: "keep_last": of the rows sharing a key, the last by ``order_by`` (then file order).
    duplicates: str = "reject"
    order_by: str | None = None
    #: (source column, canonical column) read by name alone, not named in the mapping.
    implicit: list[tuple[str, str]] = field(default_factory=list)


def plan_load(
    table: Table, mapping: Mapping, file_columns: list[str], label: str, check: bool = True
) -> LoadPlan:
    """Resolve every canonical column of ``table`` against ``file_columns``.

    ``check=False`` skips the required-column check, for files whose columns are only known
    from their records (JSON Lines) and that have none: their rows are all quarantined.
    """
    mapped_sources = (
        set(mapping.columns.values())
        | {c for more in mapping.fallbacks.values() for c in more}
        | {c for c, _ in mapping.months_before.values()}
        | {c for spec in mapping.computed.values() for c in spec.source_columns}
    )
    _check_condition_columns(mapping, file_columns, label)
    by_lower: dict[str, list[str]] = {}
    for name in file_columns:
        if name not in mapped_sources:
            by_lower.setdefault(name.strip().lower(), []).append(name)
    warnings: list[str] = []
    missing_mapped: dict[str, str] = {}  # required column -> why the file lacks it
    implicit = _ImplicitMatches(mapping)
    columns = []
    for column in table.columns:
        if column.name in LOADER_COLUMNS:
            continue
        derived = mapping.months_before.get(column.name)
        source = derived[0] if derived else mapping.columns.get(column.name)
        fallbacks: tuple[str, ...] = ()
        if not derived and column.name in mapping.fallbacks and source is not None:
            source, fallbacks = _present(
                column.name, (source, *mapping.fallbacks[column.name]), file_columns, warnings
            )
        computed = mapping.computed.get(column.name)
        if computed is not None:
            computed = _computed_inputs(column, computed, file_columns, missing_mapped, warnings)
        if computed is not None or column.name in mapping.computed:
            source = None  # never read a same-named source column instead
        elif source is not None and source not in file_columns:
            missing_mapped[column.name] = f"mapped from {source!r}"
            if not column.required:
                warnings.append(
                    f"mapped column {column.name!r} (from {source!r}) is not in the file; "
                    "left empty"
                )
            source = None
        elif source is None:
            candidates = by_lower.get(column.name, [])
            if len(candidates) == 1:
                source = implicit.accept(candidates[0], column.name, missing_mapped)
        columns.append(
            ColumnPlan(
                column,
                source,
                mapping.constants.get(column.name),
                mapping.values.get(column.name, {}),
                derived[1] if derived else None,
                computed,
                fallbacks,
            )
        )
    warnings.extend(implicit.notes())
    activity = _plan_activities(mapping, file_columns, label, warnings)
    if check:
        _check_required(table, columns, activity, missing_mapped, mapping, label)
    return LoadPlan(
        table, columns, activity, warnings, mapping.row_filter, mapping.duplicates,
        mapping.order_by, implicit.read,
    )  # fmt: skip


def _present(
    name: str, listed: tuple[str, ...], file_columns: list[str], warnings: list[str]
) -> tuple[str, tuple[str, ...]]:
    """Of a ``[columns]`` list, the columns the file has (the first, and the others)."""
    present = [c for c in listed if c in file_columns]
    if not present:
        return listed[0], ()  # reported as missing, like a single mapped column
    absent = [c for c in listed if c not in file_columns]
    if absent:
        shown = ", ".join(repr(c) for c in absent)
        warnings.append(f"{name}: {shown} not in the file; read from {present[0]!r}")
    return present[0], tuple(present[1:])


def _check_condition_columns(mapping: Mapping, file_columns: list[str], label: str) -> None:
    """The columns that filters and rules test must be in the file: else every row fails."""
    named = [("[filter] keep", c) for c, _ in mapping.row_filter.keep]
    named += [("[filter] drop", c) for c, _ in mapping.row_filter.drop]
    for rule in mapping.activity_rules:
        named += [(f"[[events.rules]] {rule.number} when", c) for c, _ in rule.when]
    absent = [(where, c) for where, c in named if c not in file_columns]
    if absent:
        listed = ", ".join(f"{c!r} (from {where})" for where, c in absent)
        noun = "column" if len(absent) == 1 else "columns"
        raise InputError(f"{label}: {noun} {listed} not in the file")


class _ImplicitMatches:
    """Decides, and remembers for the load summary, which same-named columns are read."""

    def __init__(self, mapping: Mapping) -> None:
        self.enabled = mapping.implicit_columns
        self.owned = ACTIVITY_OWNED if mapping.activity_column is not None else ()
        # A file read entirely by name is in canonical shape; once a mapping names source
        # columns, a column matched by name alone is worth a line in the summary.
        self.renames = bool(
            mapping.columns or mapping.computed or mapping.months_before or self.owned
        )
        self.read: list[tuple[str, str]] = []  # (source column, canonical column)
        self.skipped: list[tuple[str, str]] = []  # owned by the activity rules

    def accept(self, source: str, name: str, missing_mapped: dict[str, str]) -> str | None:
        """``source`` if the column is to be read into ``name``, else None."""
        if name in self.owned:
            self.skipped.append((source, name))
            return None
        if not self.enabled:
            missing_mapped[name] = (
                "the file has a column of that name, but [source] implicit_columns = false "
                "reads only mapped columns"
            )
            return None
        if self.renames or source != name:
            self.read.append((source, name))
        return source

    def notes(self) -> list[str]:
        notes = []
        if self.read:
            plural = "s" if len(self.read) > 1 else ""
            listed = ", ".join(f"{source!r} as {name}" for source, name in self.read)
            notes.append(
                f"read column{plural} {listed} (same name, not in the mapping; "
                "[source] implicit_columns = false reads only mapped columns)"
            )
        if self.skipped:
            sources = ", ".join(repr(source) for source, _ in self.skipped)
            names = ", ".join(name for _, name in self.skipped)
            verb = "are" if len(self.skipped) > 1 else "is"
            noun = "columns" if len(self.skipped) > 1 else "column"
            source, name = next(((s, n) for s, n in self.skipped if n == "status"), self.skipped[0])
            notes.append(
                f"{noun} {sources} {verb} not read as {names}: with [events] the activity "
                "rules set status, kind and actor_type (an activity can copy one: "
                f'copy = {{ {name} = "{source}" }})'
            )
        return notes


def _check_required(
    table: Table,
    columns: list[ColumnPlan],
    activity: ActivityPlan | None,
    missing_mapped: dict[str, str],
    mapping: Mapping,
    label: str,
) -> None:
    problems: list[tuple[str, str]] = []  # (column, why nothing provides it)
    specs = list(mapping.activities.items())
    specs += [(rule.describe(), rule.spec) for rule in mapping.activity_rules]
    if mapping.default_activity is not None:
        specs.append(("(default)", mapping.default_activity))
    for plan in columns:
        name = plan.column.name
        provided = plan.source is not None or plan.constant is not None or plan.computed is not None
        if not plan.column.required or provided:
            continue
        if activity is not None:
            lacking = [act for act, spec in specs if not _sets(spec, name, activity)]
            if not lacking:
                continue
            if len(lacking) < len(specs) or name in ACTIVITY_OWNED:
                shown = ", ".join(repr(a) for a in lacking[:3])
                more = f" and {len(lacking) - 3} more" if len(lacking) > 3 else ""
                problems.append((name, f"activities {shown}{more} do not set it"))
                continue
        if name in missing_mapped:
            problems.append((name, missing_mapped[name]))
        else:
            problems.append((name, "no such column in the file and no mapping for it"))
    if len(problems) == 1:
        name, why = problems[0]
        raise InputError(f"{label}: required column {name!r} is missing ({why})")
    if problems:
        listed = ", ".join(f"{name!r} ({why})" for name, why in problems)
        raise InputError(f"{label}: required columns are missing: {listed}")


def _computed_inputs(
    column: Column,
    spec: ComputedSpec,
    file_columns: list[str],
    missing_mapped: dict[str, str],
    warnings: list[str],
) -> ComputedSpec | None:
    """``spec`` when the file has every input column; otherwise None (and why, noted)."""
    absent = [c for c in spec.source_columns if c not in file_columns]
    if not absent:
        return spec
    listed = ", ".join(repr(c) for c in absent)
    if column.required:
        missing_mapped[column.name] = f"{spec.describe()}; {listed} not in the file"
    else:
        warnings.append(
            f"computed column {column.name!r} needs {listed}, not in the file; left empty"
        )
    return None


def _sets(spec: ActivitySpec, name: str, activity: ActivityPlan) -> bool:
    if name in spec.constants:
        return True
    source = spec.copy.get(name)
    return any(c == name and s == source for _, c, s in activity.copies)


def _plan_activities(
    mapping: Mapping, file_columns: list[str], label: str, warnings: list[str]
) -> ActivityPlan | None:
    if mapping.activity_column is None:
        return None
    if mapping.activity_column not in file_columns:
        raise InputError(
            f"{label}: activity column {mapping.activity_column!r} "
            "(from [events] activity_column) is missing"
        )
    named: list[tuple[str | None, ActivitySpec]] = list(mapping.activities.items())
    named += [(None, rule.spec) for rule in mapping.activity_rules]
    if mapping.default_activity is not None:
        named.append((None, mapping.default_activity))
    specs = [spec for _, spec in named]
    constant_names = sorted({name for spec in specs for name in spec.constants})
    pairs = sorted({pair for spec in specs for pair in spec.copy.items()})
    cleared = sorted({name for spec in specs for name in spec.clear})
    for canonical, source in pairs:
        if source not in file_columns:
            warnings.append(
                f"activity copy {canonical!r} (from {source!r}): column not in the file; left empty"
            )
    pairs = [(c, s) for c, s in pairs if s in file_columns]
    constants = {name: f"c_{i}" for i, name in enumerate(constant_names)}
    copies = [(f"k_{i}", canonical, source) for i, (canonical, source) in enumerate(pairs)]
    clears = {name: f"x_{i}" for i, name in enumerate(cleared)}

    def rows(named: list[tuple[str | None, ActivitySpec]]) -> pa.Table:
        data: dict[str, pa.Array] = {
            "_idx": pa.array(range(len(named)), pa.int64()),
            "_activity": pa.array([name for name, _ in named], pa.string()),
        }
        for name, col in constants.items():
            data[col] = pa.array([spec.constants.get(name) for _, spec in named], pa.string())
        for col, canonical, source in copies:
            data[col] = pa.array([spec.copy.get(canonical) == source for _, spec in named])
        for name, col in clears.items():
            data[col] = pa.array([name in spec.clear for _, spec in named], pa.bool_())
        return pa.table(data)

    first_rule = len(mapping.activities)
    default = len(named) - 1 if mapping.default_activity is not None else None
    return ActivityPlan(
        mapping.activity_column, rows(named), list(mapping.activity_rules), first_rule, default,
        constants, copies, clears,
    )  # fmt: skip
