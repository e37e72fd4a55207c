"""The table of reference data sets behind ``tests/kpis/test_reference.py`` (issue 12).

Each data set names its seeded generator, its independent pandas reference, the selectors it
covers (with options), its query shapes, which shapes apply to which selector, its PySpark
subset and the comparison's few per-metric allowances. The test walks the registry and asks
this table for every metric's cases, so a new KPI shows up as "no reference" instead of
silently going untested; the shapes and allowances are those of the three modules it replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from business_reference import business_kpi
from business_reference_data import random_tables
from call_reference import reference_kpi as call_kpi
from call_reference_data import generate as call_tables
from kpi_support import make_source, options_key
from sla_reference import SLA_CONFIG, sla_kpi
from ticket_reference import reference_kpi as ticket_kpi
from ticket_reference_data import generate as ticket_tables

from supportkpi.metrics.registry import get_metric

Tables = dict[str, pd.DataFrame]
Spec = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Dataset:
    """One seeded data set and everything compared on it."""

    name: str
    generate: Callable[[], Tables]
    reference: Callable[..., pd.DataFrame]
    specs: tuple[Spec, ...]
    shapes: Mapping[str, dict[str, Any]]
    applies: Callable[[str, str], bool]  # (selector, shape id)
    spark: frozenset[tuple[str, str, str]]  # (selector, options key, shape id)
    #: Metrics whose ``n`` the contract leaves undefined (not compared).
    n_undefined: frozenset[str] = frozenset()
    #: Metrics whose zero-valued rows the contract lets the engine omit.
    zero_rows_optional: frozenset[str] = frozenset()
    #: Every case must have a row with n > 0 (the random data must exercise the metric).
    must_exercise: bool = False
    #: Settings (a config dict) the connection is opened with.
    config: dict[str, Any] | None = None
    metrics: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", frozenset(s.split(":")[0] for s, _ in self.specs))

    def cases(self, metric: str) -> Iterator[tuple[str, dict[str, Any], str, str]]:
        """``(selector, options, shape id, engine)`` of one registered metric."""
        for selector, options in self.specs:
            if selector.split(":")[0] != metric:
                continue
            for shape_id in self.shapes:
                if not self.applies(selector, shape_id):
                    continue
                yield selector, options, shape_id, "duckdb"
                if (selector, options_key(options), shape_id) in self.spark:
                    yield selector, options, shape_id, "pyspark"


# -- tickets ------------------------------------------------------------------------------------
TICKET_SHAPES: dict[str, dict[str, Any]] = {
    "range": {"start": "2024-03-01", "end": "2024-06-01"},
    "week_by_channel": {"start": "2024-02-26", "end": "2024-06-03", "grain": "week",
                        "by": ["channel"]},
    "day_berlin": {"start": "2024-03-25", "end": "2024-04-08", "grain": "day",
                   "tz": "Europe/Berlin"},
    "month_created": {"start": "2024-03-01", "end": "2024-06-01", "grain": "month",
                      "cohort": "created"},
    "month_by_team_where": {"start": "2024-03-01", "end": "2024-06-01", "grain": "month",
                            "by": ["team"], "where": {"channel": ["email", "chat"],
                                                      "priority": "high"}},
    "quarter_by_segment_priority": {"start": "2024-01-01", "end": "2025-01-01",
                                    "grain": "quarter", "by": ["segment", "priority"]},
    "week_by_agent_new_york": {"start": "2024-03-04", "end": "2024-05-27", "grain": "week",
                               "by": ["agent"], "tz": "America/New_York"},
    "all_time": {},
}  # fmt: skip

#: Every ticket KPI, its default stat and a few others.
TICKET_SPECS: tuple[Spec, ...] = (
    ("first_response_time", {}), ("first_response_time:mean", {}),
    ("first_response_time:p90", {}), ("first_response_time:count", {}),
    ("response_time", {}), ("response_time:mean", {}),
    ("resolution_time", {}), ("resolution_time:p90", {}),
    ("first_resolution_time", {}), ("first_resolution_time:mean", {}),
    ("social_response_time", {}), ("unanswered_tickets", {}), ("ticket_volume", {}),
    ("tickets_solved", {}), ("backlog", {}), ("backlog_change", {}), ("backlog_age", {}),
    ("backlog_age:median", {}), ("fcr_rate", {}), ("fcr_rate", {"fcr": "zendesk"}),
    ("fcr_rate", {"fcr": "no_customer_followup"}), ("interactions_per_ticket", {}),
    ("interactions_per_ticket:median", {}), ("reopen_rate", {}), ("reopens", {}),
    ("escalation_rate", {}), ("resolution_rate", {}), ("repeat_contact_rate", {}),
    ("repeat_contact_rate", {"repeat_contact_days": 3}), ("next_issue_avoidance", {}),
    ("tickets_solved_per_hour", {}),
)  # fmt: skip

#: One of each ticket metric family on PySpark too.
TICKET_SPARK = frozenset({
    ("first_response_time", "", "week_by_channel"), ("response_time:mean", "", "range"),
    ("resolution_time:p90", "", "day_berlin"), ("fcr_rate", "", "month_by_team_where"),
    ("fcr_rate", "fcr=no_customer_followup", "range"), ("backlog", "", "week_by_channel"),
    ("backlog_age", "", "range"), ("unanswered_tickets", "", "day_berlin"),
    ("escalation_rate", "", "month_created"), ("repeat_contact_rate", "", "range"),
    ("tickets_solved_per_hour", "", "week_by_agent_new_york"),
    ("interactions_per_ticket", "", "quarter_by_segment_priority"),
})  # fmt: skip

POINT_IN_TIME = ("backlog", "backlog_age")


def ticket_applies(selector: str, shape_id: str) -> bool:
    """Leave out the shapes the doc leaves undefined for a metric."""
    name, shape = selector.split(":")[0], TICKET_SHAPES[shape_id]
    if shape.get("cohort") == "created" and name in (*POINT_IN_TIME, "backlog_change",
                                                    "tickets_solved_per_hour"):  # fmt: skip
        return False  # re-dating a point-in-time count or an hours ratio is not defined
    if name == "backlog_age" and "end" not in shape:
        return False  # ages depend on "the data's last instant", which the doc leaves open
    if name == "tickets_solved_per_hour":
        return not shape.get("where") and set(shape.get("by", [])) <= {"agent"}
    return True


# -- SLA compliance (the ticket data, with SLA policies) -------------------------------------
SLA_SHAPES: dict[str, dict[str, Any]] = {
    "range_by_target": {"start": "2024-03-01", "end": "2024-06-01", "by": ["sla_target"]},
    "week_by_policy_berlin": {"start": "2024-03-04", "end": "2024-05-27", "grain": "week",
                              "by": ["sla_policy"], "tz": "Europe/Berlin"},
    "day_by_policy_target": {"start": "2024-04-01", "end": "2024-04-15", "grain": "day",
                             "by": ["sla_policy", "sla_target"]},
    "month_by_channel_where": {"start": "2024-03-01", "end": "2024-06-01", "grain": "month",
                               "by": ["channel"], "where": {"sla_target": "first_response"}},
    "month_created_by_target": {"start": "2024-03-01", "end": "2024-06-01", "grain": "month",
                                "cohort": "created", "by": ["sla_target"]},
    "all_time_by_segment": {"by": ["segment"]},
}  # fmt: skip
SLA_SPARK = frozenset(
    {("sla_compliance", "", "week_by_policy_berlin"), ("sla_compliance", "", "range_by_target")}
)


# -- calls --------------------------------------------------------------------------------------
CALL_SHAPES: dict[str, dict[str, Any]] = {
    "range": {"start": "2024-03-01", "end": "2024-06-01"},
    "week_by_queue": {"start": "2024-03-04", "end": "2024-05-27", "grain": "week",
                      "by": ["queue"]},
    "day_berlin": {"start": "2024-03-25", "end": "2024-04-08", "grain": "day",
                   "tz": "Europe/Berlin"},
    "where_agent": {"start": "2024-03-01", "end": "2024-06-01", "where": {"agent": ["a2", "a9"]}},
    "month_by_team": {"start": "2024-03-01", "end": "2024-06-01", "grain": "month",
                      "by": ["team"]},
    "by_agent": {"by": ["agent"]},
    "all_time": {},
}  # fmt: skip

CALL_SPECS: tuple[Spec, ...] = (
    ("calls_offered", {}), ("answered_rate", {}), ("answered_rate", {"short_abandon_s": 10}),
    ("abandonment_rate", {}), ("service_level", {}), ("service_level", {"service_level_s": 60}),
    ("service_level", {"service_level_variant": "answered_only"}),
    ("service_level", {"service_level_variant": "abandons_count_against"}),
    ("average_speed_of_answer", {}), ("average_speed_of_answer:p90", {}),
    ("average_wait_time", {}), ("average_wait_time:median", {}),
    ("average_handle_time", {}), ("average_handle_time:sum", {}),
    ("call_fcr_rate", {}), ("call_fcr_rate", {"call_fcr_days": 3}), ("cost_per_call", {}),
    ("agent_utilization", {}),
    ("agent_utilization", {"handling_states": ["handling"],
                           "logged_out_states": ["offline", "break"]}),
    ("occupancy", {}), ("occupancy", {"available_states": ["available", "training"]}),
)  # fmt: skip

CALL_SPARK = frozenset({
    ("service_level", "", "week_by_queue"), ("average_wait_time", "", "day_berlin"),
    ("call_fcr_rate", "", "range"), ("cost_per_call", "", "month_by_team"),
    ("occupancy", "", "where_agent"), ("agent_utilization", "", "month_by_team"),
})  # fmt: skip


def call_applies(selector: str, shape_id: str) -> bool:
    """Agent time has no queue."""
    shape = CALL_SHAPES[shape_id]
    dims = set(shape.get("by", [])) | set(shape.get("where", {}))
    return selector.split(":")[0] not in ("agent_utilization", "occupancy") or "queue" not in dims


# -- surveys, customers, costs, self-service ----------------------------------------------------
BUSINESS_METRICS = (
    "angry_customer_rate", "asat", "bot_containment_rate", "cases_per_customer", "ces",
    "chatbot_interaction_rate", "conversion_rate", "cost_per_conversation",
    "cost_per_resolution", "csat", "csat_mean", "customer_churn_rate",
    "customer_lifetime_value", "customer_retention_rate", "customer_sentiment", "kb_usage",
    "nps", "repurchase_rate", "self_service_success_rate", "support_cost_to_revenue",
    "survey_response_rate",
)  # fmt: skip
MONTHS: dict[str, Any] = {"start": "2024-01-01", "end": "2024-07-01", "grain": "month"}
BUSINESS_SHAPES: dict[str, dict[str, Any]] = {
    "range": {"start": "2024-01-15", "end": "2024-05-20"},
    "month": MONTHS,
    "month_by_segment": {**MONTHS, "by": ["segment"]},
    "month_by_team": {**MONTHS, "by": ["team"]},
    "week_berlin": {"start": "2024-02-05", "end": "2024-04-01", "grain": "week",
                    "tz": "Europe/Berlin"},
}  # fmt: skip


def business_monthly(metric: str) -> str:
    """The one monthly shape of a metric: by segment if it has one, else by team, else none."""
    dims = get_metric(metric).dimensions
    if "segment" in dims:
        return "month_by_segment"
    return "month_by_team" if "team" in dims else "month"


def business_applies(selector: str, shape_id: str) -> bool:
    return not shape_id.startswith("month") or shape_id == business_monthly(selector)


BUSINESS_SPARK = frozenset(
    (m, "", business_monthly(m))
    for m in ("csat", "nps", "asat", "customer_churn_rate", "cost_per_resolution",
              "angry_customer_rate")
)  # fmt: skip


def business_tables() -> Tables:
    return random_tables(seed=7)


# -- the table ----------------------------------------------------------------------------------
DATASETS: tuple[Dataset, ...] = (
    Dataset("tickets", ticket_tables, ticket_kpi, TICKET_SPECS, TICKET_SHAPES, ticket_applies,
            TICKET_SPARK, n_undefined=frozenset({"backlog_change", "tickets_solved_per_hour"}),
            zero_rows_optional=frozenset({"backlog_change", "backlog_age",
                                          "tickets_solved_per_hour"})),
    Dataset("sla", ticket_tables, sla_kpi, (("sla_compliance", {}),), SLA_SHAPES,
            lambda selector, shape_id: True, SLA_SPARK, must_exercise=True, config=SLA_CONFIG),
    Dataset("business", business_tables, business_kpi, tuple((m, {}) for m in BUSINESS_METRICS),
            BUSINESS_SHAPES, business_applies, BUSINESS_SPARK, must_exercise=True),
    Dataset("calls", call_tables, call_kpi, CALL_SPECS, CALL_SHAPES, call_applies, CALL_SPARK),
)  # fmt: skip

#: Registered KPIs without an independent reference yet, each with the reason.
NO_REFERENCE_YET: dict[str, str] = {}


# -- tables and connections ---------------------------------------------------------------------
class ReferencePool:
    """Each generator's tables and stores built once; one connection per (data set, engine).

    The SLA data set reuses the ticket tables and stores (only its config differs). At most
    one PySpark connection is open at a time, which keeps the Spark session small.
    """

    def __init__(self, make_folder: Callable[[str], Path]) -> None:
        self.make_folder = make_folder
        self._tables: dict[Callable[[], Tables], Tables] = {}
        self._sources: dict[tuple[Callable[[], Tables], str], str] = {}
        self._open: dict[tuple[str, str], Any] = {}

    def tables(self, dataset: Dataset) -> Tables:
        if dataset.generate not in self._tables:
            self._tables[dataset.generate] = dataset.generate()
        return self._tables[dataset.generate]

    def connection(self, dataset: Dataset, engine: str) -> Any:
        import supportkpi
        from supportkpi.config.settings import parse_settings

        if (dataset.name, engine) in self._open:
            return self._open[dataset.name, engine]
        if engine == "pyspark":
            for key in [k for k in self._open if k[1] == "pyspark"]:
                self._open.pop(key).close()
        source_key = (dataset.generate, engine)
        if source_key not in self._sources:
            folder = self.make_folder(f"{dataset.name}-{engine}")
            self._sources[source_key] = make_source(folder, self.tables(dataset), engine)
        options = {"config": parse_settings(dataset.config)} if dataset.config else {}
        con = supportkpi.connect(self._sources[source_key], engine=engine, **options)
        self._open[dataset.name, engine] = con
        return con

    def close(self) -> None:
        for con in self._open.values():
            con.close()
        self._open.clear()
