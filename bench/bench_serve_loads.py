"""Benchmark: loads while the server serves (issue 13, "load under traffic").

A real `supportkpi serve` process on a store, a client sending about 10 overview requests a
second (`/api/kpi`, varied filters, so most miss the cache), and 20 `supportkpi ingest` runs
of new tickets from another process. Reported: failed requests, p50/p95 latency before and
during the loads, each load's wall time, and how long after each commit the API showed it.

    .venv/bin/python bench/bench_serve_loads.py --db /tmp/bench_kpi/store.duckdb
    .venv/bin/python bench/bench_serve_loads.py --tickets 100000   # builds a demo store
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

CLI = str(Path(sys.executable).with_name("supportkpi"))
METRICS = ("ticket_volume", "first_response_time:median", "fcr_rate", "backlog", "reopen_rate")
WHERE = ("", "channel=email", "channel=chat", "priority=high", "channel=web")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=120) as answer:
        return dict(json.load(answer))


def volume(base: str) -> int:
    rows = get(f"{base}/api/kpi?metric=ticket_volume")["rows"]
    return int(rows[0]["n"])  # type: ignore[index]


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--per-load", type=int, default=500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    db = work / "store.duckdb"
    if args.db:
        shutil.copy(args.db, db)
    else:
        subprocess.run([CLI, "demo", "--db", str(db), "--tickets", str(args.tickets)], check=True,
                       capture_output=True)  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([CLI, "serve", "--db", str(db), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    while True:
        try:
            start_count = volume(base)
            break
        except OSError:
            time.sleep(0.3)
    latencies: dict[str, list[float]] = {"before": [], "during": []}
    failures: list[str] = []
    phase = ["before"]
    stop = threading.Event()

    def traffic() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            query = {"metric": METRICS[i % len(METRICS)], "from": f"2024-{1 + i % 12:02d}-01"}
            if WHERE[i % len(WHERE)]:
                query["where"] = WHERE[i % len(WHERE)]
            started = time.monotonic()
            try:
                get(f"{base}/api/kpi?{urllib.parse.urlencode(query)}")
                latencies[phase[0]].append(time.monotonic() - started)
            except Exception as exc:
                failures.append(repr(exc))
            time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))

    client = threading.Thread(target=traffic)
    client.start()
    time.sleep(10)
    phase[0] = "during"
    load_seconds, visible_after = [], []
    expected = start_count
    for load in range(args.loads):
        csv = work / f"load{load}.csv"
        rows = [
            f"B{load}-{i},2024-06-{1 + i % 28:02d}T10:00:00Z,email" for i in range(args.per_load)
        ]
        csv.write_text("ticket_id,created_at,channel\n" + "\n".join(rows) + "\n")
        started = time.monotonic()
        subprocess.run([CLI, "ingest", "tickets", str(csv), "--db", str(db)], check=True,
                       capture_output=True)  # fmt: skip
        committed = time.monotonic()
        load_seconds.append(committed - started)
        expected += args.per_load
        while volume(base) != expected:
            time.sleep(0.05)
        visible_after.append(time.monotonic() - committed)
    stop.set()
    client.join()
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(work)
    print(json.dumps({
        "store_tickets": start_count,
        "loads": args.loads,
        "failed_requests": len(failures),
        "requests_before": len(latencies["before"]),
        "requests_during": len(latencies["during"]),
        "p50_ms_before": p(latencies["before"], 0.5),
        "p95_ms_before": p(latencies["before"], 0.95),
        "p50_ms_during": p(latencies["during"], 0.5),
        "p95_ms_during": p(latencies["during"], 0.95),
        "load_seconds_median": round(statistics.median(load_seconds), 2),
        "visible_after_commit_s_max": round(max(visible_after), 2),
    }, indent=1))  # fmt: skip
    if failures:
        print("first failures:", failures[:3])


if __name__ == "__main__":
    main()
