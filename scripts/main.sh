#!/usr/bin/env bash
# The main job: set up, generate the demo store, print the KPI report (and serve the dashboard).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
db="${SUPPORTKPI_DEMO_DB:-demo/demo.duckdb}"
mkdir -p "$(dirname "$db")"
.venv/bin/supportkpi demo --db "$db" --tickets "${SUPPORTKPI_DEMO_TICKETS:-20000}"
.venv/bin/supportkpi report --db "$db"
