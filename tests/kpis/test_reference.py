"""Every registered KPI against its independent pandas reference, on seeded random data.

One test over registry metric × query shape × engine (issue 12). The data sets, their
generators, references, shapes and PySpark subsets are in ``reference_data.DATASETS``; the
metrics come from the registry, so a KPI registered without a reference fails
``test_every_registered_kpi_has_a_reference`` by name instead of going untested. The
comparison is only as good as the data, so each generator's tricky situations are checked too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest
from call_reference import inbound_calls
from call_reference import reference_kpi as call_kpi
from kpi_support import assert_same_rows, options_key, result_keys
from reference_data import DATASETS, NO_REFERENCE_YET, ReferencePool
from sla_reference import SLA_CONFIG, BusinessTime, clocks, outcome, sla_kpi
from ticket_reference import Facts, ticket_facts

from supportkpi.metrics.registry import all_metrics

BY_NAME = {d.name: d for d in DATASETS}


def case_id(selector: str, options: dict[str, Any], shape_id: str, engine: str) -> str:
    """``duckdb-fcr_rate[fcr=zendesk]-range``."""
    key = options_key(options)
    return f"{engine}-{selector}{f'[{key}]' if key else ''}-{shape_id}"


def reference_cases() -> list[Any]:
    """Every (registered metric, applicable shape, engine), data set by data set.

    Data set order keeps each data set's PySpark cases together (one Spark connection at a
    time); the metrics and their order come from the registry.
    """
    out = []
    for dataset in DATASETS:
        for metric in all_metrics():
            for selector, options, shape_id, engine in dataset.cases(metric.id):
                marks = [pytest.mark.spark] if engine == "pyspark" else []
                out.append(
                    pytest.param(
                        selector,
                        options,
                        shape_id,
                        engine,
                        dataset.name,
                        id=case_id(selector, options, shape_id, engine),
                        marks=marks,
                    )
                )
    return out


CASES = reference_cases()


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferencePool]:
    references = ReferencePool(lambda name: tmp_path_factory.mktemp(f"reference-{name}"))
    yield references
    references.close()


@pytest.mark.parametrize(("selector", "options", "shape", "engine", "dataset"), CASES)
def test_library_equals_reference(
    selector: str,
    options: dict[str, Any],
    shape: str,
    engine: str,
    dataset: str,
    pool: ReferencePool,
) -> None:
    data = BY_NAME[dataset]
    query = {**data.shapes[shape], "options": options} if options else dict(data.shapes[shape])
    expected = data.reference(pool.tables(data), selector, **query)
    actual = pool.connection(data, engine).kpi([selector], **query)
    name = selector.split(":")[0]
    assert_same_rows(
        actual,
        expected,
        result_keys(query, selector),
        check_n=name not in data.n_undefined,
        check_ci=True,
        drop_zero_values=name in data.zero_rows_optional,
        label=f"{engine} {selector} {shape}",
    )
    if data.must_exercise:
        assert len(actual[actual["n"] > 0]) > 0, f"{selector}: the random data exercise nothing"


# -- coverage -----------------------------------------------------------------------------------
def test_every_registered_kpi_has_a_reference() -> None:
    covered = {m for d in DATASETS for m in d.metrics}
    missing = [m.id for m in all_metrics() if m.id not in covered and m.id not in NO_REFERENCE_YET]
    assert missing == [], f"registered KPIs without a reference case: {', '.join(missing)}"


def test_every_reference_case_names_a_registered_kpi() -> None:
    registered = {m.id for m in all_metrics()}
    covered = {m for d in DATASETS for m in d.metrics}
    assert sorted(covered - registered) == []
    # An entry that now has a reference (or no longer exists) must leave NO_REFERENCE_YET.
    assert sorted(set(NO_REFERENCE_YET) & covered) == []
    assert sorted(set(NO_REFERENCE_YET) - registered) == []


def test_every_metric_runs_at_least_once_and_ids_are_unique() -> None:
    ran = {p.values[0].split(":")[0] for p in CASES}
    assert ran == {m for d in DATASETS for m in d.metrics}
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids))


def test_sla_reference_reproduces_the_hand_computed_answers() -> None:
    """The SLA reference is new: it must agree with test_sla's golden table first."""
    import test_golden_sla as test_sla

    for case in test_sla.CASES:
        got = sla_kpi(test_sla._tables(), case.metric, **case.query, config=test_sla.CONFIG)
        assert_same_rows(got, case.expected, list(case.query.get("by", [])), label=case.id)


# -- the data must hold every situation ---------------------------------------------------------
Tables = dict[str, pd.DataFrame]


def ticket_situations(tables: Tables) -> None:
    """Time travel, reopens, agent-initiated and event-less tickets, bots, notes, ..."""
    facts = ticket_facts(tables)
    events = tables["ticket_events"]

    def count(test: Any) -> int:
        return sum(1 for f in facts if test(f))

    def time_travel(f: Facts) -> bool:
        return f.first_solved_at is not None and f.first_solved_at < f.created_at

    assert count(lambda f: not f.has_events) >= 10
    assert count(lambda f: f.agent_initiated) >= 5
    assert count(lambda f: f.has_events and f.reopens >= 1) >= 20
    assert count(lambda f: f.has_events and f.first_solved_at and not f.last_solved_at) >= 5
    assert count(lambda f: f.has_events and f.first_response_at is None) >= 10
    assert count(time_travel) >= 5
    assert count(lambda f: f.escalated) >= 20
    assert count(lambda f: f.dims["segment"] is None and f.customer_id is not None) >= 10
    assert (events["actor_type"] == "bot").sum() >= 50
    assert (events["kind"] == "note").sum() >= 20
    assert (events["public"].isna() & (events["kind"] == "message")).sum() >= 50
    assert sum(f.dims["channel"] == "social" for f in facts) >= 20


def sla_situations(tables: Tables) -> None:
    """Each target of each policy is met and breached, each policy has running targets, and
    business time (not calendar time) decides some outcomes, at the shapes' report ends."""
    business = BusinessTime(SLA_CONFIG["business_hours"])
    seen: set[tuple[str, str, str]] = set()
    decided_by_business_time = 0
    for end in ("2024-04-15", "2024-05-27", "2024-06-01"):
        now = pd.Timestamp(end, tz="UTC")
        for clock in clocks(tables, SLA_CONFIG["sla"]):
            if clock.start <= now:
                result = outcome(clock, now, business)
                seen.add((clock.policy["name"], clock.target, result))
                if clock.policy.get("business_hours"):
                    calendar = replace(clock, policy={**clock.policy, "business_hours": False})
                    decided_by_business_time += outcome(calendar, now, business) != result
    for policy in SLA_CONFIG["sla"]:
        name = policy["name"]
        targets = [t for t in ("first_response", "next_response", "resolution") if t in policy]
        missing = [(t, r) for t in targets for r in ("met", "breached") if (name, t, r) not in seen]
        assert missing == [], f"{name}: no {missing}"
        assert any((name, t, "running") in seen for t in targets), f"{name}: nothing running"
    assert decided_by_business_time >= 5


def call_situations(tables: Tables) -> None:
    """Abandons at the thresholds, bad timestamps, unknown costs and teams, repeat callers."""
    calls = inbound_calls(tables)
    raw = tables["calls"]

    def count(test: Any) -> int:
        return sum(1 for c in calls if test(c))

    assert count(lambda c: c.short_abandon(5)) >= 10
    assert count(lambda c: not c.answered and c.wait == 5) >= 3  # exactly at the threshold
    assert count(lambda c: c.answered and c.wait == 20) >= 3
    assert count(lambda c: not c.answered and c.wait is None) >= 10  # no ended_at
    assert count(lambda c: c.answered and c.wait is None) >= 3  # answered before offered
    assert count(lambda c: c.answered and c.handle is None) >= 10
    assert count(lambda c: c.handle is not None and c.cost_per_s is None) >= 10
    assert count(lambda c: c.answered and c.dims["team"] is None) >= 10
    assert (raw["direction"] == "outbound").sum() >= 10
    assert raw["direction"].isna().sum() >= 50
    assert (raw["answered_at"].isna() & raw["talk_s"].notna()).sum() >= 3
    fcr = call_kpi(tables, "call_fcr_rate")
    assert 0.2 < float(fcr["value"].iloc[0]) < 0.9  # both repeated and first-call resolved
    activity = tables["agent_activity"]
    assert (activity["start_at"] == activity["end_at"]).sum() >= 10


SITUATIONS = {"tickets": ticket_situations, "sla": sla_situations, "calls": call_situations}


@pytest.mark.parametrize("dataset", sorted(SITUATIONS))
def test_generated_data_has_every_situation(dataset: str, pool: ReferencePool) -> None:
    """The comparison is only as good as the data: every tricky case must occur.

    The business data set's check is the per-case one in test_library_equals_reference (every
    case must have a row with n > 0).
    """
    SITUATIONS[dataset](pool.tables(BY_NAME[dataset]))
