"""Benchmark: CLI start-up against a bare ``import typer``, and one KPI on a 5,000-ticket store.

Workload (issue 11, item 8): ``supportkpi --help`` should start in under 5x a bare
``python -c "import typer"``, and ``supportkpi kpi ticket_volume`` on a 5,000-ticket store in
under 1.5 s. Every command runs as its own process, several times; the figures are medians of
wall time, and each command's peak memory is the largest resident set of its processes.

    .venv/bin/python bench/bench_startup.py --repeat 7 --db /tmp/s5k.duckdb
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The console script sits next to the interpreter in the venv.
CLI = str(Path(sys.executable).with_name("supportkpi"))
FLOOR = (
    "import ibis, pandas; "
    "ibis.duckdb.connect({db!r}, read_only=True).table('tickets').count().execute()"
)


def commands(db: Path) -> dict[str, list[str]]:
    """The measured command lines, by name; the first one is the baseline of the ratios."""
    return {
        "import_typer": [sys.executable, "-c", "import typer"],
        "help": [CLI, "--help"],
        "kpi_ticket_volume": [CLI, "kpi", "ticket_volume", "--db", str(db), "--format", "json"],
        # The floor of any KPI command: the engine's own imports and one query through Ibis.
        "floor_ibis_duckdb": [sys.executable, "-c", FLOOR.format(db=str(db))],
    }


def run_once(argv: list[str]) -> tuple[float, int]:
    """Run one command; return its wall time (s) and peak resident set (KiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the max over all children.
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss  # KiB on Linux


def ensure_store(db: Path, tickets: int) -> None:
    """Make the demo store once; its load time is not part of the benchmark."""
    if db.is_file():
        return
    subprocess.run(
        [CLI, "demo", "--db", str(db), "--tickets", str(tickets)],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def measure(argv: list[str], repeat: int) -> dict[str, float]:
    run_once(argv)  # a warm-up run, so the page cache holds the interpreter and the store
    runs = [run_once(argv) for _ in range(repeat)]
    return {
        "median_s": round(statistics.median(s for s, _ in runs), 3),
        "min_s": round(min(s for s, _ in runs), 3),
        "peak_rss_mib": round(max(kib for _, kib in runs) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/supportkpi_bench_startup.duckdb"))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    ensure_store(args.db, args.tickets)
    results = {name: measure(argv, args.repeat) for name, argv in commands(args.db).items()}
    base = results["import_typer"]["median_s"]
    for figures in results.values():
        figures["x_import_typer"] = round(figures["median_s"] / base, 1)
    load_average = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps({"commands": results, "load_average_1min": load_average}))
        return
    for name, figures in results.items():
        print(
            f"{name:>18}: median {figures['median_s']:.3f} s (min {figures['min_s']:.3f} s) = "
            f"{figures['x_import_typer']:.1f}x bare typer; peak {figures['peak_rss_mib']} MiB"
        )
    print(f"load average (1 min): {load_average}")


if __name__ == "__main__":
    main()
