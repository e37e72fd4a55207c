"""Every registered KPI has at least one golden case with a hand-computed answer.

The golden tables are one per family (tickets, calls, SLA, costs, customers, surveys, self-service);
a metric registered without a case in any of them fails here, naming it.
"""

from __future__ import annotations

import test_call_kpis_golden
import test_cost_kpis
import test_customer_kpis
import test_self_service_kpis
import test_sla
import test_survey_kpis
import test_ticket_kpis_golden

from supportkpi.metrics.registry import all_metrics

GOLDEN_TABLES = (
    test_ticket_kpis_golden.CASES,
    test_call_kpis_golden.CASES,
    test_cost_kpis.CASES,
    test_customer_kpis.CASES,
    test_survey_kpis.CASES,
    test_self_service_kpis.CASES,
    test_sla.CASES,
)


def golden_metrics() -> set[str]:
    return {case.metric.partition(":")[0] for table in GOLDEN_TABLES for case in table}


def test_every_registered_kpi_has_a_golden_case() -> None:
    missing = [m.id for m in all_metrics() if m.id not in golden_metrics()]
    assert missing == [], f"registered KPIs without a golden case: {', '.join(missing)}"


def test_every_golden_case_names_a_registered_kpi() -> None:
    registered = {m.id for m in all_metrics()}
    assert sorted(golden_metrics() - registered) == []
