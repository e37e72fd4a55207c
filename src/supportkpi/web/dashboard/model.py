"""What a dashboard page is made of, as plain data: a page view builds these, a template
renders them, and a table can also leave as CSV. No HTML here.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from supportkpi.metrics.registry import Unit
from supportkpi.report.csv_safety import neutralise_cell
from supportkpi.report.format import format_value


@dataclass
class Tile:
    """One KPI's headline number with its context (target, change, interval, sparkline)."""

    selector: str
    title: str
    definition: str
    value: float | None = None
    shown: str = "–"
    n: int = 0
    interval: str | None = None  # "76.6% – 87.0%"
    target: str | None = None  # "<= 2h"
    target_status: str | None = None  # pass, miss, no_data
    delta: str | None = None  # "+2.3 pts"
    delta_tone: str = "neutral"  # better, worse, neutral
    significance: str | None = None  # "significant", "not significant", "no test"
    change_sentence: str | None = None
    sparkline: Chart | None = None
    drill_url: str | None = None
    #: Why there is no number: a filter it cannot take, or the config it needs.
    unavailable: str | None = None
    note: str | None = None  # why the value is null (what the data lacks)


@dataclass
class Chart:
    """A Vega-Lite spec with its caption; ``description`` is read out by screen readers."""

    id: str
    title: str
    spec: dict[str, Any]
    description: str
    table_id: str | None = None  # the table holding the same numbers
    height: int = 260

    @property
    def drillable(self) -> bool:
        """Whether any bar or point opens the rows behind it."""
        data = self.spec.get("data", {}).get("values", [])
        return any(isinstance(d, dict) and d.get("drill") for d in data)


@dataclass
class Column:
    """A table column: ``unit`` decides the display ("seconds" → "1h 12m", "ratio" → "82.3%")."""

    key: str
    label: str
    unit: str = "text"
    info: str | None = None  # a definition shown on hover
    numeric: bool = False


@dataclass
class Table:
    """Rows of raw values; ``links`` maps (row index, column key) to a drill-down URL."""

    id: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    links: dict[tuple[int, str], str] = field(default_factory=dict)
    note: str | None = None
    csv_url: str | None = None
    limit_note: str | None = None
    #: Rows shown in the page (the CSV has them all).
    display_limit: int = 500

    @property
    def shown_rows(self) -> range:
        return range(min(len(self.rows), self.display_limit))

    def cell(self, index: int, column: Column) -> str:
        return display(self.rows[index].get(column.key), column.unit)

    def to_csv(self) -> str:
        """The raw values (seconds, fractions) under the column keys, for spreadsheets.

        Text that a spreadsheet would run as a formula is neutralised (see
        :mod:`supportkpi.report.csv_safety`), in the header too: some tables take their
        column keys from the data (one column per channel).
        """
        lines = [csv_line([neutralise_cell(c.key) for c in self.columns])]
        lines += [csv_line([csv_value(row.get(c.key)) for c in self.columns]) for row in self.rows]
        return "".join(lines)


@dataclass
class EmptyState:
    """What is missing (data or configuration) and the command that adds it."""

    message: str
    command: str | None = None
    action: str = "Load it with"  # the words before the command


@dataclass
class Section:
    """A titled block of a page."""

    title: str
    id: str = ""
    intro: str | None = None
    tiles: list[Tile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty: EmptyState | None = None
    partial: str | None = None  # an extra template (e.g. the Erlang calculator form)
    data: dict[str, Any] = field(default_factory=dict)  # what the partial reads


@dataclass
class PageView:
    """One page: its sections and any warnings about the filters."""

    slug: str
    title: str
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, Table]:
        return {t.id: t for s in self.sections for t in s.tables}


def display(value: Any, unit: str) -> str:
    """A cell for people: durations humanized, rates as percentages, missing as "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "–"
    if unit == "text":
        return str(value)
    if unit == "date":
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    if unit == "datetime":
        if isinstance(value, datetime | pd.Timestamp):
            return value.strftime("%Y-%m-%d %H:%M UTC")
        return str(value)
    if unit == "int":
        return f"{float(value):,.0f}"
    if unit == "number":
        return f"{float(value):,.2f}"
    if unit == "bool":
        return "yes" if value else "no"
    try:
        return format_value(float(value), Unit(unit))
    except ValueError:
        return str(value)


def csv_line(cells: list[Any]) -> str:
    """One CSV record ending in ``\\n``, with every cell holding a CR or LF quoted."""
    out = io.StringIO()
    # The writer quotes a cell that holds a character of its line terminator. With "\n" alone
    # a bare CR stays unquoted: a spreadsheet ends the row there, and the text after the CR
    # starts a cell of its own that was never neutralised.
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2] + "\n"


def csv_value(value: Any) -> Any:
    """A cell for spreadsheets: raw numbers, ISO dates, lists joined, formulas made inert."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, datetime | pd.Timestamp | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return neutralise_cell("; ".join(str(v) for v in value))
    return neutralise_cell(value)
