"""An independent plain-pandas reference for the survey, customer, cost and self-service KPIs.

Written from the metric definitions (``supportkpi metrics``) and the module docstrings of
``metrics/surveys.py``, ``customers.py``, ``costs.py`` and ``self_service.py``, sharing no code
with them: rows are walked in Python loops, periods are computed with pandas timestamps and
costs are spread over days with ``datetime.date`` arithmetic. Ticket facts (solves, dims) come
from ``ticket_reference.py``, the ticket KPIs' own reference. Clear rather than fast.

The families live in ``survey_customer_reference`` and ``cost_service_reference`` (shared
pieces in ``business_base_reference``); this module dispatches and holds the golden harness.
The seeded random data are in ``business_reference_data``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from business_base_reference import DEFAULTS, _row
from cost_service_reference import costs_kpi, self_service_kpi
from survey_customer_reference import customers_kpi, surveys_kpi
from ticket_reference import Query, wilson

FAMILIES: dict[str, Callable[..., Any]] = {
    **dict.fromkeys(
        ["csat", "csat_mean", "survey_response_rate", "nps", "ces", "asat"], surveys_kpi
    ),
    **dict.fromkeys(
        [
            "customer_retention_rate",
            "customer_churn_rate",
            "repurchase_rate",
            "customer_lifetime_value",
            "conversion_rate",
            "cases_per_customer",
        ],
        customers_kpi,
    ),
    **dict.fromkeys(
        ["cost_per_resolution", "cost_per_conversation", "support_cost_to_revenue"], costs_kpi
    ),
    **dict.fromkeys(
        [
            "kb_usage",
            "self_service_success_rate",
            "chatbot_interaction_rate",
            "bot_containment_rate",
            "angry_customer_rate",
            "customer_sentiment",
        ],
        self_service_kpi,
    ),
}


def business_kpi(
    tables: dict[str, pd.DataFrame],
    metric: str,
    start: str | None = None,
    end: str | None = None,
    grain: str | None = None,
    by: list[str] | None = None,
    tz: str = "UTC",
    options: dict[str, Any] | None = None,
    where: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The reference answer for one metric, in the library's result shape."""
    q = Query(start, end, grain, list(by or []), tz, dict(where or {}), "event", {})
    o = {**DEFAULTS, **(options or {})}
    result = FAMILIES[metric](metric, tables, q, o)
    rows = result if isinstance(result, list) else [_row(q, k, v) for k, v in result.items()]
    rows = [r for r in rows if r.get("n")]
    if not rows and not q.grain and not q.by:
        rows = [{"value": None, "n": 0}]
    frame = pd.DataFrame(rows)
    frame.insert(0, "metric", metric)
    return frame


# -- expected rows of the business golden tables ------------------------------------------------


def rate(k: int, n: int, **keys: Any) -> dict[str, Any]:
    """A ratio row with its Wilson interval (from the textbook formula, z = 1.959964)."""
    low, high = wilson(k, n)
    return {"value": k / n, "n": n, "ci_low": low, "ci_high": high, **keys}
