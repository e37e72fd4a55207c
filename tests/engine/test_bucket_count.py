"""``bucket_count`` (the request model's cap on periods) against listing the buckets."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from supportkpi.engine.periods import GRAINS, bucket_count, bucket_keys

DAYS = st.dates(min_value=date(1970, 1, 1), max_value=date(2100, 12, 31))


@given(start=DAYS, length=st.integers(min_value=1, max_value=3000), grain=st.sampled_from(GRAINS))
def test_bucket_count_is_the_number_of_buckets_listed(start: date, length: int, grain: str) -> None:
    end = start + timedelta(days=length)
    assert bucket_count(start, end, grain) == len(bucket_keys(start, end, grain))


def test_bucket_count_by_hand() -> None:
    assert bucket_count(date(2024, 1, 1), date(2024, 1, 2), "day") == 1
    assert bucket_count(date(2024, 1, 7), date(2024, 1, 9), "week") == 2  # Sun, then Mon
    assert bucket_count(date(2024, 1, 31), date(2024, 3, 1), "month") == 2
    assert bucket_count(date(2024, 3, 31), date(2024, 4, 2), "quarter") == 2
    assert bucket_count(date(2024, 12, 31), date(2025, 1, 2), "year") == 2
