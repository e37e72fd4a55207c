"""``/api/kpi`` (the same rows as `supportkpi kpi --format json`) and ``/api/tickets`` (drill-down).

Both take the same filters; they are parsed here into the library's arguments and validated by
the library (unknown metric, dimension, grain, timezone or a bad date → 4xx), never turned into
SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from supportkpi.cli.kpi_commands import rows_as_json
from supportkpi.engine.query import parse_where
from supportkpi.web.app import ApiState, api_state, frame_records
from supportkpi.web.auth import requires

router = APIRouter(tags=["kpi"], dependencies=[Depends(requires("viewer"))])


@dataclass(frozen=True)
class KpiFilters:
    """The filters of ``/api/kpi`` and ``/api/tickets``, as ``Connection.kpi`` takes them."""

    start: str | None
    end: str | None
    grain: str | None
    by: tuple[str, ...]
    where: tuple[tuple[str, tuple[str, ...]], ...]
    tz: str | None
    cohort: str
    business_hours: bool

    def arguments(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "grain": self.grain,
            "by": list(self.by),
            "where": {dim: list(values) for dim, values in self.where},
            "tz": self.tz,
            "cohort": self.cohort,
            "business_hours": self.business_hours,
        }


def kpi_filters(
    from_: Annotated[
        str | None, Query(alias="from", description="First local date (inclusive), YYYY-MM-DD.")
    ] = None,
    to: Annotated[str | None, Query(description="Last local date (exclusive), YYYY-MM-DD.")] = None,
    grain: Annotated[str | None, Query(description="day, week, month, quarter or year.")] = None,
    by: Annotated[
        list[str] | None,
        Query(description="Dimensions, comma-separated or repeated: channel,team."),
    ] = None,
    where: Annotated[
        list[str] | None, Query(description="Filter DIM=V or DIM=V1,V2 (repeatable).")
    ] = None,
    tz: Annotated[str | None, Query(description="Report timezone (IANA).")] = None,
    cohort: Annotated[str, Query(description="event or created.")] = "event",
    business_hours: Annotated[bool, Query(description="Durations in business time.")] = False,
) -> KpiFilters:
    """Parse the filters; ``where`` goes through the CLI's own parser."""
    dims = tuple(d.strip() for item in by or [] for d in item.split(",") if d.strip())
    parsed = parse_where(where or [])
    return KpiFilters(
        start=from_ or None,
        end=to or None,
        grain=grain or None,
        by=dims,
        where=tuple((dim, tuple(values)) for dim, values in parsed.items()),
        tz=tz or None,
        cohort=cohort,
        business_hours=business_hours,
    )


Filters = Annotated[KpiFilters, Depends(kpi_filters)]
State = Annotated[ApiState, Depends(api_state)]


@router.get("/api/kpi")
def kpi(
    state: State,
    filters: Filters,
    metric: Annotated[
        list[str], Query(description="Metric selectors NAME or NAME:STAT (repeatable).")
    ],
) -> JSONResponse:
    """KPIs: one row per metric, period and dimension values (as `supportkpi kpi --format json`)."""
    metrics = tuple(m.strip() for item in metric for m in item.split(",") if m.strip())
    with state.reading() as reader:
        rows = state.cached(
            ("kpi", metrics, filters),
            reader,
            lambda: rows_as_json(reader.con.kpi(list(metrics), **filters.arguments())),
        )
    return JSONResponse({"rows": rows})


@router.get("/api/tickets")
def tickets(
    state: State,
    filters: Filters,
    metric: Annotated[str, Query(description="One metric selector, NAME or NAME:STAT.")],
    period: Annotated[
        str | None, Query(description="A period's first date (with a grain), YYYY-MM-DD.")
    ] = None,
    page: Annotated[int, Query(description="Page number, from 1.")] = 1,
    page_size: Annotated[int, Query(description="Rows per page (at most 1000).")] = 50,
) -> JSONResponse:
    """The tickets (or calls, responses, ...) behind one KPI value, newest first, by page."""
    with state.reading() as reader:
        found = reader.con.rows_behind(metric, period, page, page_size, **filters.arguments())
        rows = frame_records(found.rows)
    return JSONResponse(
        {
            "metric": metric,
            "period": period,
            "total": found.total,
            "page": found.page,
            "page_size": found.page_size,
            "rows": rows,
        }
    )
