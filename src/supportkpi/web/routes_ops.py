"""``/api/staffing``, ``/api/sla/at-risk`` and ``/api/customers``: operations views.

The SLA and value-vs-cost libraries arrive in their own issues; until a library function is
installed its route answers 501 in the API's error shape.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from supportkpi.errors import UnsupportedError
from supportkpi.staffing import staffing_summary
from supportkpi.web.app import ApiState, api_state, frame_records, plain
from supportkpi.web.auth import requires

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
    horizon_s: Annotated[
        float, Query(gt=0, description="Open tickets whose target falls due within this (s).")
    ] = 3600.0,
) -> JSONResponse:
    """Open tickets whose SLA target falls due within the horizon."""
    at_risk = _library_function("supportkpi.sla", "at_risk", "SLA at-risk list")
    with state.reading() as reader:
        found = at_risk(reader.con, horizon_s)
    return JSONResponse({"horizon_s": horizon_s, "rows": _rows(found)})


@router.get("/api/customers")
def customers(
    state: State,
    from_: Annotated[str | None, Query(alias="from", description="First local date.")] = None,
    to: Annotated[str | None, Query(description="Last local date (exclusive).")] = None,
) -> JSONResponse:
    """Value against cost to serve, one row per customer."""
    value_vs_cost = _library_function("supportkpi.report", "value_vs_cost", "value-vs-cost view")
    extra = _accepted(value_vs_cost, start=from_, end=to)
    with state.reading() as reader:
        found = value_vs_cost(reader.con, **extra)
    return JSONResponse({"rows": _rows(found)})


def _library_function(module: str, name: str, what: str) -> Callable[..., Any]:
    """``module.name`` (or ``module.name.name`` when ``name`` is a module), or 501."""
    try:
        found: Any = getattr(importlib.import_module(module), name, None)
        if found is None:
            found = importlib.import_module(f"{module}.{name}")
    except ModuleNotFoundError as exc:  # not written yet; a broken import elsewhere is a bug
        if exc.name not in (module, f"{module}.{name}"):
            raise
        found = None
    if inspect.ismodule(found):
        found = getattr(found, name, None)
    if not callable(found):
        raise UnsupportedError(f"the {what} is not available in this version")
    return found


def _accepted(function: Callable[..., Any], **candidates: Any) -> dict[str, Any]:
    """The keyword arguments among ``candidates`` that ``function`` declares."""
    parameters = inspect.signature(function).parameters
    return {k: v for k, v in candidates.items() if k in parameters}


def _rows(found: Any) -> Any:
    return frame_records(found) if isinstance(found, pd.DataFrame) else plain(found)
