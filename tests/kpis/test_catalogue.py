"""The registry covers the SPEC §4 catalogue, and docs/metrics.md is generated from it."""

from pathlib import Path

import pytest

from supportkpi.metrics.registry import all_metrics, get_metric
from supportkpi.report.catalogue import catalogue_markdown

ROOT = Path(__file__).resolve().parents[2]

#: SPEC §4, family by family: every KPI of the catalogue must be registered and defined.
TICKETS = [
    "first_response_time",
    "response_time",
    "resolution_time",
    "first_resolution_time",
    "social_response_time",
    "unanswered_tickets",
    "ticket_volume",
    "tickets_solved",
    "backlog",
    "backlog_change",
    "backlog_age",
    "fcr_rate",
    "interactions_per_ticket",
    "reopen_rate",
    "reopens",
    "escalation_rate",
    "resolution_rate",
    "repeat_contact_rate",
    "next_issue_avoidance",
    "tickets_solved_per_hour",
]
OTHER_FAMILIES = [
    "sla_compliance",
    "csat",
    "csat_mean",
    "survey_response_rate",
    "nps",
    "ces",
    "asat",
    "calls_offered",
    "answered_rate",
    "abandonment_rate",
    "service_level",
    "average_speed_of_answer",
    "average_wait_time",
    "average_handle_time",
    "call_fcr_rate",
    "cost_per_call",
    "agent_utilization",
    "occupancy",
    "cost_per_resolution",
    "cost_per_conversation",
    "support_cost_to_revenue",
    "customer_retention_rate",
    "customer_churn_rate",
    "repurchase_rate",
    "customer_lifetime_value",
    "conversion_rate",
    "cases_per_customer",
    "kb_usage",
    "self_service_success_rate",
    "chatbot_interaction_rate",
    "bot_containment_rate",
    "angry_customer_rate",
    "customer_sentiment",
]


@pytest.mark.parametrize("metric_id", TICKETS + OTHER_FAMILIES)
def test_catalogue_kpi_is_defined(metric_id: str) -> None:
    metric = get_metric(metric_id)
    assert len(metric.definition) > 30
    assert metric.title and metric.family


def test_docs_metrics_md_is_current() -> None:
    assert (ROOT / "docs" / "metrics.md").read_text() == catalogue_markdown(), (
        "docs/metrics.md is stale: run `supportkpi metrics --markdown > docs/metrics.md`"
    )


def test_every_registered_metric_is_in_the_docs() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text()
    for metric in all_metrics():
        assert f"`{metric.id}`" in text


def test_docs_schema_md_is_current() -> None:
    from supportkpi.report.schema_docs import schema_markdown

    assert (ROOT / "docs" / "schema.md").read_text() == schema_markdown(), (
        "docs/schema.md is stale: run `supportkpi tables --markdown > docs/schema.md`"
    )
