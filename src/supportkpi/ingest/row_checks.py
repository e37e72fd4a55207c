"""The SQL of the work table: each row's canonical texts, typed values and first problem.

One statement maps every source row to the canonical columns' texts (source cell, value map,
constant, activity, computed column), parses them, and gives the row the first rule it breaks;
a second finds keys repeated among the valid rows. What the rules mean, and what becomes of a
rejected row, is in :mod:`supportkpi.ingest.validate`.
"""

from __future__ import annotations

from supportkpi.ingest.casts import (
    PARSE_RULES,
    CastOptions,
    Params,
    cleaned,
    computed_text,
    default_value,
    parse,
    when_sql,
)
from supportkpi.ingest.event_keys import event_id_sql
from supportkpi.ingest.plan import ActivityPlan, ColumnPlan, LoadPlan
from supportkpi.ingest.readers import ROW
from supportkpi.ingest.work_tables import DUPS, LOOKUP, RAW, WORK, value_names
from supportkpi.schema import Column
from supportkpi.schema.tables import SURVEY_SCALES
from supportkpi.store import quote_ident
from supportkpi.store.quarantine import key_json_sql


def work_sql(plan: LoadPlan, options: CastOptions, params: Params) -> str:
    """One statement, materialised once: map, parse, find each row's first problem, key."""
    n = len(plan.columns)
    activity = plan.activity
    texts = [f"{_text_sql(p, plan, params, options)} AS s{i}" for i, p in enumerate(plan.columns)]
    joins = ""
    act_text = "CAST(NULL AS VARCHAR)"
    unknown = uncovered = "FALSE"
    if activity is not None:
        act_text = cleaned(f"r.{quote_ident(activity.column)}")
        matched = _rule_sql(activity, act_text, params)
        default = "NULL" if activity.default is None else str(activity.default)
        # x: the activity listed by name; a: the spec the row takes (name, rule or default).
        joins = (
            f" LEFT JOIN {LOOKUP} x ON x._activity = {act_text}"
            f" LEFT JOIN {LOOKUP} a ON a._idx = coalesce({matched}, {default})"
        )
        unknown = "a._idx IS NULL"
        uncovered = f"{matched} IS NULL"
    filtered = _filter_sql(plan, params)
    mapped = (
        f"SELECT r.{quote_ident(ROW)} AS _row, {act_text} AS _act_text, {unknown} AS _unknown, "
        f"{filtered} AS _filtered, CASE WHEN {uncovered} THEN {act_text} END AS _uncovered, "
        f"{', '.join(texts)} FROM {RAW} r{joins}"
    )
    typed = ", ".join(
        f"{parse(p.column, f's{i}', options, params)} AS p{i}" for i, p in enumerate(plan.columns)
    )
    errors = []
    for i, p in enumerate(plan.columns):
        required = "'required'" if p.column.required else "NULL"
        rule = "duration" if p.column.name in options.durations else PARSE_RULES[p.column.type]
        rule = "computed" if p.computed is not None else rule
        branches = f"WHEN s{i} IS NULL THEN {required} WHEN p{i} IS NULL THEN '{rule}'"
        if p.column.enum and not p.column.open_enum:
            allowed = params.add(list(p.column.enum))
            branches += f" WHEN NOT list_contains({allowed}, p{i}) THEN 'enum'"
        scale = _survey_scale_sql(plan, i)
        if scale:
            branches += f" WHEN NOT ({scale}) THEN 'scale'"
        errors.append(f"CASE {branches} END AS e{i}")
    first_col = " ".join(f"WHEN e{i} IS NOT NULL THEN {i}" for i in range(n))
    first_value = " ".join(f"WHEN e{i} IS NOT NULL THEN s{i}" for i in range(n))
    first_rule = ", ".join(f"e{i}" for i in range(n))
    index = {p.column.name: i for i, p in enumerate(plan.columns)}
    key_ok = " AND ".join(f"e{index[k]} IS NULL" for k in plan.table.key)
    values = ", ".join(
        f"{default_value(p.column, f'p{i}', params)} AS v{i}" for i, p in enumerate(plan.columns)
    )
    checked = f"""SELECT _row, _act_text, _uncovered, {values},
            CASE WHEN _filtered THEN -2 WHEN _unknown THEN -1 {first_col} END AS _bad_col,
            CASE WHEN _filtered THEN 'filtered' WHEN _unknown THEN 'unknown_activity'
                ELSE coalesce({first_rule}) END AS _bad_rule,
            CASE WHEN _filtered THEN NULL WHEN _unknown THEN _act_text {first_value} END
                AS _bad_value,
            {key_ok} AS _key_ok
        FROM (SELECT *, {", ".join(errors)} FROM (SELECT *, {typed} FROM ({mapped})))"""
    v = value_names(plan)
    # A rejected row's key, taken before event ids are hashed (those are not read, and a
    # rejected row gets none).
    present = " OR ".join(f"{v[k]} IS NOT NULL" for k in plan.table.key)
    row_key = key_json_sql(plan.table.key, v.__getitem__)
    checked = f"""SELECT * EXCLUDE (_key_ok),
            CASE WHEN _bad_rule IS NOT NULL AND _key_ok AND ({present}) THEN {row_key} END
                AS _row_key
        FROM ({checked})"""
    if plan.table.hashed_key:
        checked = event_id_sql(checked, v, keyed_by_activity=activity is not None)
    return f"CREATE OR REPLACE TEMP TABLE {WORK} AS SELECT * EXCLUDE (_act_text) FROM ({checked})"


def _rule_sql(activity: ActivityPlan, act_text: str, params: Params) -> str:
    """SQL of the lookup row a source row's activity matches: by name, else the first rule."""
    whens = []
    for i, rule in enumerate(activity.rules):
        tests = []
        if rule.pattern is not None:
            tests.append(
                f"coalesce(regexp_full_match({act_text}, {params.add(rule.pattern)}), FALSE)"
            )
        if rule.when:
            tests.append(when_sql(rule.when, _source_text, params))
        whens.append(f"WHEN {' AND '.join(tests)} THEN {activity.first_rule + i}")
    if not whens:
        return "x._idx"
    return f"coalesce(x._idx, CASE {' '.join(whens)} END)"


def _filter_sql(plan: LoadPlan, params: Params) -> str:
    """SQL: the row is left out by ``[filter]`` (never NULL)."""
    row_filter = plan.row_filter
    out = []
    if row_filter.keep:
        out.append(f"NOT {when_sql(row_filter.keep, _source_text, params)}")
    if row_filter.drop:
        out.append(when_sql(row_filter.drop, _source_text, params))
    return "(" + " OR ".join(out) + ")" if out else "FALSE"


def _source_text(name: str) -> str:
    return cleaned(f"r.{quote_ident(name)}")


def _survey_scale_sql(plan: LoadPlan, i: int) -> str | None:
    """For a survey's score (column ``i``): is it a whole number on its kind's scale?"""
    if plan.table.name != "surveys" or plan.columns[i].column.name != "score":
        return None
    kind = next(j for j, p in enumerate(plan.columns) if p.column.name == "kind")
    # The scales are fixed by the schema, not user input.
    cases = " ".join(
        f"WHEN '{name}' THEN p{i} BETWEEN {low} AND {high}"
        for name, (low, high) in SURVEY_SCALES.items()
    )
    return f"p{i} = trunc(p{i}) AND coalesce(CASE p{kind} {cases} END, TRUE)"


def dups_sql(plan: LoadPlan) -> str:
    """Keys seen more than once among valid rows (a rejected row never shadows a good one),
    with the row kept: the first, or with ``keep_last`` the last by ``order_by`` then file
    order (an empty ``order_by`` value counts as the oldest).

    An aggregate, not a window over the wide work table: files rarely repeat keys, so this
    is usually empty and cheap.
    """
    v = value_names(plan)
    keys = ", ".join(v[k] for k in plan.table.key)
    kept_row = "min(_row)"
    if plan.duplicates == "keep_last":
        order = f"{v[plan.order_by]} DESC NULLS LAST, " if plan.order_by else ""
        kept_row = f"first(_row ORDER BY {order}_row DESC)"
    return f"""CREATE OR REPLACE TEMP TABLE {DUPS} AS
        SELECT {keys}, {kept_row} AS _first_row FROM {WORK}
        WHERE _bad_rule IS NULL GROUP BY ALL HAVING count(*) > 1"""


def _text_sql(plan: ColumnPlan, load: LoadPlan, params: Params, options: CastOptions) -> str:
    """The text of one canonical column: source cell, value map, constant, activity."""
    if plan.computed is not None:

        def canonical_text(name: str) -> tuple[Column, str]:
            other = next(p for p in load.columns if p.column.name == name)
            return other.column, _text_sql(other, load, params, options)

        def source_text(name: str) -> str:
            return cleaned(f"r.{quote_ident(name)}")

        return computed_text(
            plan.computed, plan.column, source_text, canonical_text, options, params
        )
    if plan.fallbacks:  # [columns] x = ["a", "b"]: the first non-empty of them
        text = f"coalesce({', '.join(_source_text(name) for name in plan.sources)})"
    elif plan.source:
        text = _source_text(plan.source)
    else:
        text = "CAST(NULL AS VARCHAR)"
    if plan.values:
        # A value mapped to "" empties the cell.
        whens = " ".join(
            f"WHEN {params.add(src)} THEN {params.add(dst) if dst != '' else 'NULL'}"
            for src, dst in plan.values.items()
        )
        text = f"(CASE {text} {whens} ELSE {text} END)"
    if plan.months_before is not None:
        # Whole months before the reference date (clipped to the month's last day); text that
        # is not a whole number stays as it is and fails the timestamp rule with its value.
        months = f"TRY_CAST({text} AS INTEGER)"
        reference = f"CAST({params.add(plan.months_before)} AS DATE)"
        text = (
            f"CASE WHEN {months} IS NULL THEN {text} "
            f"ELSE strftime({reference} - to_months({months}), '%Y-%m-%d') END"
        )
    if plan.constant is not None:
        text = f"coalesce({text}, {params.add(plan.constant)})"
    activity = load.activity
    if activity is None:
        return text

    def field(col: str) -> str:
        return f"a.{col}"

    name = plan.column.name
    overrides = []
    if name in activity.constants:
        overrides.append(field(activity.constants[name]))
    for flag, canonical, source in activity.copies:
        if canonical == name:
            overrides.append(
                f"CASE WHEN {field(flag)} THEN {cleaned('r.' + quote_ident(source))} END"
            )
    if overrides:
        text = f"coalesce({', '.join(overrides)}, {text})"
    if name in activity.clears:
        text = (
            f"CASE WHEN coalesce({field(activity.clears[name])}, FALSE) THEN NULL ELSE {text} END"
        )
    return text
