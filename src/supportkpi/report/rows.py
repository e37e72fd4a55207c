"""KPI results and frames as JSON-ready rows: one shaping for the CLI, the API and the dashboard."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from supportkpi.metrics.registry import get_metric
from supportkpi.query.runner import KpiResult


def plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: no numpy types, NaN or infinity (null), ISO instants."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, pd.Timestamp | datetime | date):
        return None if pd.isna(value) else value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return plain(value.item())
    return str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as JSON-ready dicts."""
    return [plain(record) for record in frame.to_dict(orient="records")]


def rows_as_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """KPI rows as SPEC §6 JSON: ci_low/ci_high only on rates, null for missing values, and
    ``note`` only on rows that have one."""
    rows = []
    for record in frame.to_dict(orient="records"):
        metric = get_metric(str(record["metric"]).partition(":")[0])
        row = plain(record)
        if not metric.has_interval:
            row.pop("ci_low", None)
            row.pop("ci_high", None)
        if row.get("note") is None:
            row.pop("note", None)
        rows.append(row)
    return rows


def result_as_json(result: KpiResult) -> dict[str, Any]:
    """``{"rows": [...], "errors": [{"metric", "error", "status"}, ...]}`` (CLI and API)."""
    return {"rows": rows_as_json(result.rows), "errors": [e.as_dict() for e in result.errors]}
