"""A report document's charts: the dashboard's own Vega-Lite specs, rendered offline to PNG.

The specs come from :mod:`supportkpi.web.dashboard.charts`, so a chart in a mail or in the
Reports page's preview looks like the one on the dashboard. vl-convert renders them
in-process (its engine and the Vega libraries ship in the wheel): nothing is fetched. A page
sizes the dashboard's charts to their container; a mail has none, so each chart gets a fixed
width here. Delivery (a layer above) draws a mail's charts with this module too.
"""

from __future__ import annotations

from typing import Any

import vl_convert

from supportkpi.metrics.selector import parse_selector
from supportkpi.report.document import ReportDocument, Series
from supportkpi.report.document_html import RenderedChart
from supportkpi.report.format import format_value
from supportkpi.web.dashboard import charts

WIDTH = 560  # pixels; fits the 600-pixel column mail clients expect


def chart_specs(doc: ReportDocument) -> list[tuple[str, str, dict[str, Any]]]:
    """``(id, title, Vega-Lite spec)`` of each chart of the report."""
    out = [(f"trend-{i}", s.title, _trend(s)) for i, s in enumerate(doc.series, 1)]
    b = doc.breakdown
    if b is not None and b.values:
        first = b.metrics[0]
        values = [v for v in b.values if v["metric"] == first and v["value"] is not None]
        if values:
            title = f"{b.titles[0]} by {b.dimension}"
            out.append((f"by-{b.dimension}", title, _bars(first, title, b.dimension, values)))
    return out


def render_charts(doc: ReportDocument, scale: float = 2.0) -> list[RenderedChart]:
    """Every chart as PNG (``scale`` 2 keeps text sharp on high-density screens)."""
    return [
        RenderedChart(cid, title, spec.get("description", title), to_png(spec, scale))
        for cid, title, spec in chart_specs(doc)
    ]


def to_png(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    return bytes(vl_convert.vegalite_to_png(_fixed(spec), scale=scale))


def to_svg(spec: dict[str, Any]) -> str:
    return str(vl_convert.vegalite_to_svg(_fixed(spec)))


def _fixed(spec: dict[str, Any]) -> dict[str, Any]:
    return {**spec, "width": WIDTH, "autosize": {"type": "fit", "contains": "padding"}}


def _trend(series: Series) -> dict[str, Any]:
    values = [p["value"] for p in series.points]
    divisor, axis_format, suffix = charts.value_scale(series.unit, values)
    data = [
        {
            "period": p["period"],
            "series": series.title,
            "y": p["value"] / divisor,
            "n": p["n"],
            "shown": format_value(p["value"], series.unit, _stat(series.metric)),
        }
        for p in series.points
        if p["value"] is not None
    ]
    description = f"Line chart of {series.title} per {series.grain}."
    y_title = suffix or ("" if series.unit == "ratio" else series.unit)
    return charts.trend(data, series.grain, y_title, axis_format, description, height=200)


def _bars(metric: str, title: str, dimension: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    unit = _unit(metric)
    divisor, axis_format, suffix = charts.value_scale(unit, [v["value"] for v in values])
    data = [
        {
            "category": v["category"],
            "y": v["value"] / divisor,
            "shown": format_value(v["value"], unit, _stat(metric)),
        }
        for v in values
    ]
    description = f"Bar chart of {title}."
    return charts.bars(data, dimension, suffix or title, axis_format, description, height=200)


def _stat(metric: str) -> str | None:
    return metric.partition(":")[2] or None


def _unit(metric: str) -> str:
    return str(parse_selector(metric).metric.unit)
