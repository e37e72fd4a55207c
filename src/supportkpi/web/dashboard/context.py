"""Everything a page view needs for one request: the pooled read-only connection, the filters,
the store's facts, and cached KPI calls that respect which filters each metric can take.

A metric that cannot be split by a filtered dimension (calls have no ``channel``, costs have no
dimension at all) is left out of the call and reported as unavailable, rather than shown
unfiltered under a filter it ignores. A metric that cannot be computed at all (SLA compliance
without ``[[sla]]`` policies) is unavailable too, with the error naming what to add, and a
metric whose inputs the data lacks carries its row's note: a view never fails for one tile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from supportkpi.config import Settings
from supportkpi.metrics.selector import Selector, parse_selector
from supportkpi.query.request import business_hours_apply
from supportkpi.query.runner import KpiResult
from supportkpi.web.dashboard.facts import DataFacts
from supportkpi.web.dashboard.filters import DashboardFilters
from supportkpi.web.dashboard.model import EmptyState
from supportkpi.web.state import ApiState, Reader

#: How to load each table, for empty states: (what is missing, the command's arguments).
LOAD_HINTS: dict[str, tuple[str, str]] = {
    "tickets": ("No tickets loaded", "ingest tickets FILE"),
    "ticket_events": ("No ticket events loaded", "ingest ticket_events FILE"),
    "calls": ("No calls loaded", "ingest calls FILE"),
    "surveys": ("No survey responses loaded", "ingest surveys FILE"),
    "customers": ("No customers loaded", "ingest customers FILE"),
    "orders": ("No orders loaded", "ingest orders FILE"),
    "costs": ("No support costs loaded", "ingest costs FILE"),
    "agents": ("No agents loaded", "ingest agents FILE"),
    "agent_activity": ("No agent activity (log-in states) loaded", "ingest agent_activity FILE"),
    "kb_sessions": ("No knowledge-base sessions loaded", "ingest kb_sessions FILE"),
}


def _without_subject(message: str, label: str) -> str:
    """``"sla_compliance needs [[sla]] ..."`` → ``"needs [[sla]] ..."``: the tile or table
    already names the KPI."""
    name = label.partition(":")[0]
    return message[len(name) + 1 :] if message.startswith(name + " ") else message


#: Columns of a KPI answer that are not keys (period, dimensions, age band).
_VALUE_COLUMNS = ("metric", "value", "n", "ci_low", "ci_high", "note")


@dataclass
class Frame:
    """A KPI answer, the selectors left out (a filter does not apply to them, or they cannot
    be computed), and the notes of those whose value has no basis in the data."""

    rows: pd.DataFrame
    unavailable: dict[str, str] = field(default_factory=dict)  # selector label -> reason
    notes: dict[str, str] = field(default_factory=dict)  # selector label -> its rows' note

    @classmethod
    def of(cls, result: KpiResult, unavailable: dict[str, str]) -> Frame:
        """A frame from a partial KPI answer: its errors join ``unavailable``, and the one
        keyless row of a metric without a basis leaves the rows for ``notes``."""
        failed = {e.metric: _without_subject(str(e.error), e.metric) for e in result.errors}
        unavailable = {**unavailable, **failed}
        rows, notes = result.rows, {}
        if "note" in rows.columns and rows["note"].notna().any():
            noted = rows[rows["note"].notna()]
            notes = {str(m): str(n) for m, n in zip(noted["metric"], noted["note"], strict=True)}
            keys = [c for c in rows.columns if c not in _VALUE_COLUMNS]
            if keys:
                keyless = rows["note"].notna() & rows[keys].isna().all(axis=1)
                rows = rows[~keyless]
        return cls(rows, unavailable, notes)

    def for_metric(self, label: str) -> pd.DataFrame:
        return self.rows[self.rows["metric"] == label] if len(self.rows) else self.rows

    def total(self, label: str) -> dict[str, Any] | None:
        """The one row of ``label`` (a query without grain or breakdown)."""
        found = self.for_metric(label)
        return None if found.empty else dict(found.iloc[0])


@dataclass
class PageContext:
    """One request's view of the store."""

    state: ApiState
    reader: Reader
    filters: DashboardFilters
    facts: DataFacts
    path: str
    #: The request's parameters other than the filters (a page's own inputs), kept in links.
    extra_params: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def db_path(self) -> str:
        return self.state.db_path

    def kpi(
        self,
        selectors: Sequence[str],
        grain: str | None = None,
        by: Sequence[str] = (),
        period: tuple[date, date] | None = None,
    ) -> Frame:
        """One ``Connection.kpi`` call for every selector that takes the active filters."""
        start, end = period or (self.filters.start, self.filters.end)
        usable, unavailable = [], {}
        for text in selectors:
            sel = parse_selector(text)
            reason = self.unavailable_reason(sel, by)
            if reason:
                unavailable[sel.label] = reason
            else:
                usable.append(sel.label)
        if not usable:
            return Frame(pd.DataFrame(columns=["metric", "value", "n"]), unavailable)
        arguments: dict[str, Any] = {
            "start": start,
            "end": end,
            "grain": grain,
            "by": list(by),
            "where": self.filters.where_dict(),
            # The preset applies to the durations among the selectors, not to the others.
            "business_hours": self.filters.business_hours and business_hours_apply(usable),
        }
        request = self.reader.con.query(usable, **arguments)
        result = self.state.kpi(self.reader, request)
        return Frame.of(result, unavailable)

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key and load of the store (the app's shared cache)."""
        return self.state.cached(key, self.reader, compute)

    def unavailable_reason(self, sel: Selector, by: Sequence[str] = ()) -> str | None:
        """Why ``sel`` cannot be computed under the active filters (``None`` if it can)."""
        missing = self.filters.unsupported(sel.metric.dimensions)
        missing += [dim for dim in by if dim not in sel.metric.dimensions]
        if not missing:
            return None
        return f"not available by {' or '.join(dict.fromkeys(missing))}"

    def drill_url(
        self,
        selector: str,
        period: str | None = None,
        where: dict[str, str] | None = None,
    ) -> str | None:
        """The drill-down page for one value, or ``None`` when the metric has no row list."""
        sel = parse_selector(selector)
        if sel.metric.aggregation_kind.row_list is None:
            return None
        filters = self.filters.with_where(**where) if where else self.filters
        extra: dict[str, Any] = {"metric": sel.label}
        if period:
            extra["period"] = period
            extra["grain"] = self.filters.grain
        return filters.url("/tickets", **extra)

    def load_command(self, table: str) -> str:
        """How to fill ``table``: the command on a store; on a Spark source, which it never
        writes, what the source lacks."""
        if self.state.reads_elsewhere:
            return f"add {table}.parquet (or its catalog table) to {self.state.source}"
        command = LOAD_HINTS.get(table, ("", f"ingest {table} FILE"))[1]
        return f"supportkpi {command} --db {self.db_path}"

    def missing_notes(self, needs: dict[str, str]) -> list[str]:
        """A note per empty table of ``needs`` (table -> the KPIs that need it)."""
        return [
            f"{what} need the {table} table, which is empty: {self.load_command(table)}"
            for table, what in needs.items()
            if not self.facts.has(table)
        ]

    def empty_state(self, *tables: str) -> EmptyState | None:
        """The empty state for the first of ``tables`` holding no rows (``None`` if all do)."""
        for table in tables:
            if not self.facts.has(table):
                what = LOAD_HINTS.get(table, (f"No {table} loaded", ""))[0]
                return EmptyState(
                    f"{what}. This section needs the `{table}` table.", self.load_command(table)
                )
        return None
