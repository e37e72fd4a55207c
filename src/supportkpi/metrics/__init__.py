"""The KPI catalogue: one module per family, registered in :mod:`registry`."""

from supportkpi.metrics.registry import (
    REGISTRY,
    Aggregation,
    Kind,
    Metric,
    Unit,
    all_metrics,
    get_metric,
)

__all__ = ["REGISTRY", "Aggregation", "Kind", "Metric", "Unit", "all_metrics", "get_metric"]
