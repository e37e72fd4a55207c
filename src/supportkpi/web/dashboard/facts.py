"""What the dashboard needs to know about the store before any KPI: which tables hold rows, the
first and latest dates with data (presets count back from the latest), and the values each
filter can take. Read with fixed SQL (never built from a request) and cached per load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from supportkpi.engine.periods import zone
from supportkpi.schema.tables import TABLES
from supportkpi.store import Store

#: The instants that date the data, per table; the latest of them anchors the presets.
DATED_COLUMNS = (
    ("tickets", "created_at"),
    ("ticket_events", "at"),
    ("calls", "offered_at"),
    ("surveys", "responded_at"),
)
#: Fixed queries for the filter choices: (dimension, SQL returning value and label).
OPTION_QUERIES = (
    ("channel", "SELECT DISTINCT channel, channel FROM tickets WHERE channel IS NOT NULL"),
    ("team", "SELECT DISTINCT team, team FROM tickets WHERE team IS NOT NULL"),
    ("priority", "SELECT DISTINCT priority, priority FROM tickets WHERE priority IS NOT NULL"),
    ("segment", "SELECT DISTINCT segment, segment FROM customers WHERE segment IS NOT NULL"),
    (
        "agent",
        "SELECT agent_id, coalesce(name, agent_id) FROM agents WHERE agent_id IS NOT NULL "
        "UNION SELECT DISTINCT assignee_id, assignee_id FROM tickets "
        "WHERE assignee_id IS NOT NULL AND assignee_id NOT IN "
        "(SELECT agent_id FROM agents WHERE agent_id IS NOT NULL)",
    ),
)
_PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


@dataclass(frozen=True)
class DataFacts:
    """Row counts, the data's date span (local dates) and the filters' choices."""

    counts: dict[str, int]
    first_day: date
    last_day: date
    has_dates: bool
    last_instant: int | None  # epoch seconds of the latest dated row
    options: dict[str, list[tuple[str, str]]]  # dimension -> [(value, label)]

    def has(self, table: str) -> bool:
        return self.counts.get(table, 0) > 0

    def label(self, dim: str, value: str) -> str:
        """The readable label of a filter value (an agent's name for an agent id)."""
        return dict(self.options.get(dim, [])).get(value, value)


def read_facts(store: Store, tz: str) -> DataFacts:
    """Collect the facts of ``store`` with the report timezone ``tz``."""
    counts = {name: _count(store, name) for name in TABLES}
    instants = [_extreme(store, t, c, agg) for t, c in DATED_COLUMNS for agg in ("min", "max")]
    options = {
        dim: _options(store, dim, sql) if _has_rows(counts, sql) else []
        for dim, sql in OPTION_QUERIES
    }
    return assemble_facts(counts, instants, options, tz)


def assemble_facts(
    counts: dict[str, int],
    instants: list[datetime | None],
    options: dict[str, list[tuple[str, str]]],
    tz: str,
) -> DataFacts:
    """The facts from the counts, the dated columns' extremes and the filter choices."""
    found = [i for i in instants if i is not None]
    zone_info = zone(tz)
    if found:
        first = min(found).astimezone(zone_info).date()
        last = max(found).astimezone(zone_info).date()
    else:
        first = last = datetime.now(zone_info).date()
    latest = int(max(found).timestamp()) if found else None
    return DataFacts(counts, first, last, bool(found), latest, options)


def _count(store: Store, table: str) -> int:
    try:
        return store.count(table)
    except Exception:  # a store written by an older version may lack a table
        return 0


def _extreme(store: Store, table: str, column: str, agg: str) -> datetime | None:
    try:
        row = store.con.execute(f"SELECT {agg}({column}) FROM {table}").fetchone()
    except Exception:
        return None
    value: Any = row[0] if row else None
    return value if isinstance(value, datetime) else None


def _has_rows(counts: dict[str, int], sql: str) -> bool:
    return any(counts.get(t, 0) for t in ("tickets", "customers", "agents") if f" {t}" in sql)


def _options(store: Store, dim: str, sql: str) -> list[tuple[str, str]]:
    try:
        rows = store.con.execute(sql).fetchall()
    except Exception:
        return []
    return ordered_options(dim, rows)


def ordered_options(dim: str, rows: Iterable[Sequence[Any]]) -> list[tuple[str, str]]:
    """A filter's ``(value, label)`` choices, without nulls, in the order the menus show."""
    pairs = sorted({(str(v), str(label)) for v, label in rows if v is not None})
    if dim == "priority":
        pairs.sort(key=lambda p: (_PRIORITY_ORDER.get(p[0], 9), p[0]))
    elif dim == "agent":
        pairs.sort(key=lambda p: (p[1].lower(), p[0]))
    return pairs
