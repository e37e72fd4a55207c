"""Every survey, customer, cost and self-service KPI against the independent pandas reference.

The data are seeded and random (``business_reference.random_tables``): customers who join and
leave at any time, tickets with and without event histories, bots, sentiments, angry tags,
surveys sent and answered, orders, calls, knowledge-base sessions, costs with gaps (labor cost
fills them) and a cost period straddling months. Each KPI is compared on a few query shapes:
a range, a monthly grain with a breakdown, and weeks in Berlin time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from business_reference import FAMILIES, business_kpi, random_tables
from kpi_support import assert_same_rows, make_source

import supportkpi
from supportkpi.metrics.registry import get_metric

METRICS = sorted(FAMILIES)
RANGE = {"start": "2024-01-15", "end": "2024-05-20"}


def _queries(metric: str) -> list[dict[str, Any]]:
    dims = get_metric(metric).dimensions
    by = "segment" if "segment" in dims else ("team" if "team" in dims else None)
    monthly: dict[str, Any] = {"start": "2024-01-01", "end": "2024-07-01", "grain": "month"}
    if by:
        monthly["by"] = [by]
    return [
        RANGE,
        monthly,
        {"start": "2024-02-05", "end": "2024-04-01", "grain": "week", "tz": "Europe/Berlin"},
    ]


CASES = [(m, i) for m in METRICS for i in range(3)]


@pytest.fixture(scope="module")
def data() -> Any:
    return random_tables(seed=7)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory, data: Any) -> Iterator[Any]:
    source = make_source(tmp_path_factory.mktemp("business-ref"), data, "duckdb")
    with supportkpi.connect(source) as connection:
        yield connection


@pytest.mark.parametrize(("metric", "shape"), CASES, ids=[f"{m}-{i}" for m, i in CASES])
def test_library_matches_reference(metric: str, shape: int, con: Any, data: Any) -> None:
    query = _queries(metric)[shape]
    got = con.kpi([metric], **query)
    want = business_kpi(data, metric, **query)
    keys = (["period"] if query.get("grain") else []) + list(query.get("by") or [])
    assert_same_rows(got, want, keys, check_ci=True, label=f"{metric} {query}")
    assert len(got[got["n"] > 0]) > 0, f"{metric}: the random data exercise nothing"


@pytest.mark.spark
@pytest.mark.parametrize(
    "metric", ["csat", "nps", "asat", "customer_churn_rate", "cost_per_resolution",
               "angry_customer_rate"]
)  # fmt: skip
def test_pyspark_matches_reference(
    metric: str, data: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    source = make_source(tmp_path_factory.mktemp(f"spark-{metric}"), data, "pyspark")
    query = _queries(metric)[1]
    with supportkpi.connect(source, engine="pyspark") as spark:
        got = spark.kpi([metric], **query)
    want = business_kpi(data, metric, **query)
    keys = ["period", *list(query.get("by") or [])]
    assert_same_rows(got, want, keys, check_ci=True, label=f"pyspark {metric}")
