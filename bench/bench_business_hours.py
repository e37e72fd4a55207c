"""Benchmark: business-hours first response time against the calendar-time version (issue 4).

1M tickets (first response within 0-72 h) as Parquet; the same query with and without
``business_hours`` in one run, with a German schedule (split Tuesday, holidays). Goal: <= 2x.

    .venv/bin/python bench/bench_business_hours.py --tickets 1000000
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import supportkpi
from supportkpi.config.settings import parse_settings
from supportkpi.store import Store

CONFIG = {
    "timezone": "Europe/Berlin",
    "business_hours": {
        "timezone": "Europe/Berlin",
        "holidays_country": "DE",
        "week": {
            "mon": ["09:00-17:00"], "tue": ["09:00-12:00", "13:00-17:00"],
            "wed": ["09:00-17:00"], "thu": ["09:00-17:00"], "fri": ["09:00-17:00"],
        },
        "teams": {"ny": {"timezone": "America/New_York", "holidays_country": "US"}},
    },
}  # fmt: skip


def build(folder: Path, tickets: int) -> None:
    rng = np.random.default_rng(1)
    start = pd.Timestamp("2024-01-01", tz="UTC").value // 10**9
    created = start + rng.integers(0, 365 * 86400, tickets)
    frt = rng.lognormal(np.log(4 * 3600), 1.0, tickets).clip(60, 72 * 3600).astype("int64")
    table = pa.table({
        "ticket_id": [f"t{i}" for i in range(tickets)],
        "created_at": pd.to_datetime(created, unit="s", utc=True),
        "channel": rng.choice(["email", "chat", "phone"], tickets),
        "team": rng.choice(["billing", "ny", "technical"], tickets),
        "first_response_at": pd.to_datetime(created + frt, unit="s", utc=True),
    })  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(folder / "bench.duckdb")
    with store.transaction():
        store.upsert("tickets", table)
    store.export(folder / "parquet")
    store.close()


def timed(con: supportkpi.api.Connection, business: bool, repeat: int = 3) -> tuple[float, float]:
    best, value = float("inf"), 0.0
    for _ in range(repeat):
        began = time.perf_counter()
        frame = con.kpi(["first_response_time:median"], grain="month", business_hours=business)
        best = min(best, time.perf_counter() - began)
        value = float(frame["value"].median())
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/supportkpi_bench_bh"))
    args = parser.parse_args()
    if not (args.dir / "parquet" / "tickets.parquet").exists():
        build(args.dir, args.tickets)
    con = supportkpi.connect(str(args.dir / "parquet"), config=parse_settings(CONFIG))
    timed(con, False, 1)  # warm-up: builds and caches the calendar table
    timed(con, True, 1)
    calendar_s, calendar_v = timed(con, False)
    business_s, business_v = timed(con, True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tickets: {args.tickets:,}")
    print(f"calendar-time FRT by month: {calendar_s:.2f} s (median of months {calendar_v:.0f} s)")
    print(f"business-time FRT by month: {business_s:.2f} s (median of months {business_v:.0f} s)")
    print(f"ratio business / calendar: {business_s / calendar_s:.2f}x; peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
