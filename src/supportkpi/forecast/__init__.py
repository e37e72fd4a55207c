"""Volume forecasts with prediction intervals, backtests, and staffing from the forecast.

>>> import supportkpi                                                    # doctest: +SKIP
>>> con = supportkpi.connect("demo.duckdb")                              # doctest: +SKIP
>>> con.forecast("calls_offered", interval="30m", horizon="7d").model    # doctest: +SKIP
'mstl'
"""

from __future__ import annotations

from supportkpi.forecast.backtest import Backtest, ModelScore
from supportkpi.forecast.plan import staffing_for_forecast
from supportkpi.forecast.staffing import StaffingInputs, StaffingPlan, plan_from_forecast
from supportkpi.forecast.volume import ForecastResult, forecast_volume

__all__ = [
    "Backtest",
    "ForecastResult",
    "ModelScore",
    "StaffingInputs",
    "StaffingPlan",
    "forecast_volume",
    "plan_from_forecast",
    "staffing_for_forecast",
]
