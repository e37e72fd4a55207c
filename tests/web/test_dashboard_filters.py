"""The dashboard's URL filters, presets and number formatting, without a store.

Expected dates are worked out by hand from the anchor (the latest data date), e.g. "last 7
days" ending Saturday 2026-10-31 starts on Sunday 2026-10-25.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from supportkpi.errors import InputError
from supportkpi.metrics.registry import Unit
from supportkpi.web.dashboard.filters import auto_grain, parse_filters, preset_range
from supportkpi.web.dashboard.model import Column, Table, display
from supportkpi.web.dashboard.tiles import format_delta, tone

ANCHOR = date(2026, 10, 31)
FIRST = date(2025, 5, 1)


@pytest.mark.parametrize(
    ("preset", "start", "last"),
    [
        ("last7", date(2026, 10, 25), date(2026, 10, 31)),
        ("last30", date(2026, 10, 2), date(2026, 10, 31)),
        ("last90", date(2026, 8, 3), date(2026, 10, 31)),
        ("this_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("last_month", date(2026, 9, 1), date(2026, 9, 30)),
        ("this_quarter", date(2026, 10, 1), date(2026, 10, 31)),
        ("last_quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("all", FIRST, ANCHOR),
    ],
)
def test_presets_count_back_from_the_latest_data(preset: str, start: date, last: date) -> None:
    assert preset_range(preset, ANCHOR, FIRST) == (start, last)
    f = parse_filters({"range": preset}, ANCHOR, FIRST)
    assert (f.start, f.last_day) == (start, last)
    assert f.end == last + timedelta(days=1)


def test_last_month_across_a_year_boundary() -> None:
    assert preset_range("last_month", date(2026, 1, 15), FIRST) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )
    assert preset_range("last_quarter", date(2026, 2, 1), FIRST) == (
        date(2025, 10, 1),
        date(2025, 12, 31),
    )


def test_the_default_is_the_last_30_days_by_day() -> None:
    f = parse_filters({}, ANCHOR, FIRST)
    assert (f.preset, f.start, f.end, f.grain) == (
        "last30",
        date(2026, 10, 2),
        date(2026, 11, 1),
        "day",
    )


def test_custom_dates_are_inclusive_and_the_previous_period_has_the_same_length() -> None:
    f = parse_filters({"from": "2026-09-01", "to": "2026-09-30"}, ANCHOR, FIRST)
    assert f.preset is None
    assert (f.start, f.end, f.days) == (date(2026, 9, 1), date(2026, 10, 1), 30)
    assert f.previous() == (date(2026, 8, 2), date(2026, 9, 1))
    assert f.grain == "day"


def test_a_preset_wins_over_dates_left_in_the_form() -> None:
    f = parse_filters({"range": "last7", "from": "2025-01-01", "to": "2025-02-01"}, ANCHOR, FIRST)
    assert (f.start, f.last_day) == (date(2026, 10, 25), ANCHOR)
    custom = parse_filters(
        {"range": "custom", "from": "2026-01-05", "to": "2026-01-11"}, ANCHOR, FIRST
    )
    assert (custom.start, custom.last_day) == (date(2026, 1, 5), date(2026, 1, 11))


def test_the_url_round_trips() -> None:
    params = {
        "from": "2026-03-01",
        "to": "2026-05-31",
        "grain": "month",
        "channel": "email",
        "team": "billing",
        "bh": "1",
    }
    f = parse_filters(params, ANCHOR, FIRST)
    assert parse_filters(f.params(), ANCHOR, FIRST) == f
    assert f.where_dict() == {"channel": ["email"], "team": ["billing"]}
    assert f.where_dict(["team", "agent"]) == {"team": ["billing"]}
    assert f.unsupported(["queue", "agent", "team"]) == ["channel"]
    url = f.url("/speed", page=2)
    assert url.startswith("/speed?range=custom&from=2026-03-01&to=2026-05-31&grain=month")
    assert url.endswith("&channel=email&team=billing&bh=1&page=2")


@pytest.mark.parametrize(
    ("days", "grain"),
    [
        (1, "day"),
        (45, "day"),
        (46, "week"),
        (183, "week"),
        (184, "month"),
        (731, "month"),
        (732, "quarter"),
    ],
)
def test_auto_grain(days: int, grain: str) -> None:
    assert auto_grain(days) == grain


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"range": "fortnight"}, "unknown date range 'fortnight'"),
        ({"from": "2026-13-01"}, "invalid 'from' date '2026-13-01'"),
        ({"from": "2026-10-10", "to": "2026-10-01"}, "ends (2026-10-01) before it starts"),
        ({"grain": "hour"}, "unknown grain 'hour'"),
        ({"bh": "maybe"}, "business hours must be on or off"),
        ({"channel": "x\x00y"}, "not a plausible channel"),
    ],
)
def test_bad_filters_are_one_clear_sentence(params: dict[str, str], words: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_filters(params, ANCHOR, FIRST)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("delta", "unit", "stat", "shown"),
    [
        (0.023, Unit.RATIO, None, "+2.3 pts"),
        (-0.1, Unit.RATIO, None, "−10.0 pts"),
        (-720.0, Unit.SECONDS, "median", "−12m"),
        (4320.0, Unit.SECONDS, "median", "+1h 12m"),
        (163.0, Unit.COUNT, None, "+163"),
        (-5.5, Unit.NPS, None, "−5.5"),
        (0.0, Unit.MONEY, None, "±0.00"),
        (None, Unit.RATIO, None, None),
    ],
)
def test_deltas_for_people(delta: float | None, unit: Unit, stat: str | None, shown: str) -> None:
    assert format_delta(delta, unit, stat) == shown


def test_tone_follows_the_good_direction() -> None:
    assert tone(0.02, "higher") == "better"
    assert tone(0.02, "lower") == "worse"
    assert tone(-60.0, "lower") == "better"
    assert tone(5.0, None) == "neutral"
    assert tone(0.0, "higher") == "neutral"


def test_cells_are_humanized_and_the_csv_keeps_raw_values() -> None:
    assert display(4320.0, "seconds") == "1h 12m"
    assert display(0.8234, "ratio") == "82.3%"
    assert display(None, "ratio") == "–"
    assert display(12345.0, "int") == "12,345"
    table = Table(
        "t",
        "T",
        [Column("period", "period", "date"), Column("frt", "FRT", "seconds")],
        [{"period": "2026-10-01", "frt": 4320.0}, {"period": "2026-10-02", "frt": None}],
    )
    assert table.cell(0, table.columns[1]) == "1h 12m"
    assert table.to_csv() == "period,frt\n2026-10-01,4320.0\n2026-10-02,\n"
