"""Human formatting of KPI values: durations as "1h 12m", rates as percentages."""

from __future__ import annotations

import math

from supportkpi.metrics.registry import Unit


def humanize_seconds(seconds: float | None) -> str:
    """``4320`` → ``"1h 12m"``; ``None`` → ``"–"``.

    >>> humanize_seconds(4320)
    '1h 12m'
    >>> humanize_seconds(42)
    '42s'
    >>> humanize_seconds(200000)
    '2d 7h'
    """
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    s = round(float(seconds))
    sign = "-" if s < 0 else ""
    s = abs(s)
    days, rem = divmod(s, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes}m" if minutes else f"{sign}{hours}h"
    if minutes:
        return f"{sign}{minutes}m {secs}s" if minutes < 10 and secs else f"{sign}{minutes}m"
    return f"{sign}{secs}s"


def format_value(value: float | None, unit: Unit | str, stat: str | None = None) -> str:
    """Render a KPI value for people, by its unit (a ``count`` stat is always a count).

    >>> format_value(0.8234, Unit.RATIO)
    '82.3%'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if stat == "count":
        return f"{value:,.0f}"
    unit = Unit(unit)
    if unit is Unit.SECONDS:
        return humanize_seconds(value)
    if unit is Unit.RATIO:
        return f"{value * 100:.1f}%"
    if unit is Unit.COUNT:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if unit is Unit.MONEY:
        return f"{value:,.2f}"
    if unit is Unit.NPS:
        return f"{value:+.1f}"
    return f"{value:,.2f}"
