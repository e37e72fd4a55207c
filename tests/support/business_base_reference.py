"""Shared pieces of the business KPIs' plain-pandas reference: rows, periods and summaries.

Split out of ``business_reference`` (which grew past 700 lines) so that each family's reference
stays a small module; it shares no code with ``supportkpi.metrics``: rows are walked in Python
loops and periods are computed with pandas timestamps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pandas as pd
from scipy.stats import t as student_t
from ticket_reference import (
    Query,
    bucket_start,
    local_date,
    local_midnight,
    next_bucket,
    records,
    ticket_facts,
    wilson,
)

Z95 = 1.959963984540054
DAY = pd.Timedelta(days=1)
DEFAULTS: dict[str, Any] = {
    "csat_scale_max": 5,
    "csat_satisfied_min": 4,
    "ces_scale_max": 5,
    "sentiment_threshold": -0.5,
    "conversion_days": 7,
    "self_service_hours": 24,
}
RATIOS = {
    "csat",
    "survey_response_rate",
    "asat",
    "customer_retention_rate",
    "customer_churn_rate",
    "repurchase_rate",
    "conversion_rate",
    "self_service_success_rate",
    "chatbot_interaction_rate",
    "bot_containment_rate",
    "angry_customer_rate",
}
MEANS = {"csat_mean", "ces", "customer_sentiment"}


def val(value: Any) -> Any:
    if hasattr(value, "__len__") and not isinstance(value, str):
        return list(value)  # a list column (tags)
    return None if value is None or value is pd.NaT or pd.isna(value) else value


def table(tables: dict[str, pd.DataFrame], name: str) -> list[dict[str, Any]]:
    if name not in tables:
        return []
    return [{k: val(v) for k, v in r.items()} for r in records(tables[name])]


def facts_of(tables: dict[str, pd.DataFrame]) -> list[Any]:
    """The ticket reference's facts (it reads scalar columns only: the tag lists stay out)."""
    tickets = tables["tickets"].drop(columns=["tags"], errors="ignore")
    return ticket_facts({**tables, "tickets": tickets})


# -- periods -----------------------------------------------------------------------------------
def query_periods(
    q: Query, first: pd.Timestamp | None, last: pd.Timestamp | None
) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """``(period label, start, end)`` of the query: each bucket, or the whole range."""
    lo = local_midnight(q.start, q.tz) if q.start else first
    hi = (
        local_midnight(q.end, q.tz)
        if q.end
        else (last + pd.Timedelta(seconds=1) if last is not None else None)
    )
    if lo is None or hi is None:
        return []
    if not q.grain:
        return [("", lo, hi)]
    out = []
    day = bucket_start(local_date(lo, q.tz), q.grain)
    while local_midnight(day, q.tz) < hi:
        nxt = next_bucket(day, q.grain)
        start, end = max(local_midnight(day, q.tz), lo), min(local_midnight(nxt, q.tz), hi)
        out.append((day.isoformat(), start, end))
        day = nxt
    return out


def in_query(q: Query, at: pd.Timestamp | None) -> bool:
    if at is None:
        return False
    day = local_date(at, q.tz).isoformat()
    return (q.start is None or day >= q.start) and (q.end is None or day < q.end)


def period_of(q: Query, at: pd.Timestamp) -> str:
    return bucket_start(local_date(at, q.tz), q.grain).isoformat() if q.grain else ""


# -- results -----------------------------------------------------------------------------------
def _group(q: Query, items: list[tuple[pd.Timestamp, dict[str, Any], Any]]) -> dict[tuple, list]:
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for at, dims, x in items:
        if in_query(q, at) and all(dims.get(d) in v for d, v in q.where.items()):
            groups[(period_of(q, at), *(dims.get(d) for d in q.by))].append(x)
    return groups


def _row(q: Query, key: tuple[Any, ...], summary: dict[str, Any]) -> dict[str, Any]:
    out = {"period": key[0]} if q.grain else {}
    out.update(dict(zip(q.by, key[1:], strict=True)))
    return {**out, **summary}


def summarise_ratio(xs: list[tuple[int, int]]) -> dict[str, Any]:
    k, n = sum(a for a, _ in xs), sum(b for _, b in xs)
    low, high = wilson(k, n) if n else (None, None)
    return {"value": k / n if n else None, "n": n, "ci_low": low, "ci_high": high}


def summarise_mean(xs: list[float]) -> dict[str, Any]:
    n = len(xs)
    mean = sum(xs) / n
    if n < 2:
        return {"value": mean, "n": n, "ci_low": None, "ci_high": None}
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return {"value": mean, "n": n, "ci_low": mean - half, "ci_high": mean + half}


def summarise_nps(xs: list[float]) -> dict[str, Any]:
    n = len(xs)
    p = sum(1 for x in xs if x >= 9) / n
    d = sum(1 for x in xs if x <= 6) / n
    score = 100 * (p - d)
    half = Z95 * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    return {
        "value": score,
        "n": n,
        "ci_low": max(-100, score - half),
        "ci_high": min(100, score + half),
    }


def quotient(
    q: Query, num: list[tuple], den: list[tuple], n_counts: str = "numerator"
) -> list[dict[str, Any]]:
    """sum(num) / sum(den) per key; n counts the rows of one side."""
    a, b = _group(q, num), _group(q, den)
    rows = []
    for key in set(a) | set(b):
        top, bottom = sum(a.get(key, [])), sum(b.get(key, []))
        counted = b if n_counts == "denominator" else a
        n = len(counted.get(key, []))
        rows.append(_row(q, key, {"value": top / bottom if bottom else None, "n": n}))
    return rows
