"""The reference suite's PySpark subset (``reference_data``'s ``spark`` shapes), on a real
Spark Connect server: each KPI against its independent pandas reference on seeded random data.

The cases and the test body are ``tests/kpis/test_reference.py``'s; only the server differs
(``SPARK_REMOTE``, as a user would point the engine at one). Within the suite's time budget the
first case of each data set runs; ``SUPPORTKPI_CONNECT_REFERENCE=all`` runs all 26 (measured:
all pass).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from connect_support import kpi_test_module
from reference_data import ReferencePool

REFERENCE = kpi_test_module("test_reference")
SPARK_CASES = [case for case in REFERENCE.CASES if case.values[3] == "pyspark"]
FIRST_PER_DATASET = list({case.values[4]: case for case in reversed(SPARK_CASES)}.values())[::-1]
EVERY_CASE = os.environ.get("SUPPORTKPI_CONNECT_REFERENCE") == "all"
CASES = SPARK_CASES if EVERY_CASE else FIRST_PER_DATASET


@pytest.fixture(scope="module")
def pool(connect_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferencePool]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPARK_REMOTE", connect_url)
        references = ReferencePool(lambda name: tmp_path_factory.mktemp(f"connect-ref-{name}"))
        yield references
        references.close()


@pytest.mark.parametrize(("selector", "options", "shape", "engine", "dataset"), CASES)
def test_connect_equals_reference(
    selector: str,
    options: dict[str, Any],
    shape: str,
    engine: str,
    dataset: str,
    pool: ReferencePool,
) -> None:
    REFERENCE.test_library_equals_reference(selector, options, shape, engine, dataset, pool)
