"""Checks of single mapping entries, for the parser in :mod:`supportkpi.ingest.mapping`.

:class:`MappingChecker` collects every problem instead of stopping at the first, so that one
:class:`~supportkpi.errors.ConfigError` can list them all.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import duckdb

from supportkpi.ingest.mapping_model import (
    DURATION_FORMATS,
    ActivityRule,
    ActivitySpec,
    ComputedSpec,
    When,
    as_text,
)
from supportkpi.schema import ColumnType, Table
from supportkpi.schema.tables import ACTOR_TYPES, EVENT_KINDS, TICKET_STATUSES

COMPUTED_KEYS = ("join", "separator", "from", "add", "unit", "when")
#: Keys of an ``[[events.rules]]`` entry that say which rows it matches.
RULE_KEYS = ("match", "regex", "when")
#: Columns the loader owns; a mapping may not set them.
LOADER_COLUMNS = ("derived",)
#: Event columns an activity cannot set (they identify the event, not describe it).
ACTIVITY_FORBIDDEN = ("event_id", "ticket_id", "at")
_CLOSED_ENUMS = {"kind": EVENT_KINDS, "actor_type": ACTOR_TYPES, "status": TICKET_STATUSES}


class MappingChecker:
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
        when = self.conditions(spec.get("when"), f"{where} when")
        separator = self.optional_str(spec, "separator", where)
        if join is not None:
            if not isinstance(join, list) or not join or not all(isinstance(c, str) for c in join):
                self.problem(f"{where} join must be a list of source column names")
                return None
            if "add" in spec or "unit" in spec:
                self.problem(f"{where}: add and unit go with from, not with join")
            return ComputedSpec(tuple(join), " " if separator is None else separator, when=when)
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
        return ComputedSpec(start=start, add=add, unit=unit, when=when)

    def conditions(self, when: object, where: str) -> When:
        """``{ "Column" = "value" or ["v1", "v2"], ... }``: every column must hold a value."""
        if when is None:
            return ()
        if not isinstance(when, dict) or not when:
            self.problem(f'{where} must be a table of source column = value: {{ "State" = "New" }}')
            return ()
        out = []
        for column, wanted in when.items():
            listed = wanted if isinstance(wanted, list) else [wanted]
            if not listed:
                self.problem(f"{where} {column!r}: give a value or a non-empty list of values")
                continue
            if all(self.scalar(v, f"{where} {column!r}") for v in listed):
                out.append((str(column), tuple(as_text(v) for v in listed)))
        return tuple(out)

    def activity_rule(self, spec: object, number: int) -> ActivityRule | None:
        """One ``[[events.rules]]`` entry: match (glob) or regex, when, then the event fields."""
        where = f"[[events.rules]] {number}"
        if not isinstance(spec, dict):
            self.problem(f"{where} must be a table")
            return None
        glob, regex = spec.get("match"), spec.get("regex")
        pattern: str | None = None
        shown: str | None = None
        if glob is not None and regex is not None:
            self.problem(f"{where}: give match (a wildcard pattern) or regex, not both")
        elif glob is not None:
            if isinstance(glob, str) and glob:
                pattern, shown = glob_to_regex(glob), glob
            else:
                self.problem(f"{where} match must be a non-empty wildcard pattern, e.g. 'Resolve*'")
        elif regex is not None:
            if isinstance(regex, str) and regex and self._valid_regex(regex, where):
                pattern, shown = regex, regex
            elif not isinstance(regex, str) or not regex:
                self.problem(f"{where} regex must be a non-empty regular expression")
        when = self.conditions(spec.get("when"), f"{where} when")
        if glob is None and regex is None and "when" not in spec:
            self.problem(f"{where}: give match, regex or when (which rows the rule is for)")
        fields = {k: v for k, v in spec.items() if k not in RULE_KEYS}
        activity = self.activity(fields, where)
        if not fields:
            self.problem(f"{where}: sets nothing (give kind, actor_type, ...)")
        return ActivityRule(activity, number, pattern, shown, when)

    def _valid_regex(self, regex: str, where: str) -> bool:
        # DuckDB matches with RE2, which lacks look-arounds and back-references: ask it.
        try:
            duckdb.connect().execute("SELECT regexp_full_match('', $1)", [regex])
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[-1]
            self.problem(f"{where} regex {regex!r} is not a valid RE2 expression: {first}")
            return False
        return True

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


def glob_to_regex(glob: str) -> str:
    """An RE2 expression matching what the wildcard pattern matches (``*`` any text, ``?``
    one character), the whole name."""
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
