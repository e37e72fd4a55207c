#!/usr/bin/env bash
# The main job: set up, generate the demo store, print the KPI report, serve the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
db="${SUPPORTKPI_DEMO_DB:-demo/demo.duckdb}"
config="${SUPPORTKPI_CONFIG:-examples/config/supportkpi.toml}"
mkdir -p "$(dirname "$db")"
.venv/bin/supportkpi demo --db "$db" --tickets "${SUPPORTKPI_DEMO_TICKETS:-20000}"
.venv/bin/supportkpi report --db "$db" --config "$config"
# Serves on 127.0.0.1 (no token needed there); stop it with Ctrl-C.
exec .venv/bin/supportkpi serve --db "$db" --config "$config" --port "${SUPPORTKPI_PORT:-8000}"
