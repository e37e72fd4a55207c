"""Vega-Lite specs as plain dicts, with the data inline (the page fetches nothing).

Each datum carries ``shown`` (the humanized value for tooltips) and, where a bar or point
stands for tickets, ``drill`` (the URL of the rows behind it); ``dashboard.js`` opens it on a
click. Durations are plotted in the largest unit that keeps numbers readable (minutes, hours,
days) and the axis says which.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched
#: Colour-blind-safe categorical colours (Okabe–Ito), dark enough on white.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
CONFIG: dict[str, Any] = {
    "font": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
    "view": {"stroke": None},
    "axis": {
        "labelColor": "#333",
        "titleColor": "#333",
        "gridColor": "#e6e6e6",
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
    },
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
    "range": {"category": PALETTE},
    "line": {"strokeWidth": 2},
    "bar": {"color": PALETTE[0]},
    "point": {"filled": True, "size": 40},
}
DURATION_UNITS = ((86400.0, "days"), (3600.0, "hours"), (60.0, "minutes"), (1.0, "seconds"))


def value_scale(unit: str, values: Sequence[float | None]) -> tuple[float, str | None, str]:
    """``(divisor, axis format, axis suffix)`` for plotting ``values`` of ``unit``."""
    if unit == "seconds":
        top = max((abs(v) for v in values if v is not None and _finite(v)), default=0.0)
        for divisor, name in DURATION_UNITS:
            if top >= 2 * divisor or divisor == 1.0:
                return divisor, None, name
    if unit == "ratio":
        return 1.0, ".2~%", ""  # "~" drops trailing zeros: 80%, 99.9%
    if unit == "money":
        return 1.0, ",.0f", ""
    return 1.0, None, ""


def _base(description: str, height: int) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": "container",
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": CONFIG,
    }


def _y(title: str, axis_format: str | None, field: str = "y") -> dict[str, Any]:
    axis: dict[str, Any] = {"title": title, "tickCount": 5}
    if axis_format:
        axis["format"] = axis_format
    return {"field": field, "type": "quantitative", "axis": axis}


def _period_x(grain: str) -> dict[str, Any]:
    fmt = {"day": "%d %b", "week": "%d %b", "month": "%b %Y", "quarter": "%b %Y"}.get(grain, "%Y")
    return {
        "field": "period",
        "type": "temporal",
        "title": None,
        "axis": {"format": fmt, "labelOverlap": True, "grid": False},
    }


def _tooltip(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [*extra, {"field": "shown", "title": "value"}]


def sparkline(points: list[dict[str, Any]], description: str) -> dict[str, Any]:
    """A small line without axes; ``points`` have ``period``, ``y`` and ``shown``."""
    spec = _base(description, 36)
    spec["data"] = {"values": points}
    spec["padding"] = {"top": 4, "bottom": 4, "left": 2, "right": 2}
    spec["mark"] = {
        "type": "line",
        "interpolate": "linear",
        "strokeWidth": 1.5,
        "color": "#0072B2",
        "point": False,
    }
    spec["encoding"] = {
        "x": {"field": "period", "type": "temporal", "axis": None},
        "y": {"field": "y", "type": "quantitative", "axis": None, "scale": {"zero": False}},
        "tooltip": [
            {"field": "period", "type": "temporal", "title": "period"},
            {"field": "shown", "title": "value"},
        ],
    }
    return spec


def trend(
    data: list[dict[str, Any]],
    grain: str,
    y_title: str,
    axis_format: str | None,
    description: str,
    interval: bool = False,
    height: int = 240,
    zero: bool = True,
) -> dict[str, Any]:
    """Lines over periods, one per ``series``; with ``interval``, a band from ``lo`` to ``hi``.

    ``zero=False`` lets the axis start near the data (rates that move within a few points).
    """
    spec = _base(description, height)
    spec["data"] = {"values": data}
    colour: dict[str, Any] = {"field": "series", "type": "nominal", "title": None}
    if len({d.get("series") for d in data}) <= 1:
        colour["legend"] = None  # the caption names the one series
    y = _y(y_title, axis_format)
    if zero is False:
        y["scale"] = {"zero": False}
    line: dict[str, Any] = {
        "mark": {"type": "line", "point": True, "interpolate": "linear"},
        "encoding": {
            "x": _period_x(grain),
            "y": y,
            "color": colour,
            "tooltip": _tooltip(
                {"field": "series", "title": "KPI"},
                {"field": "period", "type": "temporal", "title": "period"},
                {"field": "n", "title": "n", "format": ","},
            ),
        },
    }
    layers = [line]
    if interval:
        band = {
            "mark": {"type": "area", "opacity": 0.18, "interpolate": "linear"},
            "encoding": {
                "x": _period_x(grain),
                "y": {"field": "lo", "type": "quantitative"},
                "y2": {"field": "hi"},
                "color": colour,
            },
        }
        layers.insert(0, band)
    spec["layer"] = layers
    return spec


def bars(
    data: list[dict[str, Any]],
    category: str,
    y_title: str,
    axis_format: str | None,
    description: str,
    horizontal: bool = False,
    sort: Sequence[str] | None = None,
    height: int = 240,
) -> dict[str, Any]:
    """One bar per ``category`` value; data have ``category``, ``y``, ``shown`` and ``drill``."""
    spec = _base(description, height)
    spec["data"] = {"values": data}
    cat = {
        "field": "category",
        "type": "nominal",
        "title": category,
        "sort": list(sort) if sort else ("-x" if horizontal else "-y"),
    }
    val = _y(y_title, axis_format)
    spec["mark"] = {"type": "bar", "cursor": "pointer", "cornerRadiusEnd": 2}
    spec["encoding"] = {
        "x": val if horizontal else {**cat, "axis": {"labelAngle": 0, "labelLimit": 90}},
        "y": cat if horizontal else val,
        "tooltip": _tooltip({"field": "category", "title": category}),
    }
    return spec


def stacked_bars(
    data: list[dict[str, Any]],
    grain: str,
    colour_title: str,
    y_title: str,
    description: str,
    height: int = 260,
) -> dict[str, Any]:
    """Bars per period stacked by ``series``; each segment drills to its own rows."""
    spec = _base(description, height)
    spec["data"] = {"values": data}
    spec["mark"] = {"type": "bar", "cursor": "pointer"}
    spec["encoding"] = {
        "x": {**_period_x(grain), "timeUnit": _time_unit(grain), "bandPosition": 0.5},
        "y": _y(y_title, None),
        "color": {"field": "series", "type": "nominal", "title": colour_title},
        "tooltip": _tooltip(
            {"field": "series", "title": colour_title},
            {"field": "period", "type": "temporal", "title": "period"},
        ),
    }
    return spec


def ranges(
    data: list[dict[str, Any]], x_title: str, description: str, height: int = 220
) -> dict[str, Any]:
    """Per category: a bar from p25 to p75, a tick at the median, a line to p90."""
    spec = _base(description, height)
    spec["data"] = {"values": data}
    y = {"field": "category", "type": "nominal", "title": None, "sort": None}
    x_axis = {"title": x_title}
    spec["layer"] = [
        {
            "mark": {"type": "rule", "color": "#777"},
            "encoding": {
                "y": y,
                "x": {"field": "p25", "type": "quantitative", "axis": x_axis},
                "x2": {"field": "p90"},
            },
        },
        {
            "mark": {"type": "bar", "height": 14, "color": "#9ecae1", "cursor": "pointer"},
            "encoding": {
                "y": y,
                "x": {"field": "p25", "type": "quantitative"},
                "x2": {"field": "p75"},
                "tooltip": [
                    {"field": "category", "title": "group"},
                    {"field": "p25_shown", "title": "p25"},
                    {"field": "median_shown", "title": "median"},
                    {"field": "p75_shown", "title": "p75"},
                    {"field": "p90_shown", "title": "p90"},
                ],
            },
        },
        {
            "mark": {"type": "tick", "color": "#08306b", "thickness": 3, "size": 18},
            "encoding": {"y": y, "x": {"field": "median", "type": "quantitative"}},
        },
    ]
    return spec


def interval_dots(
    data: list[dict[str, Any]],
    category_title: str,
    x_title: str,
    axis_format: str | None,
    description: str,
    reference: float | None = None,
) -> dict[str, Any]:
    """A dot per category with its 95% interval as a line, sorted by the data's order."""
    spec = _base(description, max(120, 22 * len(data) + 40))
    spec["data"] = {"values": data}
    y = {"field": "category", "type": "nominal", "title": category_title, "sort": None}
    axis: dict[str, Any] = {"title": x_title}
    if axis_format:
        axis["format"] = axis_format
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "rule", "color": "#6b8fb5"},
            "encoding": {
                "y": y,
                "x": {
                    "field": "lo",
                    "type": "quantitative",
                    "axis": axis,
                    "scale": {"zero": False},
                },
                "x2": {"field": "hi"},
            },
        },
        {
            "mark": {
                "type": "point",
                "filled": True,
                "size": 60,
                "color": "#0072B2",
                "cursor": "pointer",
            },
            "encoding": {
                "y": y,
                "x": {"field": "y", "type": "quantitative"},
                "tooltip": [
                    {"field": "category", "title": category_title},
                    {"field": "shown", "title": "value"},
                    {"field": "interval", "title": "95% interval"},
                    {"field": "n", "title": "n", "format": ","},
                ],
            },
        },
    ]
    if reference is not None:
        layers.append(
            {
                "data": {"values": [{"ref": reference}]},
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#D55E00"},
                "encoding": {"x": {"field": "ref", "type": "quantitative"}},
            }
        )
    spec["layer"] = layers
    return spec


def scatter(
    data: list[dict[str, Any]],
    x_title: str,
    y_title: str,
    description: str,
    tooltip: list[dict[str, Any]],
    height: int = 320,
) -> dict[str, Any]:
    """Points ``x``, ``y`` coloured by ``series`` on square-root scales (costs are skewed)."""
    spec = _base(description, height)
    spec["data"] = {"values": data}
    spec["mark"] = {"type": "point", "filled": True, "opacity": 0.55, "size": 28}
    spec["encoding"] = {
        "x": {"field": "x", "type": "quantitative", "title": x_title, "scale": {"type": "sqrt"}},
        "y": {"field": "y", "type": "quantitative", "title": y_title, "scale": {"type": "sqrt"}},
        "color": {"field": "series", "type": "nominal", "title": "segment"},
        "tooltip": tooltip,
    }
    return spec


def heatmap(
    data: list[dict[str, Any]], x_order: Sequence[str], description: str, height: int = 420
) -> dict[str, Any]:
    """A grid of ``x`` (weekday) × ``y`` (interval start) coloured by ``value``."""
    spec = _base(description, height)
    spec["data"] = {"values": data}
    spec["mark"] = {"type": "rect"}
    spec["encoding"] = {
        "x": {
            "field": "x",
            "type": "ordinal",
            "sort": list(x_order),
            "title": None,
            "axis": {"labelAngle": 0, "orient": "top"},
        },
        "y": {
            "field": "y",
            "type": "ordinal",
            "title": "interval start",
            "axis": {"labelOverlap": True},
        },
        "color": {
            "field": "value",
            "type": "quantitative",
            "title": "agents",
            "scale": {"scheme": "blues"},
        },
        "tooltip": [
            {"field": "x", "title": "day"},
            {"field": "y", "title": "interval"},
            {"field": "value", "title": "agents"},
        ],
    }
    return spec


def _time_unit(grain: str) -> str:
    return {
        "day": "yearmonthdate",
        "week": "yearmonthdate",
        "month": "yearmonth",
        "quarter": "yearquarter",
    }.get(grain, "year")


def _finite(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
