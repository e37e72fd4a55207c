"""The one golden-case harness: a query on a small data set and the rows it must return,
computed by hand. Every KPI family's golden table is a list of :class:`Golden` cases.

Each family module ``supportkpi/metrics/<family>.py`` has its table in
``tests/kpis/test_golden_<family>.py``; those files only hold data, cases and two short test
functions, because the running and the comparing live here, once for all families.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from kpi_support import Connections, assert_same_rows, result_keys
from scipy.stats import t as student_t

if TYPE_CHECKING:
    from supportkpi.api import Connection

Tables = dict[str, pd.DataFrame]
#: The data sets of a family's cases: name -> a function building the tables.
DataSets = Mapping[str, Callable[[], Tables]]
#: An independent reference: ``(tables, metric, **query)`` -> a result in the library's shape.
Reference = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class Golden:
    """One query on one data set and the rows it must return (computed by hand)."""

    id: str
    data: str
    metric: str
    query: dict[str, Any]
    expected: list[dict[str, Any]]
    spark: bool = False  # also on PySpark (a representative subset: Spark is slow)
    options: dict[str, Any] = field(default_factory=dict)  # metric options of the query
    check_n: bool = True
    drop_zero_values: bool = False  # rows whose value is 0 may be absent


def row(value: float | None, n: int, **keys: Any) -> dict[str, Any]:
    """An expected row: the value, its n and its keys (period, dimensions)."""
    return {"value": value, "n": n, **keys}


def mean_row(xs: list[float]) -> dict[str, Any]:
    """Mean with its Student t interval: mean ± t(0.975, n-1) · s / sqrt(n)."""
    n, mean, sd = len(xs), statistics.fmean(xs), statistics.stdev(xs)
    half = float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return {"value": mean, "n": n, "ci_low": mean - half, "ci_high": mean + half}


# -- running -----------------------------------------------------------------------------------
def golden_query(case: Golden) -> dict[str, Any]:
    """The ``kpi(...)`` keywords of a case: its query, plus its ``options`` when it has any."""
    return {**case.query, "options": case.options} if case.options else dict(case.query)


def check_golden(result: pd.DataFrame, case: Golden, label: str) -> None:
    """Assert ``result`` holds the case's rows: keys, values, n (unless not checked), CIs."""
    assert_same_rows(
        result,
        case.expected,
        result_keys(case.query, case.metric),
        check_n=case.check_n,
        check_ci=True,
        drop_zero_values=case.drop_zero_values,
        label=f"{label} {case.id}",
    )


def run_golden_on(con: Connection, case: Golden, label: str) -> None:
    """Run a case on an open connection: for families whose connection needs settings
    (the SLA policies) that :class:`Connections` does not pass."""
    check_golden(con.kpi([case.metric], **golden_query(case)), case, label)


def run_golden(case: Golden, engine: str, connections: Connections) -> None:
    """Run a case on ``engine`` over its data set's store and compare with the hand answer."""
    run_golden_on(connections.get(case.data, engine), case, engine)


def run_reference(case: Golden, datasets: DataSets, reference: Reference) -> None:
    """The pandas reference must reproduce every hand-computed answer too: this keeps it
    honest before it is trusted to check the library on random data."""
    tables = datasets[case.data]()
    check_golden(reference(tables, case.metric, **golden_query(case)), case, "reference")


def connections_fixture(datasets: DataSets, name: str) -> Any:
    """A module-scoped ``connections`` fixture over a family's data sets; a family file binds
    it as ``connections = connections_fixture(DATASETS, "<family>")``."""

    @pytest.fixture(scope="module")
    def connections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connections]:
        pool = Connections(tmp_path_factory.mktemp(f"golden-{name}"), dict(datasets))
        yield pool
        pool.close()

    return connections
