"""Engines: run metric queries on DuckDB or PySpark through Ibis."""
