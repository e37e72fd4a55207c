"""Helpers of the Spark Connect tests: the KPI test modules they reuse, and settings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from supportkpi.config.settings import Settings
from supportkpi.engine.spark_settings import SparkSettings

KPI_TESTS = Path(__file__).parents[1] / "kpis"


def kpi_test_module(name: str) -> ModuleType:
    """``tests/kpis/<name>.py``, loaded under its own name for reuse of its cases (its tests
    are not collected from here)."""
    spec = importlib.util.spec_from_file_location(f"connect_{name}", KPI_TESTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_connect(url: str, **spark: object) -> Settings:
    """Default settings, with Spark on the Connect server at ``url``."""
    return Settings(spark=SparkSettings(remote=url, **spark))  # type: ignore[arg-type]
