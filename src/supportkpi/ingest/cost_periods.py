"""Cost periods of one category that overlap, found at load time.

A ``costs`` row covers ``period_start`` to ``period_end`` *inclusive*, and the cost KPIs spread
its amount over those days. Two rows of one category that share a day count that day twice.
The usual cause is an export written half-open (2024-01-01 → 2024-02-01, then 2024-02-01 →
2024-03-01): the rows are stored as given, and the load summary says what happened and how to
correct it.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

_INCOMING = "_cost_rows"


def overlap_warnings(con: duckdb.DuckDBPyConnection, loaded: pa.Table) -> list[str]:
    """One warning about stored ``costs`` rows of a category that overlap, where at least one
    of the two is among ``loaded`` (this load's rows); none when nothing overlaps."""
    con.register(_INCOMING, loaded.select(["period_start", "period_end", "category"]))
    try:
        pairs = con.execute(
            f"""WITH incoming AS (
                    SELECT CAST(period_start AS DATE) AS s, CAST(period_end AS DATE) AS e,
                           category AS c FROM {_INCOMING})
                SELECT a.category, a.period_start, a.period_end, b.period_start, b.period_end
                FROM costs a JOIN costs b
                  ON a.category IS NOT DISTINCT FROM b.category
                 AND (a.period_start < b.period_start
                      OR (a.period_start = b.period_start AND a.period_end < b.period_end))
                 AND b.period_start <= a.period_end AND a.period_start <= b.period_end
                WHERE EXISTS (SELECT 1 FROM incoming i
                    WHERE (i.s = a.period_start AND i.e = a.period_end
                           AND i.c IS NOT DISTINCT FROM a.category)
                       OR (i.s = b.period_start AND i.e = b.period_end
                           AND i.c IS NOT DISTINCT FROM b.category))
                ORDER BY a.category NULLS FIRST, a.period_start, b.period_start"""
        ).fetchall()
    finally:
        con.unregister(_INCOMING)
    if not pairs:
        return []
    return [_warning(pairs)]


def _warning(pairs: list[tuple[str | None, date, date, date, date]]) -> str:
    category, a_start, a_end, b_start, b_end = pairs[0]
    first, last = max(a_start, b_start), min(a_end, b_end)
    shared = first.isoformat() if first == last else (
        f"{first.isoformat()}..{last.isoformat()} ({(last - first).days + 1} days)"
    )  # fmt: skip
    example = (
        f"{category if category is not None else '(no category)'} "
        f"{a_start.isoformat()}..{a_end.isoformat()} and "
        f"{b_start.isoformat()}..{b_end.isoformat()} share {shared}"
    )
    count = f"{len(pairs)} pair{'s' if len(pairs) > 1 else ''}"
    lead = ", e.g." if len(pairs) > 1 else ":"
    text = (
        f"{count} of costs rows of the same category overlap{lead} {example}; period_end is "
        "read as the last day of its period (inclusive), so a shared day is counted twice"
    )
    # One period ending on the day the next one starts, every time: written half-open.
    if all(a_end == b_start for _, _, a_end, b_start, _ in pairs):
        text += (
            ". Every overlap is one day where one period ends on the day the next starts: "
            "this looks like a half-open export (end = the next period's start); move each "
            "period_end back one day"
        )
    return text
