"""Contact-centre staffing: Erlang C, Erlang A and a weekly staffing plan (SPEC §4).

>>> from supportkpi.staffing import erlang_c_staffing
>>> erlang_c_staffing(calls=360, interval_min=30, aht_s=240, target_sl=0.8, target_s=20).agents
54
"""

from __future__ import annotations

from supportkpi.staffing.erlang_a import ErlangAResult, erlang_a, erlang_a_agents
from supportkpi.staffing.erlang_c import (
    StaffingResult,
    asa,
    average_speed_of_answer,
    erlang_b,
    erlang_c_probability_wait,
    erlang_c_requirements,
    erlang_c_staffing,
    service_level,
    traffic_erlangs,
)
from supportkpi.staffing.forecast import backtest_forecasts
from supportkpi.staffing.inputs import agents_after_shrinkage
from supportkpi.staffing.plan import PLAN_COLUMNS, plan_matrix, staffing_plan
from supportkpi.staffing.summary import staffing_summary

__all__ = [
    "PLAN_COLUMNS",
    "ErlangAResult",
    "StaffingResult",
    "agents_after_shrinkage",
    "asa",
    "average_speed_of_answer",
    "backtest_forecasts",
    "erlang_a",
    "erlang_a_agents",
    "erlang_b",
    "erlang_c_probability_wait",
    "erlang_c_requirements",
    "erlang_c_staffing",
    "plan_matrix",
    "service_level",
    "staffing_plan",
    "staffing_summary",
    "traffic_erlangs",
]
