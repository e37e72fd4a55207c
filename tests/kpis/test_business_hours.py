"""Business-time durations: golden cases computed by hand, on DuckDB and PySpark.

Default schedule (Europe/Berlin, German holidays, 24 Dec closed): Mon/Wed/Thu/Fri 09:00-17:00,
Tue 09:00-12:00 and 13:00-17:00 (lunch closed). Team "ny": America/New_York, US holidays,
Mon-Fri 09:00-17:00. Team "weekend": Berlin, Sat/Sun 10:00-14:00 only.
Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST, 31 Mar - 27 Oct 2024);
New York is UTC-5 (EST) and UTC-4 (EDT, 10 Mar - 3 Nov 2024).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kpi_support import ENGINES, make_source, ticket, tickets_frame

import supportkpi
from supportkpi.calendar.business import calendar_frame
from supportkpi.calendar.schedule import Schedule, parse_interval
from supportkpi.config.settings import parse_settings
from supportkpi.errors import ConfigError

CONFIG = {
    "timezone": "Europe/Berlin",
    "business_hours": {
        "timezone": "Europe/Berlin",
        "holidays_country": "DE",
        "holidays": ["2024-12-24"],
        "week": {
            "mon": ["09:00-17:00"],
            "tue": ["09:00-12:00", "13:00-17:00"],
            "wed": ["09:00-17:00"],
            "thu": ["09:00-17:00"],
            "fri": ["09:00-17:00"],
        },
        "teams": {
            "ny": {
                "timezone": "America/New_York",
                "holidays_country": "US",
                "holidays": [],
                "week": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            },
            "weekend": {"week": {"sat": ["10:00-14:00"], "sun": ["10:00-14:00"]}},
        },
    },
}

# (ticket, team, start UTC, end UTC, expected business seconds, why)
CASES = [
    # Fri 12 Jan 16:55 CET -> Mon 15 Jan 09:05 CET: 5 min Friday + 5 min Monday.
    ("weekend", None, "2024-01-12 15:55", "2024-01-15 08:05", 600),
    # Tue 30 Apr 16:00 CEST -> Thu 2 May 10:00 CEST; 1 May (Labour Day) closed: 1 h + 1 h.
    ("holiday", None, "2024-04-30 14:00", "2024-05-02 08:00", 7200),
    # Mon 23 Dec 16:30 -> Fri 27 Dec 09:30 CET: 24 Dec listed, 25/26 Dec holidays: 30 + 30 min.
    ("extra_date", None, "2024-12-23 15:30", "2024-12-27 08:30", 3600),
    # Tue 16 Jan 11:30 -> 13:30 CET, lunch 12-13 closed: 30 + 30 min.
    ("split_shift", None, "2024-01-16 10:30", "2024-01-16 12:30", 3600),
    # Thu 28 Mar 16:00 CET -> Tue 2 Apr 10:00 CEST (spring change 31 Mar; Good Friday and
    # Easter Monday closed): 1 h Thursday + 1 h Tuesday. Fixed offsets would give 0 or 2 h off.
    ("berlin_spring", None, "2024-03-28 15:00", "2024-04-02 08:00", 7200),
    # Fri 25 Oct 16:00 CEST -> Mon 28 Oct 10:00 CET (autumn change 27 Oct): 1 h + 1 h.
    ("berlin_autumn", None, "2024-10-25 14:00", "2024-10-28 09:00", 7200),
    # New York: Fri 8 Mar 16:00 EST -> Mon 11 Mar 10:00 EDT (spring change 10 Mar): 1 h + 1 h.
    ("ny_spring", "ny", "2024-03-08 21:00", "2024-03-11 14:00", 7200),
    # Fri 1 Nov 16:00 EDT -> Mon 4 Nov 10:00 EST (autumn change 3 Nov): 1 h + 1 h.
    ("ny_autumn", "ny", "2024-11-01 20:00", "2024-11-04 15:00", 7200),
    # Wed 17 Jan 10:00 -> 10:45 CET, inside one interval: 45 min.
    ("inside", None, "2024-01-17 09:00", "2024-01-17 09:45", 2700),
    # Wed 17 Jan 18:00 -> 20:00 CET, after closing: zero.
    ("after_hours", None, "2024-01-17 17:00", "2024-01-17 19:00", 0),
    # Wed 17 Jan 06:00 -> 08:00 CET, before opening: zero.
    ("before_hours", None, "2024-01-17 05:00", "2024-01-17 07:00", 0),
    # Team "weekend" (Sat 10-14 Berlin): Sat 13 Jan 09:00 -> 13:00 CET = 3 h (default: 0).
    ("team_override", "weekend", "2024-01-13 08:00", "2024-01-13 12:00", 10800),
    # The same span on the default schedule is closed (Saturday): zero.
    ("team_default", None, "2024-01-13 08:00", "2024-01-13 12:00", 0),
]


def _tables() -> dict[str, pd.DataFrame]:
    rows = [
        ticket(tid, start, team=team, first_response_at=end, solved_at=end)
        for tid, team, start, end, _ in CASES
    ]
    return {"tickets": tickets_frame(rows)}


@pytest.fixture(scope="module", params=ENGINES)
def con(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp(f"bh-{request.param}")
    source = make_source(folder, _tables(), request.param)
    connection = supportkpi.connect(source, engine=request.param, config=parse_settings(CONFIG))
    yield connection
    connection.close()


def test_business_first_response_per_ticket(con: supportkpi.api.Connection) -> None:
    page = con.rows_behind("first_response_time", business_hours=True, page_size=100)
    got = dict(zip(page.rows["ticket_id"], page.rows["value"], strict=True))
    expected = {tid: float(seconds) for tid, _, _, _, seconds in CASES}
    assert got == expected


def test_business_resolution_median_and_calendar_time(con: supportkpi.api.Connection) -> None:
    business = con.kpi(["resolution_time:median"], business_hours=True)
    # Sorted: 0 0 0 0 600 2700 3600 3600 7200 7200 7200 7200 10800 -> median (7th) 3600.
    assert business["value"].tolist() == [3600.0]
    calendar = con.kpi(["resolution_time:sum"])
    # Calendar time is much longer than business time for the same tickets.
    assert calendar["value"].iloc[0] > 10 * 3600


def test_business_hours_need_a_schedule(tmp_path: Path) -> None:
    source = make_source(tmp_path, _tables(), "duckdb")
    with supportkpi.connect(source) as plain, pytest.raises(Exception, match="business_hours"):
        plain.kpi(["first_response_time"], business_hours=True)


def test_calendar_table_cumulates_business_seconds() -> None:
    # Mon-Fri 09:00-17:00 UTC, no holidays: the day after a weekday holds 8 h more.
    week = tuple(((540, 1020),) if d < 5 else () for d in range(7))
    frame = calendar_frame("t", Schedule("UTC", week)).set_index("utc_day")
    monday = (pd.Timestamp("2024-01-15") - pd.Timestamp("1970-01-01")).days
    assert frame.loc[monday + 1, "cum"] - frame.loc[monday, "cum"] == 8 * 3600
    assert frame.loc[monday + 6, "cum"] - frame.loc[monday + 5, "cum"] == 0  # Saturday


def test_interval_parsing() -> None:
    assert parse_interval("09:00-17:30") == (540, 1050)
    assert parse_interval("00:00-24:00") == (0, 1440)
    for bad in ("9-17", "17:00-09:00", "25:00-26:00", "09:00-09:00"):
        with pytest.raises(ValueError):
            parse_interval(bad)


def test_config_lists_every_problem_at_once() -> None:
    raw = {
        "timezone": "Mars/Base",
        "business_hours": {
            "week": {
                "mon": ["09:00-12:00", "11:00-13:00"],
                "tue": ["9-5"],
                "funday": ["09:00-10:00"],
            },
            "holidays": ["not-a-date"],
        },
        "sla": [{"name": "urgent", "first_response": "1hx", "business_hours": True}],
        "targets": {"no_such_metric": "<= 1h", "first_response_time:median": "about 1h"},
        "options": {"fcr": "sometimes", "bogus": 1},
        "colour": "blue",
    }
    with pytest.raises(ConfigError) as info:
        parse_settings(raw)
    problems = "\n".join(info.value.problems)
    for expected in (
        "colour: unknown setting",
        "timezone: unknown timezone 'Mars/Base'",
        "business_hours.week.mon: intervals overlap (09:00-12:00 and 11:00-13:00)",
        "business_hours.week.tue: '9-5' is not an interval",
        "business_hours.week.funday: unknown day",
        "business_hours.holidays: 'not-a-date' is not a date",
        "sla.urgent.first_response: '1hx' is not a duration",
        "targets.no_such_metric: unknown metric",
        "targets.first_response_time:median: 'about 1h' is not a bound",
        "options.fcr: 'sometimes' is not one of",
        "options.bogus: unknown option",
    ):
        assert expected in problems, f"missing problem: {expected}\n{problems}"


# SPEC §7's example config, verbatim.
SPEC_EXAMPLE = """
timezone = "Europe/Berlin"            # report timezone (default UTC)

[business_hours]                      # the default schedule
holidays_country = "DE"               # country calendar of the `holidays` package
holidays = ["2024-12-24"]             # extra closed dates
[business_hours.week]                 # several intervals a day allowed; missing day = closed
mon = ["09:00-17:00"]
tue = ["09:00-12:00", "13:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
# [business_hours.teams.<team>] overrides the schedule (and timezone) for one team

[[sla]]                               # first matching policy applies
name = "urgent"
priority = ["urgent"]                 # also: segment = [...], channel = [...]
first_response = "1h"
next_response = "2h"
resolution = "8h"
business_hours = true

[targets]
"first_response_time:median" = "<= 1h"
csat = ">= 0.85"

[options]
fcr = "one_touch"                     # or "zendesk", "no_customer_followup"
repeat_contact_days = 7
short_abandon_s = 5
service_level_s = 20
csat_satisfied_min = 4
"""


def test_spec_example_config_parses(tmp_path: Path) -> None:
    from supportkpi.config.settings import load_settings

    path = tmp_path / "spec.toml"
    path.write_text(SPEC_EXAMPLE)
    settings = load_settings(path)
    assert settings.timezone == "Europe/Berlin"
    assert settings.business_hours is not None
    assert settings.business_hours.default.week[1] == ((540, 720), (780, 1020))  # Tuesday
    (urgent,) = settings.sla
    assert urgent.targets == {"first_response": 3600, "next_response": 7200, "resolution": 28800}
    assert [(t.selector, t.op, t.threshold) for t in settings.targets] == [
        ("first_response_time:median", "<=", 3600.0),
        ("csat", ">=", 0.85),
    ]
    assert settings.options.fcr == "one_touch" and settings.options.service_level_s == 20


def test_repo_example_config_parses() -> None:
    from supportkpi.config.settings import load_settings

    root = Path(__file__).resolve().parents[2]
    settings = load_settings(root / "examples" / "config" / "supportkpi.toml")
    assert [p.name for p in settings.sla] == ["urgent", "enterprise", "standard"]
