"""Local-time bucketing that never depends on an engine's session timezone.

Every instant is handled as epoch seconds (an integer that means the same on every engine).
To put an instant into a local day, week, month, quarter or year of the report timezone we
join, by equality on the UTC day number, a small table computed here in Python with
``zoneinfo``: for each UTC day it holds the one instant inside that day where the local date
changes (local midnight) and the bucket keys before and after it. An offset is never more than
a day, so a UTC day contains at most one local midnight; DST changes are already resolved by
``zoneinfo`` when the table is built. Equality joins on a tiny table are fast and portable
(DuckDB and Spark broadcast them), unlike ASOF joins.

Bucket keys are local day numbers (days since 1970-01-01) of the bucket's first day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir
import pandas as pd

from supportkpi.errors import InputError

GRAINS = ("day", "week", "month", "quarter", "year")
EPOCH_DATE = date(1970, 1, 1)
#: The bucketing table covers these years; instants outside fall into no bucket.
FIRST_YEAR, LAST_YEAR = 1990, 2070
#: Dates a request may name (from, to, a drill-down period): wider than any real history, and
#: bounded so that a range end, a period's next bucket and the epoch arithmetic behind them
#: can never overflow (year 9999 + one month is not a date).
MIN_DATE, MAX_DATE = date(1970, 1, 1), date(2101, 1, 1)
#: IANA names are at most a few path parts of letters, digits, "_", "+" and "-"; checking the
#: shape first keeps a hostile name away from the file system lookup behind ``ZoneInfo``.
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,3}")
MAX_ZONE_NAME = 64


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``, or a clear error."""
    if len(name) > MAX_ZONE_NAME or not _ZONE_NAME.fullmatch(name):
        shown = name if len(name) <= MAX_ZONE_NAME else name[:MAX_ZONE_NAME] + "…"
        raise InputError(f"unknown timezone {shown!r}; use an IANA name like 'Europe/Berlin'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            f"unknown timezone {name!r}; use an IANA name like 'Europe/Berlin'"
        ) from None


def day_number(d: date) -> int:
    return (d - EPOCH_DATE).days


def from_day_number(n: int) -> date:
    return EPOCH_DATE + timedelta(days=int(n))


def bucket_start(d: date, grain: str) -> date:
    """The first local date of the ``grain`` bucket containing ``d``."""
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    if grain == "year":
        return date(d.year, 1, 1)
    raise InputError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")


def next_bucket(start: date, grain: str) -> date:
    """The first local date of the bucket after the one starting at ``start``."""
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    total = start.year * 12 + start.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def local_midnight_epoch(d: date, tz: ZoneInfo) -> int:
    """Epoch seconds of the first instant of local date ``d`` (handles DST gaps at midnight)."""
    naive = datetime.combine(d, time(0))
    aware = naive.replace(tzinfo=tz)
    # A midnight inside a DST gap does not exist; fold=0 then maps it forward, which is the
    # first instant of that local day.
    epoch = int(aware.astimezone(UTC).timestamp())
    if datetime.fromtimestamp(epoch, tz).date() != d:
        epoch = int(aware.replace(fold=1).astimezone(UTC).timestamp())
    return epoch


def range_bounds(
    start: date | None, end: date | None, tz_name: str
) -> tuple[int | None, int | None]:
    """Half-open local-date range ``[start, end)`` as epoch seconds."""
    tz = zone(tz_name)
    lo = local_midnight_epoch(start, tz) if start else None
    hi = local_midnight_epoch(end, tz) if end else None
    if lo is not None and hi is not None and hi <= lo:
        raise InputError(f"empty date range: 'to' ({end}) must be after 'from' ({start})")
    return lo, hi


@lru_cache(maxsize=32)
def bucket_table(tz_name: str, grain: str) -> pd.DataFrame:
    """One row per UTC day: ``utc_day``, ``switch_s``, ``key_before``, ``key_after``.

    An instant ``e`` (epoch seconds) of UTC day ``e // 86400`` belongs to bucket
    ``key_before`` when ``e < switch_s`` and to ``key_after`` otherwise.
    """
    tz = zone(tz_name)
    rows = []
    first = date(FIRST_YEAR, 1, 1)
    last = date(LAST_YEAR, 12, 31)
    # Local midnights are monotonic in epoch seconds; walk them once.
    local = first - timedelta(days=2)
    for utc_day in range(day_number(first), day_number(last) + 1):
        day_end = (utc_day + 1) * 86400
        # Advance to the last local midnight not after the start of this UTC day.
        while True:
            nxt = local_midnight_epoch(local + timedelta(days=1), tz)
            if nxt <= utc_day * 86400:
                local = local + timedelta(days=1)
            else:
                break
        before = day_number(bucket_start(local, grain))
        if nxt < day_end:  # a local midnight falls inside this UTC day
            after = day_number(bucket_start(local + timedelta(days=1), grain))
            switch = nxt
        else:
            after, switch = before, day_end
        rows.append((utc_day, switch, before, after))
    return pd.DataFrame(rows, columns=["utc_day", "switch_s", "key_before", "key_after"])


def bucket_keys(lo_day: date, hi_day: date, grain: str) -> list[date]:
    """Bucket starts covering local dates ``[lo_day, hi_day)``."""
    keys = []
    current = bucket_start(lo_day, grain)
    while current < hi_day:
        keys.append(current)
        current = next_bucket(current, grain)
    return keys


def parse_date(value: str | date | None, what: str) -> date | None:
    """Parse an ISO date argument (``2024-01-31``) inside ``MIN_DATE … MAX_DATE``, or raise a
    clear error."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value))
        except ValueError:
            raise InputError(f"invalid {what} date {value!r}; use YYYY-MM-DD") from None
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise InputError(
            f"the {what} date {parsed} is outside {MIN_DATE} … {MAX_DATE}, the dates supportkpi "
            "reports on"
        )
    return parsed


def bucket_count(start: date, end: date, grain: str) -> int:
    """How many ``grain`` buckets the half-open range ``[start, end)`` touches."""
    last = end - timedelta(days=1)
    if grain == "day":
        return (end - start).days
    if grain == "week":
        return (bucket_start(last, "week") - bucket_start(start, "week")).days // 7 + 1
    if grain == "month":
        return (last.year - start.year) * 12 + last.month - start.month + 1
    if grain == "quarter":
        return (last.year - start.year) * 4 + (last.month - 1) // 3 - (start.month - 1) // 3 + 1
    return last.year - start.year + 1


@lru_cache(maxsize=32)
def bucket_memtable(tz_name: str, grain: str) -> ir.Table:
    """:func:`bucket_table` as one in-memory table per timezone and grain: an engine
    registers it once per connection instead of once per query (tens of thousands of rows)."""
    return ibis.memtable(bucket_table(tz_name, grain))


def with_period(frame: ir.Table, tz: str, grain: str, column: str = "at") -> ir.Table:
    """Add ``period`` (bucket start as a local day number) for the instant in ``column``."""
    b = bucket_memtable(tz, grain)
    frame = frame.mutate(_utc_day=(frame[column] / 86400).floor().cast("int64"))
    joined = frame.join(b, frame._utc_day == b.utc_day)
    return joined.mutate(
        period=ibis.ifelse(joined[column] < joined.switch_s, joined.key_before, joined.key_after)
    ).drop("_utc_day", "utc_day", "switch_s", "key_before", "key_after")


@lru_cache(maxsize=32)
def bucket_spans(tz_name: str, grain: str) -> ir.Table:
    """Every bucket of ``MIN_DATE … MAX_DATE`` as one in-memory table per timezone and grain:
    ``period`` (the local day number of its start), ``start_s`` and ``end_s`` (half-open)."""
    tz = zone(tz_name)
    starts = bucket_keys(MIN_DATE, MAX_DATE, grain)
    midnights = [local_midnight_epoch(d, tz) for d in [*starts, next_bucket(starts[-1], grain)]]
    frame = pd.DataFrame(
        {
            "period": [day_number(d) for d in starts],
            "start_s": midnights[:-1],
            "end_s": midnights[1:],
        }
    )
    return ibis.memtable(frame.astype("int64"))


def range_spans(tz_name: str, grain: str, lo: int, hi: int) -> ir.Table:
    """The buckets that meet ``[lo, hi)``, clipped to it: ``period, start_s, end_s``.

    The range is an expression over the one table of :func:`bucket_spans`, not a table of
    its own, so a statement over it is the same for every range (its bounds are values).
    """
    spans = bucket_spans(tz_name, grain)
    low, high = ibis.literal(lo, "int64"), ibis.literal(hi, "int64")
    spans = spans.filter((spans.end_s > low) & (spans.start_s < high))
    return spans.select(
        "period", start_s=ibis.greatest(spans.start_s, low), end_s=ibis.least(spans.end_s, high)
    )


@lru_cache(maxsize=1)
def _one_row() -> ir.Table:
    return ibis.memtable(pd.DataFrame({"one": [1]}))


def one_span(period: int, lo: int, hi: int) -> ir.Table:
    """One row ``period, start_s, end_s``: the whole range as a single period."""
    return _one_row().select(
        period=ibis.literal(period, "int64"),
        start_s=ibis.literal(lo, "int64"),
        end_s=ibis.literal(hi, "int64"),
    )
