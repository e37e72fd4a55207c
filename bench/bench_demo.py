"""Benchmark the demo generator: time to generate and to load N tickets, and peak memory.

    .venv/bin/python bench/bench_demo.py                # 1,000,000 tickets into a temp file
    .venv/bin/python bench/bench_demo.py --tickets 200000 --json

Peak memory is the process's maximum resident set size (``resource.ru_maxrss``), which
includes DuckDB's own memory since it runs in-process.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from supportkpi import demo
from supportkpi.store import Store


def run(tickets: int, seed: int, db: Path) -> dict[str, float | int]:
    """Generate and load ``tickets`` tickets into ``db``; return the measured figures."""
    # Progress descriptions mark the phases: build steps, then "loading <table>", then "done".
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(done: int, total: int, description: str) -> None:
        marks.append((description, time.perf_counter()))

    with Store(db) as store:
        summaries = demo.load_demo(store, tickets, seed, progress=progress)
    finished = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    load_start = next(at for name, at in marks if name.startswith("loading"))
    figures: dict[str, float | int] = {
        "tickets": tickets,
        "ticket_events": summaries["ticket_events"].rows_in,
        "rows_total": sum(s.rows_in for s in summaries.values()),
        "generate_s": round(load_start - started, 2),
        "load_s": round(finished - load_start, 2),
        "total_s": round(finished - started, 2),
        "peak_rss_mib": round(peak_kib / 1024),
        "db_size_mib": round(db.stat().st_size / 2**20),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    # Seconds per table load (the last one includes the commit).
    for (name, at), (_, following) in itertools.pairwise(marks):
        if name.startswith("loading "):
            figures[name.replace("loading ", "load_s_")] = round(following - at, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = run(args.tickets, args.seed, Path(folder) / "bench.duckdb")
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:>26}: {value:,}")


if __name__ == "__main__":
    main()
