#!/usr/bin/env bash
# Create .venv (if needed) and install supportkpi with the given extras, e.g. `scripts/setup.sh dev,spark`.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
# PDF reports render through WeasyPrint, which needs Debian's Pango; install it when we can.
pango_libs="$(ldconfig -p 2>/dev/null || true)"
if ! grep libpangoft2-1.0.so.0 <<<"$pango_libs" >/dev/null \
  || ! grep libharfbuzz-subset.so.0 <<<"$pango_libs" >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null; } \
      || echo "note: could not install Pango; PDF reports will not work" >&2
  else
    echo "note: PDF reports need Pango (Debian: apt-get install libpango-1.0-0" \
      "libpangoft2-1.0-0 libharfbuzz-subset0)" >&2
  fi
fi
stamp=".venv/.installed-${extras:-core}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  spec="."; [ -n "$extras" ] && spec=".[${extras}]"
  .venv/bin/python -m pip install --quiet -e "$spec"
  touch "$stamp"
fi
