"""``/api/kpi`` (the same rows as `supportkpi kpi --format json`) and ``/api/tickets`` (drill-down).

Both take the same filters; they are parsed here into the library's arguments and validated by
the library (unknown metric, dimension, grain, timezone or a bad date → 4xx), never turned into
SQL. A metric that cannot be computed (SLA compliance without ``[[sla]]`` policies) does not
fail the others: it is listed in ``errors``; only when no metric can be computed is the answer
that metric's error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from supportkpi.engine.periods import MAX_ZONE_NAME
from supportkpi.query.drilldown import MAX_PAGE, MAX_PAGE_SIZE
from supportkpi.query.request import parse_where
from supportkpi.query.runner import computed
from supportkpi.report.rows import frame_records, result_as_json
from supportkpi.web.auth import requires
from supportkpi.web.state import ApiState, api_state

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
    tz: Annotated[
        str | None, Query(max_length=MAX_ZONE_NAME, description="Report timezone (IANA).")
    ] = None,
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


KPI_DESCRIPTION = """KPIs: one row per metric, period and dimension values, exactly as
`supportkpi kpi --format json`: `{"rows": [...], "errors": [...]}`.

Each row has `metric`, `value`, `n`, `period` (with a grain), one key per `by` dimension and,
for rates and scores, `ci_low`/`ci_high`. When the data has no input of the kind a KPI needs
(no message events for reply KPIs, no surveys of its kind, no calls), its one row has
`value: null`, `n: 0` and a `note` saying what is missing.

A metric that cannot be computed (e.g. `sla_compliance` without `[[sla]]` policies in the
config) does not fail the others: the answer is 200 with the rows of the others and an entry
`{"metric", "error", "status"}` in `errors` (empty when all were computed). When no requested
metric can be computed, the answer is the first one's error, `{"ok": false, "error", "status"}`.
An invalid request (unknown metric, grain, dimension or date) is always a 4xx error."""


@router.get("/api/kpi", description=KPI_DESCRIPTION)
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
        request = reader.con.query(list(metrics), **filters.arguments())
        body = result_as_json(computed(state.kpi(reader, request)))
    return JSONResponse(body)


@router.get("/api/tickets")
def tickets(
    state: State,
    filters: Filters,
    metric: Annotated[str, Query(description="One metric selector, NAME or NAME:STAT.")],
    period: Annotated[
        str | None, Query(description="A period's first date (with a grain), YYYY-MM-DD.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Rows per page (at most 1000).")
    ] = 50,
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
