"""The dashboard's facts (:mod:`supportkpi.web.dashboard.facts`) of a source read on another
engine than the store's DuckDB: the same counts, date span and filter choices, as Ibis
expressions on the KPI backend (a Spark source has no SQL connection of ours to run the fixed
queries on). One aggregate per table keeps the number of Spark jobs small.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine.backends import Backend
from supportkpi.errors import SupportKpiError
from supportkpi.schema.tables import TABLES
from supportkpi.web.dashboard.facts import (
    DATED_COLUMNS,
    DataFacts,
    assemble_facts,
    ordered_options,
)

#: The filters whose choices are one column's distinct values: (dimension, table, column).
COLUMN_OPTIONS = (
    ("channel", "tickets", "channel"),
    ("team", "tickets", "team"),
    ("priority", "tickets", "priority"),
    ("segment", "customers", "segment"),
)


def read_source_facts(backend: Backend, tz: str) -> DataFacts:
    """The dashboard's facts of the source open on ``backend``, in timezone ``tz``."""
    dated: dict[str, list[str]] = {}
    for table, column in DATED_COLUMNS:
        dated.setdefault(table, []).append(column)
    counts: dict[str, int] = {}
    extremes: dict[tuple[str, str, str], datetime | None] = {}
    for name in TABLES:
        row = _summary(backend, name, dated.get(name, []))
        counts[name] = int(row.get("rows") or 0)
        for column in dated.get(name, []):
            for agg in ("min", "max"):
                extremes[(name, column, agg)] = _instant(row.get(f"{agg}_{column}"))
    instants = [extremes.get((t, c, agg)) for t, c in DATED_COLUMNS for agg in ("min", "max")]
    options = {
        dim: ordered_options(dim, _distinct(backend, table, column)) if counts[table] else []
        for dim, table, column in COLUMN_OPTIONS
    }
    options["agent"] = _agents(backend) if counts["tickets"] or counts["agents"] else []
    return assemble_facts(counts, instants, options, tz)


def _summary(backend: Backend, name: str, columns: list[str]) -> dict[str, Any]:
    """Row count and each dated column's min and max, in one aggregate (none: no table)."""
    try:
        table = backend.table(name)
        metrics: dict[str, ir.Scalar] = {"rows": table.count()}
        for column in columns:
            metrics[f"min_{column}"] = table[column].min()
            metrics[f"max_{column}"] = table[column].max()
        frame = backend.execute(table.aggregate(**metrics))
    except SupportKpiError:  # an optional table the source does not have
        return {}
    return dict(frame.iloc[0]) if len(frame) else {}


def _instant(value: Any) -> datetime | None:
    if value is None or value is pd.NaT or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime() if isinstance(value, datetime) else None


def _distinct(backend: Backend, name: str, column: str) -> list[tuple[Any, Any]]:
    table = backend.table(name)
    values = table.select(value=table[column]).filter(table[column].notnull()).distinct()
    return [(v, v) for v in backend.execute(values)["value"]]


def _agents(backend: Backend) -> list[tuple[str, str]]:
    """Every agent by name, and the assignees the agents table does not know, by id."""
    tickets, agents = backend.table("tickets"), backend.table("agents")
    named = agents.filter(agents.agent_id.notnull()).select(
        value=agents.agent_id, label=ibis.coalesce(agents["name"], agents.agent_id)
    )
    unknown = tickets.filter(
        tickets.assignee_id.notnull() & ~tickets.assignee_id.isin(named.value)
    ).select(value=tickets.assignee_id, label=tickets.assignee_id)
    frame = backend.execute(named.union(unknown.distinct()))
    return ordered_options("agent", zip(frame["value"], frame["label"], strict=True))
