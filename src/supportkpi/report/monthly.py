"""The headline report: the last full month against the month before.

A KPI whose inputs the data lacks (no message events for FCR, say) shows no numbers and the
note of its row, so that an empty cell never reads as a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from supportkpi.engine.periods import next_bucket
from supportkpi.metrics.selector import parse_selector
from supportkpi.query.session import Session
from supportkpi.report.format import format_value
from supportkpi.stats import compare

#: The ticket KPIs of the terminal report, in reading order.
HEADLINE = (
    "ticket_volume",
    "tickets_solved",
    "first_response_time:median",
    "first_response_time:p90",
    "resolution_time:median",
    "fcr_rate",
    "reopen_rate",
    "escalation_rate",
    "backlog",
    "unanswered_tickets",
    "interactions_per_ticket:mean",
)


@dataclass(frozen=True)
class MonthlyRow:
    metric: str
    title: str
    previous: str
    current: str
    change: str
    note: str | None = None  # why there is no number (the KPI row's note)


def last_full_month(con: Session) -> tuple[date, date, date]:
    """(previous month start, last full month start, its end) from the data's last ticket."""
    t = con.backend.table("tickets")
    last = con.backend.execute(t.aggregate(last=t.created_at.max()))["last"].iloc[0]
    if last is None or pd.isna(last):
        raise_empty()
    day_after = pd.Timestamp(last).date() + timedelta(days=1)
    this_month = day_after.replace(day=1)
    current = (this_month - timedelta(days=1)).replace(day=1)
    previous = (current - timedelta(days=1)).replace(day=1)
    return previous, current, next_bucket(current, "month")


def _pick(rows: pd.DataFrame, period: date) -> tuple[float | None, int]:
    """The value and n of one month in a metric's rows (indexed by period)."""
    key = period.isoformat()
    if key not in rows.index:
        return None, 0
    value: Any = rows.loc[key, "value"]
    n: Any = rows.loc[key, "n"]
    return (None if pd.isna(value) else float(value)), int(n)


def _note(rows: pd.DataFrame, period: date) -> str | None:
    """The note of the month's row, else any note of the metric (one row when it has no basis)."""
    if "note" not in rows.columns:
        return None
    notes = rows["note"].dropna()
    if notes.empty:
        return None
    key = period.isoformat()
    own = notes[rows.loc[notes.index, "period"] == key]
    return str(own.iloc[0] if len(own) else notes.iloc[0])


def raise_empty() -> None:
    from supportkpi.errors import DataError

    raise DataError(
        "the store has no tickets; load some with `supportkpi ingest` or `supportkpi demo`"
    )


def monthly_report(
    con: Session, metrics: tuple[str, ...] = HEADLINE
) -> tuple[str, list[MonthlyRow]]:
    """Headline KPIs for the last full month and the month before, with significance words.

    Months are local to the session's timezone (the config's, or the one it was opened with).
    """
    previous, current, end = last_full_month(con)
    frame = con.kpi(list(metrics), start=previous, end=end, grain="month")
    rows = []
    for selector in metrics:
        parsed = parse_selector(selector)
        metric, stat, label = parsed.metric, parsed.stat, parsed.label
        rows_of = frame[frame.metric == label]
        part = rows_of[rows_of["period"].notna()].set_index("period")
        (v0, n0), (v1, n1) = _pick(part, previous), _pick(part, current)
        change = ""
        if (
            metric.aggregation_kind.test(parsed) == "proportion"
            and v0 is not None
            and v1 is not None
        ):
            c = compare("proportion", (round(v0 * n0), n0), (round(v1 * n1), n1))
            verdict = "significant" if c.significant else "not significant"
            change = f"{(v1 - v0) * 100:+.1f} pts ({verdict} at 95%)"
        elif v0 is not None and v1 is not None:
            delta = v1 - v0
            change = ("+" if delta >= 0 else "−") + format_value(
                abs(delta), metric.unit, stat or None
            )
        rows.append(
            MonthlyRow(
                label,
                metric.title,
                format_value(v0, metric.unit, stat or None),
                format_value(v1, metric.unit, stat or None),
                change,
                _note(rows_of, current),
            )
        )
    return f"{current:%B %Y} vs {previous:%B %Y}", rows
