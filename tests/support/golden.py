"""The one golden-case harness: a query on a small data set and the rows it must return,
computed by hand. Every KPI family's golden table is a list of :class:`Golden` cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Golden:
    """One query on one data set and the rows it must return (computed by hand)."""

    id: str
    data: str
    metric: str
    query: dict[str, Any]
    expected: list[dict[str, Any]]
    spark: bool = False  # also on PySpark (a representative subset: Spark is slow)
    options: dict[str, Any] = field(default_factory=dict)  # metric options of the query
    check_n: bool = True
    drop_zero_values: bool = False  # rows whose value is 0 may be absent


def row(value: float | None, n: int, **keys: Any) -> dict[str, Any]:
    """An expected row: the value, its n and its keys (period, dimensions)."""
    return {"value": value, "n": n, **keys}
