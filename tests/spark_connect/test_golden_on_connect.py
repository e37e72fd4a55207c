"""The golden tables of every KPI family, run on a real Spark Connect server.

The cases are the families' own (``tests/kpis/test_golden_<family>.py``: the same data sets,
queries and hand-computed answers that DuckDB must return), read from those modules, not
copied. Each data set is exported to Parquet, as a user would, and read by the server.

Which cases run is a budget (the suite's Connect tests should add about two minutes on two
cores; a case takes 2 to 4 s there). ``SUPPORTKPI_CONNECT_GOLDEN`` chooses:

- unset: the first two cases of each family that it marks ``spark=True``, and the first SLA
  case: 17 cases, one or two per family;
- ``spark``: every ``spark=True`` case (the local-mode subset) and every SLA case: 47;
- ``all``: all 159 (about six minutes on two busy cores; measured: all pass).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from connect_support import kpi_test_module
from golden import Golden, run_golden_on
from kpi_support import make_source

import supportkpi
from supportkpi.config.settings import Settings, parse_settings
from supportkpi.engine.spark_settings import SparkSettings

FAMILIES = (
    "agents", "calls", "costs", "customers", "self_service", "surveys", "sla",
    "tickets_outcomes", "tickets_speed",
)  # fmt: skip


MODULES = {name: kpi_test_module(f"test_golden_{name}") for name in FAMILIES}


def _datasets(module: ModuleType) -> dict[str, Any]:
    # The SLA family has one data set (and its policies) instead of a DATASETS table.
    return getattr(module, "DATASETS", None) or {"sla": module._tables}


CHOICE = os.environ.get("SUPPORTKPI_CONNECT_GOLDEN", "")
PER_FAMILY = 2


def _chosen(family: str, cases: list[Golden]) -> list[Golden]:
    if CHOICE == "all":
        return cases
    # The SLA family marks none: local mode runs it in full through its own fixture.
    spark = cases if family == "sla" else [c for c in cases if c.spark]
    if CHOICE == "spark":
        return spark
    return spark[:1] if family == "sla" else spark[:PER_FAMILY]


PARAMS = [
    pytest.param(family, case, id=f"{family}-{case.id}")
    for family, module in MODULES.items()
    for case in _chosen(family, module.CASES)
]


class ConnectPool:
    """One Parquet export and one connection per (family, data set), on the Connect server."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        self.open: dict[tuple[str, str], supportkpi.api.Connection] = {}

    def get(self, family: str, data: str) -> supportkpi.api.Connection:
        if (family, data) not in self.open:
            module = MODULES[family]
            tables = _datasets(module)[data]()
            source = make_source(self.root / f"{family}-{data}", tables, "pyspark")
            config = getattr(module, "CONFIG", None)
            base = parse_settings(config) if config else Settings()
            settings = replace(base, spark=SparkSettings(remote=self.url))
            self.open[family, data] = supportkpi.connect(source, "pyspark", config=settings)
        return self.open[family, data]

    def close(self) -> None:
        for con in self.open.values():
            con.close()


@pytest.fixture(scope="module")
def pool(connect_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectPool]:
    connections = ConnectPool(tmp_path_factory.mktemp("golden-connect"), connect_url)
    yield connections
    connections.close()


@pytest.mark.parametrize(("family", "case"), PARAMS)
def test_connect_matches_hand_computed_answer(family: str, case: Golden, pool: ConnectPool) -> None:
    run_golden_on(pool.get(family, case.data), case, "connect")
