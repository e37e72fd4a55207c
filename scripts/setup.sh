#!/usr/bin/env bash
# Create .venv (if needed) and install supportkpi with the given extras, e.g. `scripts/setup.sh dev,spark`.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
stamp=".venv/.installed-${extras:-core}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  spec="."; [ -n "$extras" ] && spec=".[${extras}]"
  .venv/bin/python -m pip install --quiet -e "$spec"
  touch "$stamp"
fi
