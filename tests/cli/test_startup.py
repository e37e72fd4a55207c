"""CLI start-up (issue 11, item 8): commands register without importing the heavy libraries.

Each check runs a fresh interpreter and asserts on the modules it loaded, not on wall time,
so it cannot flake on a busy machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from supportkpi.store import Store

#: Libraries that cost a large share of the old 3.3 s start-up; no command may need them
#: just to be registered or to print its help.
HEAVY = (
    "ibis",
    "duckdb",
    "pandas",
    "pyarrow",
    "numpy",
    "scipy",
    "fastapi",
    "uvicorn",
    "pyspark",
    "vaderSentiment",
    "holidays",
    "supportkpi.demo.generator",
)

# Runs the CLI in the child as the console script would, then reports what it imported.
_RUN_AND_REPORT = """
import json, sys
watched = json.loads(sys.argv[2])
sys.argv = ["supportkpi", *json.loads(sys.argv[1])]
from supportkpi.cli.main import main
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
sys.stderr.write("\\nMODULES " + json.dumps([m for m in watched if m in sys.modules]))
sys.exit(code)
"""


def _loaded(args: list[str], watched: tuple[str, ...] = HEAVY) -> tuple[int, str, list[str]]:
    """Run ``supportkpi ARGS`` in a new interpreter: its exit code, output and the watched
    modules it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT, json.dumps(args), json.dumps(watched)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    marker = proc.stderr.rpartition("\nMODULES ")[2]
    return proc.returncode, proc.stdout, json.loads(marker)


def test_importing_the_cli_loads_no_heavy_library() -> None:
    code = (
        "import json, sys; import supportkpi.cli.main; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(proc.stdout) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["kpi", "--help"],
        ["demo", "--help"],
        ["ingest", "--help"],
        ["serve", "--help"],
        ["staffing", "--help"],
        ["sla", "at-risk", "--help"],
        ["customers", "--help"],
    ],
    ids=lambda args: " ".join(args),
)
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    code, out, loaded = _loaded(args)
    assert code == 0 and "Usage" in out
    assert loaded == []


def test_console_script_help_exits_zero() -> None:
    script = Path(sys.executable).with_name("supportkpi")
    if not script.is_file():
        pytest.skip(f"no console script next to {sys.executable}")
    proc = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout and "kpi" in proc.stdout


def test_ticket_volume_loads_only_the_engine(tmp_path: Path) -> None:
    db = tmp_path / "startup.duckdb"
    created = [datetime(2024, 1, day, 9, tzinfo=UTC) for day in (1, 2, 3)]
    with Store(db) as store, store.transaction():
        store.upsert("tickets", pa.table({"ticket_id": ["t1", "t2", "t3"], "created_at": created}))
    not_needed = (
        "scipy",
        "fastapi",
        "uvicorn",
        "pyspark",
        "vaderSentiment",
        "supportkpi.demo.generator",
    )
    code, out, loaded = _loaded(
        ["kpi", "ticket_volume", "--db", str(db), "--format", "json"],
        watched=(*not_needed, "duckdb", "ibis"),
    )
    assert code == 0
    assert json.loads(out)["rows"][0]["value"] == 3
    # The engine is imported once a KPI runs, and nothing more than it needs.
    assert loaded == ["duckdb", "ibis"]
