"""A request's ``where`` filters applied to a metric's rows, with the values as data.

The values a user typed (a team, a channel) never reach the engine as SQL text: nothing a
value holds can change the statement. Either they go as a small in-memory table the rows are
semi-joined with, or, for a statement compiled once per shape (:mod:`supportkpi.query.shapes`),
as literals of the expression that the compiled statement turns into bound parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd


def keep_filtered(
    frame: ir.Table, where: Mapping[str, Sequence[object]], as_literals: bool = False
) -> ir.Table:
    """The rows of ``frame`` whose value of each filtered dimension is one of its values.

    ``as_literals`` is only for an expression that is compiled with its literals turned
    into parameters, never for one compiled as it stands.
    """
    for dim, values in where.items():
        column = frame[dim]
        if as_literals:
            frame = frame.filter(column.isin(list(values)))
            continue
        allowed = ibis.memtable(pd.DataFrame({"value": list(values)}))
        if column.type().is_string():
            allowed = allowed.mutate(value=allowed.value.cast("string"))
        frame = frame.filter(column.isin(allowed.value))
    return frame
