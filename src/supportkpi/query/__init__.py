"""Queries over the metrics: the request model, the runner, aggregation and drill-down."""
