"""Business-hours schedules from the config's ``[business_hours]`` section (SPEC §7).

A schedule is a weekly set of opening intervals (several a day allowed) in an IANA timezone,
minus holidays: a ``holidays`` package country calendar plus listed dates. Teams can override
the default schedule under ``[business_hours.teams.<team>]``; keys they leave out are inherited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

import holidays as holiday_calendars

from supportkpi.engine.periods import zone
from supportkpi.errors import ConfigError, SupportKpiError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: At most this many intervals a day; keeps the per-day calendar table a fixed width.
MAX_INTERVALS_PER_DAY = 4
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Schedule:
    """One weekly schedule: ``week[weekday]`` lists ``(start_min, end_min)`` local minutes."""

    timezone: str = "UTC"
    week: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    def closed_dates(self, years: range) -> set[date]:
        """Holidays of the country calendar in ``years`` plus the listed extra dates."""
        closed = set(self.extra_holidays)
        if self.holidays_country:
            calendar = holiday_calendars.country_holidays(
                self.holidays_country, subdiv=self.holidays_subdivision, years=list(years)
            )
            closed.update(calendar.keys())
        return closed


@dataclass(frozen=True)
class BusinessHours:
    """The default schedule and the per-team overrides."""

    default: Schedule
    #: ``(team, schedule)`` pairs; a tuple so that the whole config stays hashable (cached).
    teams: tuple[tuple[str, Schedule], ...] = ()

    @property
    def team_names(self) -> list[str]:
        return [name for name, _ in self.teams]

    @property
    def calendars(self) -> dict[str, Schedule]:
        """Every schedule by calendar id: ``"default"`` and ``"team:<name>"``."""
        return {"default": self.default, **{f"team:{t}": s for t, s in self.teams}}


def parse_interval(text: str) -> tuple[int, int]:
    """``"09:00-17:30"`` → ``(540, 1050)`` minutes; ``24:00`` ends a day."""
    match = _INTERVAL.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an interval like '09:00-17:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60:
        raise ValueError(f"{text!r} is not a valid time of day")
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


def _parse_schedule(
    section: dict[str, Any], where: str, base: Schedule, problems: list[str]
) -> Schedule:
    allowed = {"timezone", "week", "holidays_country", "holidays_subdivision", "holidays", "teams"}
    for key in section:
        if key not in allowed:
            problems.append(f"{where}.{key}: unknown setting")
    tz = str(section.get("timezone", base.timezone))
    try:
        zone(tz)
    except SupportKpiError:
        problems.append(f"{where}.timezone: unknown timezone {tz!r}")
        tz = "UTC"
    week = list(base.week)
    if "week" in section:
        week = [() for _ in WEEKDAYS]
        for day, intervals in dict(section["week"]).items():
            if day not in WEEKDAYS:
                problems.append(f"{where}.week.{day}: unknown day; use {', '.join(WEEKDAYS)}")
                continue
            week[WEEKDAYS.index(day)] = _parse_day(intervals, f"{where}.week.{day}", problems)
    country = section.get("holidays_country", base.holidays_country)
    subdivision = section.get("holidays_subdivision", base.holidays_subdivision)
    if country:
        try:
            holiday_calendars.country_holidays(country, subdiv=subdivision, years=[2024])
        except (NotImplementedError, KeyError, ValueError) as exc:
            problems.append(f"{where}.holidays_country: {country!r} is not supported ({exc})")
            country = None
    extra = set(base.extra_holidays)
    for item in section.get("holidays", []):
        try:
            extra.add(date.fromisoformat(str(item)))
        except ValueError:
            problems.append(f"{where}.holidays: {item!r} is not a date like 2024-12-24")
    return Schedule(tz, tuple(week), country, subdivision, frozenset(extra))


def _parse_day(intervals: Any, where: str, problems: list[str]) -> tuple[tuple[int, int], ...]:
    if isinstance(intervals, str):
        intervals = [intervals]
    parsed: list[tuple[int, int]] = []
    for text in intervals:
        try:
            parsed.append(parse_interval(str(text)))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    parsed.sort()
    for (s1, e1), (s2, e2) in pairwise(parsed):
        if s2 < e1:
            first, second = f"{_hhmm(s1)}-{_hhmm(e1)}", f"{_hhmm(s2)}-{_hhmm(e2)}"
            problems.append(f"{where}: intervals overlap ({first} and {second})")
    if len(parsed) > MAX_INTERVALS_PER_DAY:
        problems.append(f"{where}: at most {MAX_INTERVALS_PER_DAY} intervals a day")
    return tuple(parsed)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_business_hours(
    section: dict[str, Any] | None, problems: list[str], timezone: str = "UTC"
) -> BusinessHours | None:
    """Parse ``[business_hours]``; problems are appended to ``problems`` (never raised here).

    ``timezone`` is the config's top-level (report) timezone: the default schedule is read in it
    unless the section sets its own ``timezone``, and team schedules inherit from the default.
    Reading a schedule in UTC by default would shift every opening interval by the zone's offset
    (SPEC §7: "the default schedule, in the top-level timezone").
    """
    if section is None:
        return None
    default = _parse_schedule(section, "business_hours", Schedule(timezone=timezone), problems)
    teams = tuple(
        (team, _parse_schedule(dict(part), f"business_hours.teams.{team}", default, problems))
        for team, part in dict(section.get("teams", {})).items()
    )
    return BusinessHours(default, teams)


def load_business_hours(section: dict[str, Any], timezone: str = "UTC") -> BusinessHours:
    """Parse a ``[business_hours]`` dict or raise one ConfigError listing every problem."""
    problems: list[str] = []
    hours = parse_business_hours(section, problems, timezone)
    if problems or hours is None:
        raise ConfigError("invalid business hours", problems)
    return hours
