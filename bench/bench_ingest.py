"""Benchmark: ``ingest_file`` on a ~1M-row tickets CSV against DuckDB's own ``read_csv``.

    .venv/bin/python bench/bench_ingest.py [--rows 1000000] [--keep DIR]

Both loads run in fresh child processes on the same generated file, so each peak memory
(``ru_maxrss``) is its own. DuckDB's ``read_csv`` only parses and stores; ``ingest_file``
also validates every cell, checks keys, upserts with counts, and logs the load, so the ratio
is the price of those guarantees.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHANNELS = ("email", "chat", "phone", "web", "social")
STATUSES = ("open", "pending", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A tickets export with every column filled the way help desks export them."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(
            "ticket_id,created_at,channel,customer_id,assignee_id,team,priority,status,"
            "subject,first_response_at,solved_at,reopens,escalated\n"
        )
        for i in range(rows):
            day, hour, minute = 1 + i % 28, rng.randrange(24), rng.randrange(60)
            created = f"2024-03-{day:02d} {hour:02d}:{minute:02d}:00"
            answered = f"2024-03-{day:02d} {hour:02d}:{minute:02d}:30"
            solved = f"2024-04-{day:02d} {hour:02d}:00:00" if i % 3 else ""
            fh.write(
                f"T{i},{created},{rng.choice(CHANNELS)},C{rng.randrange(100_000)},"
                f"A{rng.randrange(300)},team{rng.randrange(12)},{rng.choice(PRIORITIES)},"
                f"{rng.choice(STATUSES)},Subject number {i},{answered},{solved},"
                f"{rng.randrange(3)},{rng.choice(('true', 'false'))}\n"
            )


def measure(kind: str, csv_path: Path, db_path: Path) -> dict[str, float]:
    """Run one load in this process; return seconds and peak RSS in MiB."""
    started = time.perf_counter()
    if kind == "ingest":
        from supportkpi.ingest import ingest_file
        from supportkpi.store import Store

        with Store(db_path) as store:
            summary = ingest_file(store, "tickets", csv_path)
        rows = summary.inserted
    else:
        import duckdb

        con = duckdb.connect(str(db_path))
        con.execute("CREATE TABLE tickets AS SELECT * FROM read_csv(?)", [str(csv_path)])
        rows = con.execute("SELECT count(*) FROM tickets").fetchone()[0]  # type: ignore[index]
        con.close()
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "peak_mib": peak_mib, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Directory for the files (default: temp).")
    parser.add_argument("--measure", choices=("ingest", "duckdb"), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # child process
        print(json.dumps(measure(args.measure, args.csv, args.db)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        csv_path = work / "tickets_bench.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows)
        size_mib = csv_path.stat().st_size / 2**20
        print(f"generated {args.rows:,} rows ({size_mib:.0f} MiB) in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        results = {}
        for kind in ("duckdb", "ingest"):
            db = work / f"{kind}.duckdb"
            db.unlink(missing_ok=True)
            out = subprocess.run(
                [sys.executable, __file__, "--measure", kind, "--csv", str(csv_path),
                 "--db", str(db)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            results[kind] = json.loads(out.stdout.strip().splitlines()[-1])
            r = results[kind]
            print(f"{kind:>7}: {r['seconds']:6.2f} s, {r['rows']:,} rows, "
                  f"peak RSS {r['peak_mib']:,.0f} MiB")  # fmt: skip
        ratio = results["ingest"]["seconds"] / results["duckdb"]["seconds"]
        print(f"ingest_file / read_csv time ratio: {ratio:.1f}x")


if __name__ == "__main__":
    main()
