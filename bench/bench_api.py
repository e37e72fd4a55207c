"""Benchmark: the overview API's latency against one plain DuckDB scan of the tickets table.

Workload (issue 7): 50 ``GET /api/kpi`` overview requests, each with different filters (date
range, channel, team, priority, segment), through FastAPI's TestClient in this process; then
the same 50 with every range moved by a week ("new values": shapes already compiled, answers
not cached, which is what a dashboard in use mostly sees); then the first 50 again, which the
answer cache answers. ``--compile-each`` turns off compiling once per shape, for comparison.
Figures are p50 and p95, and their ratio to the
median of 5 scans of the tickets table (``count``, ``avg`` of three timestamps, distinct
channels) on the same file in the same run.

    .venv/bin/python bench/bench_api.py                        # builds a 1M-ticket demo store
    .venv/bin/python bench/bench_api.py --db /tmp/demo.duckdb  # an existing store
    .venv/bin/python bench/bench_api.py --tickets 100000 --json
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

#: The overview tiles that take every ticket filter (calls and costs have other dimensions).
OVERVIEW = (
    "first_response_time:median",
    "resolution_time:median",
    "fcr_rate",
    "csat",
    "nps",
    "ces",
    "backlog",
    "ticket_volume",
    "reopen_rate",
    "escalation_rate",
)
FILTERS: tuple[dict[str, str], ...] = (
    {},
    {"where": "channel=email"},
    {"where": "channel=chat"},
    {"where": "channel=phone"},
    {"where": "team=billing"},
    {"where": "team=technical"},
    {"where": "priority=urgent"},
    {"where": "priority=high"},
    {"where": "segment=enterprise"},
    {"where": "segment=consumer"},
)
#: (from, to) pairs: the last 30 days, the last 90 days, a quarter, a month, half a year.
RANGES = (
    ("2026-10-01", "2026-10-31"),
    ("2026-08-02", "2026-10-31"),
    ("2026-07-01", "2026-10-01"),
    ("2026-06-01", "2026-07-01"),
    ("2026-04-01", "2026-10-01"),
)


def build(db: Path, tickets: int, seed: int) -> float:
    """Generate and load the demo store; return the seconds it took."""
    from supportkpi import demo
    from supportkpi.facts import open_store

    started = time.perf_counter()
    with open_store(db) as store:  # as `supportkpi demo`: with stored facts
        demo.load_demo(store, tickets, seed)
    return time.perf_counter() - started


def scan_seconds(db: Path, repeats: int = 5) -> float:
    """The median time of one plain DuckDB pass over the tickets table."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        con.execute(
            "SELECT count(*), avg(epoch(created_at)), avg(epoch(first_response_at)), "
            "avg(epoch(solved_at)), count(DISTINCT channel) FROM tickets"
        ).fetchall()
        times.append(time.perf_counter() - started)
    con.close()
    return statistics.median(times)


def requests(count: int) -> list[dict[str, Any]]:
    """``count`` overview queries, every one different (a weekly sparkline per tile)."""
    combos = itertools.islice(itertools.cycle(itertools.product(RANGES, FILTERS)), count)
    return [
        {"metric": list(OVERVIEW), "from": lo, "to": hi, "grain": "week", **extra}
        for (lo, hi), extra in combos
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def moved(queries: list[dict[str, Any]], days: int) -> list[dict[str, Any]]:
    """The same queries with their ranges ``days`` earlier."""
    from datetime import date, timedelta

    def shift(text: str) -> str:
        return (date.fromisoformat(text) - timedelta(days=days)).isoformat()

    return [{**q, "from": shift(q["from"]), "to": shift(q["to"])} for q in queries]


def wait_for_warm_up(limit_s: float = 600) -> float:
    """Seconds until the server's background warm-up of the dashboard has finished."""
    import threading

    started = time.perf_counter()
    while any(t.name == "warm-dashboard" for t in threading.enumerate()):
        if time.perf_counter() - started > limit_s:
            raise SystemExit("the dashboard's warm-up did not finish")
        time.sleep(0.1)
    return time.perf_counter() - started


def run(db: Path, count: int, compile_each: bool = False) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from supportkpi.engine.backends import DuckDBBackend
    from supportkpi.web import create_app

    if compile_each:
        DuckDBBackend.supports_templates = False
    scan = scan_seconds(db)
    queries = requests(count)
    phases = {"cold": queries, "new values": moved(queries, 7), "cached": queries}
    figures: dict[str, Any] = {"requests": count, "scan_ms": round(scan * 1000, 1)}
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        client.get("/api/kpi", params={"metric": "ticket_volume"})  # open the pool, warm imports
        # A server prepares the dashboard's views at start (and after each load): measure
        # the requests after that, as a visitor of a running server meets them.
        figures["warm_up_s"] = round(wait_for_warm_up(), 1)
        for phase, batch in phases.items():
            times = []
            for params in batch:
                started = time.perf_counter()
                response = client.get("/api/kpi", params=params)
                times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{params}: {response.text}")
            p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
            figures[phase] = {
                "p50_ms": round(p50 * 1000, 1),
                "p95_ms": round(p95 * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "p50_over_scan": round(p50 / scan, 3),
                "p95_over_scan": round(p95 / scan, 3),
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="An existing store (skips generation).")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument(
        "--compile-each", action="store_true", help="Compile every query afresh (no shapes)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_api_") as tmp:
        db = args.db
        figures: dict[str, Any] = {}
        if db is None:
            db = Path(tmp) / "demo.duckdb"
            figures["build_s"] = round(build(db, args.tickets, args.seed), 1)
            figures["tickets"] = args.tickets
        figures.update(run(db, args.requests, args.compile_each))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:>10}: {value}")


if __name__ == "__main__":
    main()
