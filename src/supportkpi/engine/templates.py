"""Compiled statements with parameters: an Ibis expression compiled once per shape.

Compiling an Ibis expression to SQL costs tens of milliseconds of Python per metric (sqlglot
rewrites), several times what DuckDB then needs to answer. Two requests that differ only in
their dates or filter values compile to the same statement with different literals, so the
query layer compiles a shape once and binds the values of each request as parameters.

Which literals are parameters is not guessed. The expression is built twice: with the real
values (``a``) and with every value perturbed (``b``). Both are compiled and the two syntax
trees compared node by node. They must be identical except for literals, and each literal
that differs must be the ``(a, b)`` pair of exactly one named value. A literal computed from a
value (``hi - 1``), or a table built from it, fails the comparison: that shape is not
parameterised and runs as before. The values reach the engine as bound parameters, never as
SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis.expr.operations as ops
import ibis.expr.schema as sch
import ibis.expr.types as ir
import pandas as pd
import sqlglot.expressions as sge


@dataclass(frozen=True, eq=False)  # one statement is itself, not its equal
class SqlTemplate:
    """One statement with ``$name`` parameters, and what running it needs."""

    sql: str
    names: frozenset[str]  # the parameters the statement uses
    schema: sch.Schema
    #: The expression compiled: it keeps the in-memory tables the statement reads alive
    #: (ibis drops a registered memtable when its expression is collected).
    source: ir.Table
    #: The tables the statement reads, besides its in-memory tables and its own CTEs.
    tables: frozenset[str] = frozenset()

    def bind(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values of this statement's parameters, from all of a request's values."""
        return {name: values[name] for name in self.names}


def template_of(
    compile_tree: Any,
    expr_a: ir.Table,
    expr_b: ir.Table,
    values_a: Mapping[str, Any],
    values_b: Mapping[str, Any],
) -> SqlTemplate | None:
    """The statement of ``expr_a`` with each named value as a parameter, or ``None`` when
    the two builds differ in anything but those values (see the module docstring).

    ``compile_tree`` turns an expression into a sqlglot tree (the backend's compiler);
    ``values_a``/``values_b`` hold the same names, with the values each build was made from.
    """
    pairs: dict[tuple[bool, str, str], str] = {}
    for name, a in values_a.items():
        key = (isinstance(a, str), str(a), str(values_b[name]))
        if key in pairs or key[1] == key[2]:
            return None  # ambiguous or unperturbed: cannot tell the values apart
        pairs[key] = name
    # ibis reuses one sqlglot node for every use of one literal; the copy gives each use
    # its own node, so that a value and an equal constant elsewhere can be told apart.
    tree_a, tree_b = compile_tree(expr_a).copy(), compile_tree(expr_b)
    found: list[tuple[sge.Expression, str]] = []
    if not _same_but_values(tree_a, tree_b, pairs, found):
        return None
    for node, name in found:
        node.replace(sge.Placeholder(this=name))
    return SqlTemplate(
        sql=tree_a.sql(dialect="duckdb"),
        names=frozenset(name for _, name in found),
        schema=expr_a.schema(),
        source=expr_a,
        tables=_tables_read(tree_a, expr_a),
    )


def _tables_read(tree: sge.Expression, expr: ir.Table) -> frozenset[str]:
    """The tables ``tree`` names that are not its CTEs or ``expr``'s in-memory tables."""
    ctes = {cte.alias for cte in tree.find_all(sge.CTE)}
    memtables = {op.name for op in expr.op().find(ops.InMemoryTable)}
    named = {table.name for table in tree.find_all(sge.Table)}
    return frozenset(named - ctes - memtables)


def _same_but_values(
    a: Any,
    b: Any,
    pairs: Mapping[tuple[bool, str, str], str],
    found: list[tuple[sge.Expression, str]],
) -> bool:
    """Whether ``a`` and ``b`` are equal trees except for literals that are named values."""
    if isinstance(a, sge.Literal) and isinstance(b, sge.Literal):
        if a.this == b.this and a.is_string == b.is_string:
            return True
        name = pairs.get((bool(a.is_string), str(a.this), str(b.this)))
        if name is None:
            return False
        found.append((a, name))
        return True
    if isinstance(a, sge.Expression) or isinstance(b, sge.Expression):
        if type(a) is not type(b) or a.args.keys() != b.args.keys():
            return False
        return all(_same_but_values(a.args[k], b.args[k], pairs, found) for k in a.args)
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            return False
        return all(_same_but_values(x, y, pairs, found) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def frame_from_arrow(table: Any, schema: sch.Schema) -> pd.DataFrame:
    """A DuckDB Arrow result as the pandas frame ``con.execute`` of ibis would return."""
    import pyarrow.types as pat
    from ibis.backends.duckdb.converter import DuckDBPandasData

    df = pd.DataFrame(
        {
            # As ibis does: nested, dictionary and null-holding columns go through Python
            # objects, so that nulls stay None instead of NaN in an integer column.
            name: (
                col.to_pylist()
                if pat.is_nested(col.type) or pat.is_dictionary(col.type) or col.null_count
                else col.to_pandas()
            )
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )
    return DuckDBPandasData.convert_table(df, schema)
