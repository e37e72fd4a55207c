"""Vectorised parsing of source text into canonical types, as DuckDB expressions.

Each function takes the SQL of a VARCHAR expression (NULL when the cell is empty) and returns
the SQL of the typed value, NULL when the text does not parse. User-supplied values (time
zones, date formats, constants) only ever enter as named parameters, never as SQL literals.

Time zones: a timestamp with an offset (``2024-03-31T10:00:00+02:00``, ``…Z``) is that
instant. A naive one is a wall-clock time in the mapping's source time zone and is converted
with DuckDB's ``timezone(zone, timestamp)`` (ICU), which follows PostgreSQL's rules for the
two DST edge cases: an *ambiguous* time (it happens twice when clocks go back) is read as the
later, standard-time occurrence; a *nonexistent* time (skipped when clocks go forward) is
read with the offset in force before the jump, i.e. moved forward by the gap (02:30 on the
spring-forward night in Europe/Rome becomes 03:30 CEST = 01:30 UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from supportkpi.ingest.mapping_model import ComputedSpec, When
from supportkpi.schema import Column, ColumnType
from supportkpi.schema.tables import SURVEY_SCALES

#: A time followed by a UTC offset: the text names an instant, not a wall-clock time.
OFFSET_PATTERN = r"[T ]\d{1,2}:\d\d(:\d\d(\.\d+)?)?\s*(Z|UTC|[+-]\d\d(:?\d\d)?)$"
TRUE_TEXTS = ("true", "t", "yes", "y", "1", "1.0")
FALSE_TEXTS = ("false", "f", "no", "n", "0", "0.0")
HMS_PATTERN = r"\d+:[0-5]?\d:[0-5]?\d(\.\d+)?"

#: Rule names of the quarantine, by column type, for text that does not parse.
PARSE_RULES = {
    ColumnType.TIMESTAMP: "timestamp",
    ColumnType.FLOAT: "number",
    ColumnType.INTEGER: "integer",
    ColumnType.BOOLEAN: "boolean",
    ColumnType.DATE: "date",
    ColumnType.STRING_LIST: "list",
    ColumnType.STRING: "text",
}
#: What a rule means, for the quarantine message.
RULE_TEXTS = {
    "required": "is required but empty",
    "timestamp": "is not a timestamp (ISO 8601, or set [source] date_format)",
    "number": "is not a number",
    "integer": "is not a whole number",
    "boolean": "is not a boolean (true/false, yes/no, 1/0; or map it in [values])",
    "date": "is not a date (YYYY-MM-DD, or set [source] date_format)",
    "list": "is not a list (a;b, a,b or a JSON array)",
    "duration": "is not a duration in the mapped format",
    "enum": "is not an allowed value",
    "computed": "cannot be computed from its inputs (one is empty, or they do not parse)",
    "scale": "is outside its survey kind's scale (a whole number: "
    + ", ".join(f"{kind} {low}-{high}" for kind, (low, high) in SURVEY_SCALES.items())
    + ")",
}


@dataclass
class Params:
    """Named parameters of one statement; ``add`` returns the placeholder to put in the SQL."""

    values: dict[str, object] = field(default_factory=dict)

    def add(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


@dataclass(frozen=True)
class CastOptions:
    """The mapping settings that change how text is parsed."""

    timezone: str = "UTC"
    #: strptime layouts tried in order, then ISO 8601.
    date_formats: tuple[str, ...] = ()
    durations: dict[str, str] = field(default_factory=dict)


def cleaned(sql: str) -> str:
    """Source cell as trimmed text, NULL when empty."""
    return f"NULLIF(trim(CAST({sql} AS VARCHAR)), '')"


def normalised(column: Column, text: str) -> str:
    """Lower-case where the schema says so; closed enums also turn spaces and dashes into ``_``."""
    if column.type is not ColumnType.STRING or not column.lower:
        return text
    if column.enum and not column.open_enum:
        return f"replace(replace(lower({text}), ' ', '_'), '-', '_')"
    return f"lower({text})"


def parse(column: Column, text: str, options: CastOptions, params: Params) -> str:
    """SQL of ``text`` (a VARCHAR expression) parsed as ``column``'s type, NULL if it fails."""
    kind = column.type
    if column.name in options.durations:
        return _duration(text, options.durations[column.name], kind)
    if kind is ColumnType.STRING:
        return normalised(column, text)
    if kind is ColumnType.TIMESTAMP:
        return _timestamp(text, options, params)
    if kind is ColumnType.FLOAT:
        return _finite(f"TRY_CAST({text} AS DOUBLE)")
    if kind is ColumnType.INTEGER:
        number = f"TRY_CAST({text} AS DOUBLE)"
        # TRY_CAST('2.5' AS BIGINT) rounds; a count with a fraction is an error instead.
        return f"CASE WHEN {number} = trunc({number}) THEN CAST({number} AS BIGINT) END"
    if kind is ColumnType.BOOLEAN:
        return (
            f"CASE WHEN lower({text}) IN {_tuple(TRUE_TEXTS)} THEN TRUE "
            f"WHEN lower({text}) IN {_tuple(FALSE_TEXTS)} THEN FALSE END"
        )
    if kind is ColumnType.DATE:
        iso = f"TRY_CAST({text} AS DATE)"
        tried = [
            f"CAST(TRY_STRPTIME({text}, {params.add(fmt)}) AS DATE)" for fmt in options.date_formats
        ]
        return f"coalesce({', '.join([*tried, iso])})" if tried else iso
    if kind is ColumnType.STRING_LIST:
        split = (
            f"list_filter(list_transform(string_split_regex({text}, '[;,|]'), "
            "lambda s: trim(s)), lambda s: s <> '')"
        )
        listed = f"TRY_CAST({text} AS VARCHAR[])"
        return f"CASE WHEN starts_with({text}, '[') THEN {listed} ELSE {split} END"
    raise NotImplementedError(f"no parser for column type {kind}")  # a schema bug, not input


def default_value(column: Column, typed: str, params: Params) -> str:
    """The typed value, or the schema default when it is missing."""
    if column.default is None:
        return typed
    return f"coalesce({typed}, CAST({params.add(column.default)} AS {column.duckdb_type}))"


def _timestamp(text: str, options: CastOptions, params: Params) -> str:
    zone = params.add(options.timezone)
    iso = (
        f"CASE WHEN regexp_matches({text}, {params.add(OFFSET_PATTERN)}) "
        f"THEN TRY_CAST({text} AS TIMESTAMPTZ) "
        f"ELSE timezone({zone}, TRY_CAST({text} AS TIMESTAMP)) END"
    )
    if not options.date_formats:
        return iso
    tried = []
    for fmt in options.date_formats:
        parsed = f"TRY_STRPTIME({text}, {params.add(fmt)})"
        if "%z" not in fmt and "%Z" not in fmt:
            parsed = f"timezone({zone}, {parsed})"
        tried.append(parsed)
    # The first layout that parses wins, as listed.
    return f"coalesce({', '.join(tried)}, {iso})"


def _duration(text: str, fmt: str, kind: ColumnType) -> str:
    number = f"TRY_CAST({text} AS DOUBLE)"
    if fmt == "hh:mm:ss":
        seconds = (
            f"CASE WHEN regexp_full_match({text}, '{HMS_PATTERN}') THEN "
            f"CAST(split_part({text}, ':', 1) AS DOUBLE) * 3600 "
            f"+ CAST(split_part({text}, ':', 2) AS DOUBLE) * 60 "
            f"+ CAST(split_part({text}, ':', 3) AS DOUBLE) END"
        )
    else:
        factor = {"seconds": 1, "minutes": 60, "hours": 3600, "milliseconds": 0.001}[fmt]
        seconds = _finite(f"{number} * {factor}")
    if kind is ColumnType.INTEGER:
        return f"CAST(round({seconds}) AS BIGINT)"
    return seconds


def _finite(number: str) -> str:
    return f"CASE WHEN isfinite({number}) THEN {number} END"


def _tuple(texts: tuple[str, ...]) -> str:
    # Fixed spellings owned by this module, not user input.
    return "(" + ", ".join(f"'{t}'" for t in texts) + ")"


def when_sql(when: When, source: Callable[[str], str], params: Params) -> str:
    """SQL: every condition of ``when`` holds (a cell is one of its listed texts); never NULL."""
    tests = [
        f"coalesce(list_contains({params.add(list(values))}, {source(column)}), FALSE)"
        for column, values in when
    ]
    return "(" + " AND ".join(tests) + ")"


#: How a computed instant is written back as text: ISO 8601 in UTC, read back exactly.
_ISO_UTC = "%Y-%m-%dT%H:%M:%S.%fZ"
_TEXT_TYPES = (ColumnType.STRING, ColumnType.STRING_LIST)


def computed_text(
    spec: ComputedSpec,
    column: Column,
    source: Callable[[str], str],
    canonical: Callable[[str], tuple[Column, str]],
    options: CastOptions,
    params: Params,
) -> str:
    """SQL of the text of a ``[computed]`` column, parsed afterwards like any other text.

    ``source(name)`` is the SQL of a source column's text (NULL when empty); ``canonical(name)``
    is a canonical column of the table and the SQL of its text. NULL where ``when`` does not
    hold. A row with an empty input gets NULL too, unless ``when`` holds: then, like inputs
    that do not parse, it gets a text naming its inputs that parses as nothing, so the row is
    quarantined. Text columns join the parts that are present.
    """
    holds = when_sql(spec.when, source, params) if spec.when else None
    if spec.join:
        inputs = [(name, source(name)) for name in spec.join]
        texts = [t for _, t in inputs]
        if column.type in _TEXT_TYPES:
            joined = f"NULLIF(concat_ws({params.add(spec.separator)}, {', '.join(texts)}), '')"
            return joined if holds is None else f"(CASE WHEN {holds} THEN {joined} END)"
        value = texts[0]
        for text in texts[1:]:
            value = f"{value} || {params.add(spec.separator)} || {text}"
    else:
        assert spec.start is not None  # the mapping checks it
        start_column, start_text = canonical(spec.start)
        inputs = [(spec.start, start_text)]
        instant = parse(start_column, start_text, options, params)
        if spec.add is not None:
            add_text = source(spec.add)
            inputs.append((spec.add, add_text))
            seconds = _duration(add_text, spec.unit, ColumnType.FLOAT)
            instant = f"({instant} + to_microseconds(CAST(round({seconds} * 1e6) AS BIGINT)))"
        value = f"strftime(timezone('UTC', {instant}), '{_ISO_UTC}')"
    shown = ", ".join(f"{params.add(name + '=')} || coalesce({t}, '')" for name, t in inputs)
    failed = f"concat_ws('; ', {shown})"
    any_empty = " OR ".join(f"{t} IS NULL" for _, t in inputs)
    if holds is None:
        branches = f"WHEN {any_empty} THEN NULL"
    else:
        branches = f"WHEN NOT {holds} THEN NULL WHEN {any_empty} THEN {failed}"
    return f"(CASE {branches} ELSE coalesce({value}, {failed}) END)"
