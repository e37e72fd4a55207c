#!/usr/bin/env bash
# The whole test suite: set up, lint, type-check, then pytest on DuckDB and (with Java) PySpark.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev,spark,shifts
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
if ! command -v java >/dev/null 2>&1; then
  echo "note: java not found; the PySpark engine tests will be skipped (install Java 17 to run them)"
fi
# Two workers (SUPPORTKPI_TEST_WORKERS to change; 0 runs in this process); the Spark tests
# share one of them (tests/conftest.py).
.venv/bin/python -m pytest -q -n "${SUPPORTKPI_TEST_WORKERS:-2}" --dist loadgroup "$@"
