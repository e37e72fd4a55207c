"""A request's ``where`` filters applied to a metric's rows, with the values as data.

The values a user typed (a team, a channel) go to the engine as a small in-memory table the
rows are semi-joined with, never as literals in the SQL text: nothing a value holds can change
the statement, and the statement is the same for every value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd


def keep_filtered(frame: ir.Table, where: Mapping[str, Sequence[object]]) -> ir.Table:
    """The rows of ``frame`` whose value of each filtered dimension is one of its values."""
    for dim, values in where.items():
        column = frame[dim]
        allowed = ibis.memtable(pd.DataFrame({"value": list(values)}))
        if column.type().is_string():
            allowed = allowed.mutate(value=allowed.value.cast("string"))
        frame = frame.filter(column.isin(allowed.value))
    return frame
