"""The dashboard's filters, read from and written back to the URL so a view can be shared.

Query parameters (all optional):

- ``range``: a preset — ``last7``, ``last30`` (default), ``last90``, ``this_month``,
  ``last_month``, ``this_quarter``, ``last_quarter``, ``all``. Presets count back from the
  **latest date in the data** (the anchor), not from today: a store loaded last month, or the
  demo, still opens on a full view.
- ``from`` and ``to``: local dates, both **inclusive** (people read "1–31 Oct" as including the
  31st), used when ``range`` is ``custom`` or absent. The library's ``to`` is exclusive, so
  ``end`` is ``to + 1``. A preset ignores them, so the form can always show the dates.
- ``grain``: ``auto`` (default: day up to 45 days, week up to 6 months, month up to 2 years,
  then quarter), ``day``, ``week``, ``month``, ``quarter``.
- ``channel``, ``team``, ``agent``, ``priority``, ``segment``: one value each; drill-down links
  may also set ``sla_policy``, ``sla_target`` and ``queue``.
- ``bh=1``: durations in business hours.

Every bad value raises :class:`~supportkpi.errors.InputError` with one sentence, shown in the
page above the filter bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from supportkpi.engine.periods import GRAINS, bucket_start, next_bucket
from supportkpi.errors import InputError
from supportkpi.metrics.registry import TICKET_DIMENSIONS

FILTER_DIMENSIONS = TICKET_DIMENSIONS
#: Dimensions only a drill-down link sets (a bar of SLA compliance by policy, calls by queue).
DRILL_DIMENSIONS = ("sla_policy", "sla_target", "queue")
ALL_DIMENSIONS = FILTER_DIMENSIONS + DRILL_DIMENSIONS
PRESETS: dict[str, str] = {
    "last7": "Last 7 days",
    "last30": "Last 30 days",
    "last90": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_quarter": "Last quarter",
    "all": "All data",
}
DEFAULT_PRESET = "last30"
GRAIN_CHOICES = ("auto", "day", "week", "month", "quarter")
#: Longest range a filter may ask for; keeps a day grain from asking for decades of buckets.
MAX_RANGE_DAYS = 366 * 20
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class DashboardFilters:
    """One view's filters: a local date range ``[start, end)``, a grain and dimension values."""

    start: date
    end: date  # exclusive
    grain: str
    grain_choice: str  # what the URL asked for ("auto" or a grain)
    preset: str | None  # None when the range came from from/to
    where: tuple[tuple[str, str], ...]
    business_hours: bool

    @property
    def last_day(self) -> date:
        """The inclusive end, as shown to people."""
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> tuple[date, date]:
        """The period of equal length just before this one, ``[start - days, start)``."""
        return self.start - timedelta(days=self.days), self.start

    def where_dict(self, dimensions: Sequence[str] | None = None) -> dict[str, list[str]]:
        """The filters as ``Connection.kpi`` takes them, limited to ``dimensions`` if given."""
        return {
            dim: [value] for dim, value in self.where if dimensions is None or dim in dimensions
        }

    def unsupported(self, dimensions: Sequence[str]) -> list[str]:
        """The filtered dimensions a metric with ``dimensions`` cannot be split by."""
        return [dim for dim, _ in self.where if dim not in dimensions]

    def value(self, dim: str) -> str:
        return dict(self.where).get(dim, "")

    def params(self) -> dict[str, str]:
        """The URL parameters that reproduce this view (presets stay presets)."""
        out: dict[str, str] = {}
        if self.preset:
            out["range"] = self.preset
        else:
            out["range"] = "custom"
            out["from"] = self.start.isoformat()
            out["to"] = self.last_day.isoformat()
        if self.grain_choice != "auto":
            out["grain"] = self.grain_choice
        out.update(dict(self.where))
        if self.business_hours:
            out["bh"] = "1"
        return out

    def url(self, path: str, **extra: Any) -> str:
        """``path`` with these filters and ``extra`` parameters (``None`` drops a key)."""
        params: dict[str, Any] = {**self.params(), **extra}
        query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
        return f"{path}?{query}" if query else path

    def with_where(self, **values: str | None) -> DashboardFilters:
        """A copy with some dimension filters set (or removed with ``None``)."""
        where = dict(self.where)
        for dim, value in values.items():
            if value is None:
                where.pop(dim, None)
            else:
                where[dim] = value
        ordered = tuple((d, where[d]) for d in ALL_DIMENSIONS if d in where)
        return replace(self, where=ordered)

    def describe(self) -> str:
        """``"1 Oct 2026 – 31 Oct 2026, by day, channel = email"`` for captions."""
        parts = [f"{_day(self.start)} – {_day(self.last_day)}", f"by {self.grain}"]
        parts += [f"{dim} = {value}" for dim, value in self.where]
        if self.business_hours:
            parts.append("business hours")
        return ", ".join(parts)


def parse_filters(params: Mapping[str, str], anchor: date, first: date) -> DashboardFilters:
    """Read the filters of a request; ``anchor`` is the latest and ``first`` the earliest data."""
    preset = params.get("range", "") or None
    start_text, to_text = params.get("from", ""), params.get("to", "")
    if preset in (None, "custom") and (start_text or to_text):
        start = _date(start_text, "from") if start_text else first
        last = _date(to_text, "to") if to_text else anchor
        preset = None
    else:
        preset = DEFAULT_PRESET if preset in (None, "custom") else preset
        if preset not in PRESETS:
            choices = ", ".join([*PRESETS, "custom"])
            raise InputError(f"unknown date range {preset!r}; use one of {choices}")
        start, last = preset_range(preset, anchor, first)
    if last < start:
        raise InputError(
            f"the date range ends ({last.isoformat()}) before it starts ({start.isoformat()})"
        )
    end = last + timedelta(days=1)
    if (end - start).days > MAX_RANGE_DAYS:
        raise InputError(f"the date range is longer than {MAX_RANGE_DAYS // 366} years")
    grain_choice = params.get("grain", "") or "auto"
    if grain_choice not in GRAIN_CHOICES:
        raise InputError(f"unknown grain {grain_choice!r}; use one of {', '.join(GRAIN_CHOICES)}")
    grain = auto_grain((end - start).days) if grain_choice == "auto" else grain_choice
    where = tuple((dim, params[dim]) for dim in ALL_DIMENSIONS if params.get(dim))
    for dim, value in where:
        if len(value) > 200 or any(ord(c) < 32 for c in value):
            raise InputError(f"the {dim} filter is not a plausible {dim} name")
    bh_text = params.get("bh", "").lower()
    if bh_text and bh_text not in (*_TRUE, "0", "false", "no", "off"):
        raise InputError(f"business hours must be on or off (bh=1 or bh=0), got {bh_text!r}")
    return DashboardFilters(
        start=start,
        end=end,
        grain=grain,
        grain_choice=grain_choice,
        preset=preset,
        where=where,
        business_hours=bh_text in _TRUE,
    )


def preset_range(preset: str, anchor: date, first: date) -> tuple[date, date]:
    """The inclusive local dates ``(start, last)`` of a preset ending on ``anchor``'s data."""
    if preset.startswith("last") and preset[4:].isdigit():
        return anchor - timedelta(days=int(preset[4:]) - 1), anchor
    if preset == "this_month":
        return anchor.replace(day=1), anchor
    if preset == "last_month":
        this_month = anchor.replace(day=1)
        return (this_month - timedelta(days=1)).replace(day=1), this_month - timedelta(days=1)
    if preset == "this_quarter":
        return bucket_start(anchor, "quarter"), anchor
    if preset == "last_quarter":
        this_quarter = bucket_start(anchor, "quarter")
        previous = bucket_start(this_quarter - timedelta(days=1), "quarter")
        return previous, this_quarter - timedelta(days=1)
    if preset == "all":
        return min(first, anchor), anchor
    raise InputError(f"unknown date range {preset!r}; use one of {', '.join(PRESETS)}")


def auto_grain(days: int) -> str:
    """A grain that gives a readable number of points for a range of ``days``."""
    if days <= 45:
        return "day"
    if days <= 183:
        return "week"
    if days <= 731:
        return "month"
    return "quarter"


def period_end(period: date, grain: str) -> date:
    """The exclusive end of the bucket starting at ``period``."""
    if grain not in GRAINS:
        raise InputError(f"unknown grain {grain!r}")
    return next_bucket(period, grain)


def _date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"invalid {what!r} date {text!r}; use YYYY-MM-DD") from None


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"
