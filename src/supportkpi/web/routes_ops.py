"""``/api/staffing``, ``/api/sla/at-risk`` and ``/api/customers``: the same JSON as the CLI's
`staffing --json`, `sla at-risk --format json` and `customers --format json`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from supportkpi.calendar.durations import parse_duration
from supportkpi.errors import InputError
from supportkpi.report.at_risk import at_risk
from supportkpi.report.rows import frame_records, plain
from supportkpi.report.value_vs_cost import value_vs_cost
from supportkpi.staffing import staffing_summary
from supportkpi.web.auth import requires
from supportkpi.web.state import ApiState, api_state

router = APIRouter(tags=["operations"], dependencies=[Depends(requires("viewer"))])
State = Annotated[ApiState, Depends(api_state)]


@router.get("/api/staffing")
def staffing(
    calls: Annotated[float, Query(description="Calls offered in the interval.")],
    interval_min: Annotated[float, Query(description="Interval length in minutes.")],
    aht_s: Annotated[float, Query(description="Average handle time in seconds.")],
    target_sl: Annotated[float, Query(description="Service-level target, e.g. 0.8.")],
    target_s: Annotated[float, Query(description="Answer-within threshold in seconds.")],
    max_occupancy: Annotated[float | None, Query(description="Highest occupancy.")] = None,
    shrinkage: Annotated[float, Query(description="Share of paid time off the phones.")] = 0.0,
    patience_s: Annotated[
        float | None, Query(description="Mean caller patience (s): adds Erlang A.")
    ] = None,
) -> JSONResponse:
    """Agents needed for one interval (as `supportkpi staffing --json`; infinity is null)."""
    summary = staffing_summary(
        calls, interval_min, aht_s, target_sl, target_s, max_occupancy, shrinkage, patience_s
    )
    return JSONResponse(plain(summary))


@router.get("/api/sla/at-risk")
def sla_at_risk(
    state: State,
    horizon: Annotated[str, Query(description="Due within this time, e.g. 4h or 90m.")] = "4h",
    as_of: Annotated[
        str | None, Query(description="Now, as an ISO instant with a timezone (default: now).")
    ] = None,
) -> JSONResponse:
    """Open tickets whose SLA target falls due within the horizon, soonest first."""
    try:
        horizon_s = parse_duration(horizon)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    try:
        now = datetime.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise InputError(
            f"as_of {(as_of or '')[:40]!r} is not an ISO instant; use e.g. "
            "2024-01-22T09:00:00+00:00"
        ) from None
    if now is not None and now.tzinfo is None:
        raise InputError("as_of needs a timezone, e.g. 2024-01-22T09:00:00+00:00")
    with state.reading() as reader:
        rows = at_risk(reader.con, horizon_s, now)
    return JSONResponse({"rows": frame_records(rows)})


@router.get("/api/customers")
def customers(
    state: State,
    from_: Annotated[str | None, Query(alias="from", description="First local date.")] = None,
    to: Annotated[str | None, Query(description="Last local date (exclusive).")] = None,
    tz: Annotated[str | None, Query(description="Report timezone (IANA).")] = None,
    limit: Annotated[
        int | None, Query(ge=1, description="Only the N customers with the highest cost.")
    ] = None,
) -> JSONResponse:
    """Per customer: tickets, calls, support cost (evenly per contact), revenue, segment."""
    with state.reading() as reader:
        rows = value_vs_cost(reader.con, start=from_, end=to, tz=tz)
    return JSONResponse({"rows": frame_records(rows.head(limit) if limit else rows)})
