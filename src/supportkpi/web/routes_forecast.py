"""``/api/forecast``: the rows of `supportkpi forecast --format json`, and its staffing plan.

The parameters are those of the CLI; the library validates them (unknown or non-count
metric, bad interval or horizon, too little history → a 4xx with one sentence). Answers are
cached per question and load of the store, like the KPIs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from supportkpi.forecast import StaffingInputs, forecast_volume, staffing_for_forecast
from supportkpi.query.request import parse_where
from supportkpi.report.rows import frame_records, plain
from supportkpi.web.auth import requires
from supportkpi.web.state import ApiState, api_state

router = APIRouter(tags=["forecast"], dependencies=[Depends(requires("viewer"))])
State = Annotated[ApiState, Depends(api_state)]

FORECAST_DESCRIPTION = """Volume forecast of a count metric (`ticket_volume`, `calls_offered`):
`{"model", "interval", "rows": [{"metric", "at", <dim>, "value", "lo80", "hi80", "lo95",
"hi95"}], "notes", "backtest"}`, one row per slot of the horizon and series, closed hours
included (as 0). `model` is the model used: seasonal naive when the chosen model did not beat
it in the rolling-origin backtest (then a note says so). See docs/forecasting.md."""


@router.get("/api/forecast", description=FORECAST_DESCRIPTION)
def forecast(
    state: State,
    metric: Annotated[str, Query(max_length=100, description="A count metric.")],
    interval: Annotated[str, Query(max_length=8, description="15m, 30m, 60m or 1d.")] = "60m",
    horizon: Annotated[str, Query(max_length=16, description="7d, 2w or 48h.")] = "7d",
    by: Annotated[str | None, Query(max_length=40, description="One dimension.")] = None,
    where: Annotated[list[str] | None, Query(description="Filter DIM=V (repeatable).")] = None,
    as_of: Annotated[str | None, Query(max_length=40, description="Forecast from here.")] = None,
    exclude_day: Annotated[
        list[str] | None, Query(max_length=10, description="Outlier days (YYYY-MM-DD).")
    ] = None,
    folds: Annotated[int, Query(ge=1, le=10, description="Backtest origins.")] = 3,
    staffing: Annotated[
        str | None, Query(max_length=10, description="Add a plan: calls, chat or async.")
    ] = None,
    aht_s: Annotated[float | None, Query(gt=0, description="Handle time per item (s).")] = None,
    target_sl: Annotated[float, Query(gt=0, le=1, description="Service-level target.")] = 0.8,
    target_s: Annotated[float, Query(ge=0, description="Answer-within threshold (s).")] = 20,
    shrinkage: Annotated[float, Query(ge=0, lt=1, description="Share of time off work.")] = 0,
    max_occupancy: Annotated[float | None, Query(gt=0, le=1, description="Cap.")] = None,
    concurrency: Annotated[int, Query(ge=1, le=20, description="Chats at once.")] = 1,
) -> JSONResponse:
    """A forecast per slot with 80%/95% intervals; with ``staffing``, the agents per slot."""
    filters = parse_where(where or [])
    days = tuple(exclude_day or ())
    key = ("forecast", metric, interval, horizon, by, tuple(where or ()), as_of, days, folds)
    plan_settings = None
    if staffing:
        plan_settings = StaffingInputs(
            kind=staffing,
            aht_s=aht_s,
            target_sl=target_sl,
            target_s=target_s,
            shrinkage=shrinkage,
            max_occupancy=max_occupancy,
            concurrency=concurrency,
        ).checked()
    with state.reading() as reader:

        def compute() -> Any:
            return forecast_volume(
                reader.con, metric, interval, horizon, by, as_of, None, days, folds, filters
            )

        result = state.cached(key, reader, compute)
        body = plain(result.as_json())
        if plan_settings is not None:
            plan = staffing_for_forecast(reader.con, result, plan_settings)
            body["staffing"] = {
                "kind": plan_settings.kind,
                "rows": frame_records(plan.rows),
                "summary": plain(plan.summary),
                "notes": plan.notes,
            }
    return JSONResponse(body)
