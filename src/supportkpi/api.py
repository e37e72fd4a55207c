"""The Python API: one core object over a source, with thin methods.

>>> import supportkpi
>>> con = supportkpi.connect("demo.duckdb")                      # doctest: +SKIP
>>> con.kpi(["first_response_time", "fcr_rate"], grain="month")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from supportkpi.query.session import Session

if TYPE_CHECKING:
    from supportkpi.forecast import ForecastResult, StaffingPlan


class Connection(Session):
    """An open source (``.duckdb`` file or Parquet folder) on an engine: :class:`Session`'s
    requests, plus the Arrow form of the results (SPEC §6: "Arrow/pandas tables")."""

    def kpi_arrow(self, *args: Any, **kwargs: Any) -> pa.Table:
        """:meth:`kpi` as an Arrow table."""
        return pa.Table.from_pandas(self.kpi(*args, **kwargs), preserve_index=False)

    def forecast(self, metric: str, **kwargs: Any) -> ForecastResult:
        """Forecast a count metric per slot ahead, with 80%/95% intervals (docs/forecasting.md);
        ``kwargs`` as :func:`supportkpi.forecast.forecast_volume` (interval, horizon, by,
        as_of, exclude_days, folds)."""
        from supportkpi.forecast import forecast_volume

        return forecast_volume(self, metric, **kwargs)

    def staffing_from_forecast(self, forecast: ForecastResult, **settings: Any) -> StaffingPlan:
        """Required agents per slot of ``forecast``; ``settings`` as
        :class:`supportkpi.forecast.StaffingInputs` (kind calls, chat or async, aht_s, ...)."""
        from supportkpi.forecast import StaffingInputs, staffing_for_forecast

        return staffing_for_forecast(self, forecast, StaffingInputs(**settings))
