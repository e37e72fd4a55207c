"""Local-time bucketing: hand-checked instants around DST changes, and range bounds."""

from datetime import UTC, date, datetime

import pytest

from supportkpi.engine import periods
from supportkpi.errors import InputError


def _bucket(epoch: int, tz: str, grain: str) -> date:
    table = periods.bucket_table(tz, grain).set_index("utc_day")
    row = table.loc[epoch // 86400]
    key = row.key_before if epoch < row.switch_s else row.key_after
    return periods.from_day_number(int(key))


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("utc", "tz", "grain", "expected"),
    [
        # Berlin is UTC+1 in winter: 23:30 UTC on 30 March is 00:30 local on 31 March.
        ("2024-03-30 23:30", "Europe/Berlin", "day", date(2024, 3, 31)),
        # 31 March 2024 is the spring change; from 01:00 UTC Berlin is UTC+2, so 22:30 UTC
        # is 00:30 local on 1 April (a 23-hour local day).
        ("2024-03-31 22:30", "Europe/Berlin", "day", date(2024, 4, 1)),
        ("2024-03-31 21:59", "Europe/Berlin", "day", date(2024, 3, 31)),
        # Autumn change 27 Oct 2024 (a 25-hour day): 22:59 UTC is 23:59 local (UTC+1).
        ("2024-10-27 22:59", "Europe/Berlin", "day", date(2024, 10, 27)),
        ("2024-10-27 23:00", "Europe/Berlin", "day", date(2024, 10, 28)),
        # New York is UTC-5 in winter: 03:00 UTC on 1 Jan is still 31 Dec locally.
        ("2024-01-01 03:00", "America/New_York", "month", date(2023, 12, 1)),
        ("2024-01-01 03:00", "America/New_York", "year", date(2023, 1, 1)),
        ("2024-01-01 05:00", "America/New_York", "quarter", date(2024, 1, 1)),
        # ISO weeks start on Monday: Sunday 7 Jan 2024 belongs to the week of Monday 1 Jan.
        ("2024-01-07 12:00", "UTC", "week", date(2024, 1, 1)),
        ("2024-01-08 00:00", "UTC", "week", date(2024, 1, 8)),
        # Kathmandu is UTC+5:45: 18:15 UTC is local midnight.
        ("2024-06-01 18:14", "Asia/Kathmandu", "day", date(2024, 6, 1)),
        ("2024-06-01 18:15", "Asia/Kathmandu", "day", date(2024, 6, 2)),
    ],
)
def test_bucket_of_instant(utc: str, tz: str, grain: str, expected: date) -> None:
    assert _bucket(_epoch(utc), tz, grain) == expected


def test_range_bounds_are_local_midnights() -> None:
    lo, hi = periods.range_bounds(date(2024, 3, 31), date(2024, 4, 1), "Europe/Berlin")
    # Local midnight of 31 March is 23:00 UTC on 30 March; of 1 April, 22:00 UTC on 31 March.
    assert lo == _epoch("2024-03-30 23:00")
    assert hi == _epoch("2024-03-31 22:00")
    assert hi - lo == 23 * 3600


def test_bad_inputs_are_clear() -> None:
    with pytest.raises(InputError, match="unknown timezone"):
        periods.zone("Mars/Olympus")
    with pytest.raises(InputError, match="empty date range"):
        periods.range_bounds(date(2024, 2, 1), date(2024, 1, 1), "UTC")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        periods.parse_date("31/01/2024", "from")


def test_bucket_keys_cover_the_range() -> None:
    keys = periods.bucket_keys(date(2024, 1, 15), date(2024, 4, 2), "month")
    assert keys == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)]
