"""Golden cases written from SPEC §7's example config exactly, on DuckDB and PySpark.

The example sets ``timezone = "Europe/Berlin"`` at the top and gives ``[business_hours]`` no
timezone of its own, so the schedule is read in Berlin time: Mon/Wed/Thu/Fri 09:00-17:00,
Tue 09:00-12:00 and 13:00-17:00, German holidays and 24 Dec 2024 closed. The ``urgent`` policy
(priority urgent) has a 1 h first response, 2 h next response and 8 h resolution, in business
time. Berlin is UTC+1 (CET) in winter and UTC+2 (CEST) from 31 Mar to 27 Oct 2024.

Each case also says what the old reading (the schedule in UTC) gave, so that it is visible why
the case fails on that bug.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from kpi_support import ENGINES, make_source, ticket, tickets_frame
from test_business_hours import SPEC_EXAMPLE

import supportkpi
from supportkpi.config.settings import parse_settings

# (ticket, priority, first response interval in UTC, business seconds, UTC-reading seconds)
CASES = [
    # Tue 16 Jan 11:30 -> 13:30 CET over the 12-13 lunch break: 30 + 30 min.
    ("lunch_winter", "urgent", "2024-01-16 10:30", "2024-01-16 12:30", 3600, 5400),
    # Tue 11 Jun 11:30 -> 13:30 CEST over lunch: 30 + 30 min (UTC reading: 2 h inside 9-12).
    ("lunch_summer", "urgent", "2024-06-11 09:30", "2024-06-11 11:30", 3600, 7200),
    # Wed 17 Jan 08:00 -> 09:30 CET: opens at 09:00, 30 min (UTC reading: before opening, 0).
    ("morning", "urgent", "2024-01-17 07:00", "2024-01-17 08:30", 1800, 0),
    # Wed 17 Jan 16:00 CET -> Thu 18 Jan 09:30 CET: 60 + 30 min (UTC reading: 120 + 0).
    ("overnight", "urgent", "2024-01-17 15:00", "2024-01-18 08:30", 5400, 7200),
    # Mon 23 Dec 16:00 CET -> Fri 27 Dec 10:00 CET: 24 Dec listed, 25/26 Dec German holidays;
    # 1 h Monday + 1 h Friday (UTC reading: Mon 15-17 UTC 2 h + Fri 09-09 UTC 0).
    ("christmas", "normal", "2024-12-23 15:00", "2024-12-27 09:00", 7200, 7200),
]


def _tables() -> dict[str, pd.DataFrame]:
    rows = [
        ticket(tid, start, priority=priority, first_response_at=end)
        for tid, priority, start, end, _, _ in CASES
    ]
    return {"tickets": tickets_frame(rows)}


@pytest.fixture(scope="module", params=ENGINES)
def con(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp(f"spec7-{request.param}")
    source = make_source(folder, _tables(), request.param)
    settings = parse_settings(tomllib.loads(SPEC_EXAMPLE))
    connection = supportkpi.connect(source, engine=request.param, config=settings)
    yield connection
    connection.close()


def test_schedule_takes_the_top_level_timezone() -> None:
    settings = parse_settings(tomllib.loads(SPEC_EXAMPLE))
    assert settings.business_hours is not None
    assert settings.business_hours.default.timezone == "Europe/Berlin"


def test_own_timezone_wins_and_teams_inherit_the_default() -> None:
    raw = tomllib.loads(SPEC_EXAMPLE)
    raw["business_hours"]["teams"] = {"ny": {"timezone": "America/New_York"}, "de": {}}
    hours = parse_settings(raw).business_hours
    assert hours is not None
    assert dict(hours.teams)["ny"].timezone == "America/New_York"
    assert dict(hours.teams)["de"].timezone == "Europe/Berlin"
    raw["business_hours"]["timezone"] = "Asia/Tokyo"
    hours = parse_settings(raw).business_hours
    assert hours is not None
    assert hours.default.timezone == "Asia/Tokyo"
    assert dict(hours.teams)["de"].timezone == "Asia/Tokyo"


def test_business_first_response_in_berlin_time(con: supportkpi.api.Connection) -> None:
    page = con.rows_behind("first_response_time", business_hours=True, page_size=100)
    got = dict(zip(page.rows["ticket_id"], page.rows["value"], strict=True))
    assert got == {tid: float(seconds) for tid, _, _, _, seconds, _ in CASES}


def test_business_sla_first_response_in_berlin_time(con: supportkpi.api.Connection) -> None:
    result = con.kpi(["sla_compliance"], by=["sla_target"], start="2024-01-01", end="2024-07-01")
    got = {r["sla_target"]: (r["value"], r["n"]) for r in result.to_dict("records")}
    # Urgent tickets of the first half of 2024: lunch_winter (60 min) and lunch_summer (60 min)
    # and morning (30 min) met the 1 h target, overnight (90 min) breached it: 3 of 4. Read in
    # UTC it was 1 of 4 (90, 120 and 120 min breached).
    assert got["first_response"] == (pytest.approx(3 / 4), 4)
