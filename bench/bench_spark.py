"""Benchmark: the ticket KPI report on DuckDB, local-mode PySpark and Spark Connect.

The same Parquet folder (demo tickets with their events, as ``bench_kpi.py`` makes it) and the
same report (``bench_kpi.REPORT`` weekly by channel, then the daily backlog), each engine in
its own process so that the peak memory is its own. The Connect server is started from the
installed pyspark (local[2]) before its phase and stopped after; its JVM's peak memory is read
from /proc, as is local mode's (a child JVM of the Python process).

    .venv/bin/python bench/bench_spark.py --tickets 100000 --dir /tmp/bench_spark

Prints one JSON line per phase, then the ratios to DuckDB and the seconds per million tickets
that docs/spark.md extrapolates from.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_kpi import REPORT, generate

ENGINES = ("duckdb", "pyspark_local", "pyspark_connect")
#: One or two KPIs per family, for the shuffle count of their Spark plans (--plans).
FAMILY_KPIS = {
    "tickets: speed": (["first_response_time:median", "resolution_time:p90"], ["channel"]),
    "tickets: outcomes": (["ticket_volume", "fcr_rate", "reopen_rate"], ["channel"]),
    "tickets: backlog": (["backlog"], []),
    "surveys": (["csat", "nps"], []),
    "calls": (["service_level", "average_speed_of_answer"], []),
    "costs and customers": (["cost_per_resolution", "customer_retention_rate"], []),
    "self-service": (["bot_containment_rate", "kb_usage"], []),
}


def _peak_kb(pid: int) -> int:
    """A process's peak resident memory (VmHWM), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _child_pids() -> list[int]:
    pids = []
    for task in Path("/proc/self/task").iterdir():
        text = (task / "children").read_text().split()
        pids += [int(p) for p in text]
    return pids


def report(folder: Path, engine: str) -> dict[str, object]:
    """The report, timed in two stages: the weekly KPIs (which build the per-ticket facts) and
    the daily backlog (which reuses them)."""
    import supportkpi

    start = time.perf_counter()
    con = supportkpi.connect(str(folder), engine="duckdb" if engine == "duckdb" else "pyspark")
    opened = time.perf_counter()
    weekly = con.kpi(REPORT, grain="week", by=["channel"])
    weekly_done = time.perf_counter()
    backlog = con.kpi(["backlog"], grain="day")
    done = time.perf_counter()
    jvm_kb = max((_peak_kb(p) for p in _child_pids()), default=0)
    con.close()
    return {
        "rows": len(weekly) + len(backlog),
        "open_s": round(opened - start, 2),
        "weekly_s": round(weekly_done - opened, 2),
        "backlog_s": round(done - weekly_done, 2),
        "child_jvm_peak_mb": round(jvm_kb / 1024),
    }


#: What the physical plans are counted for: shuffles by key (joins, group-bys), shuffles into
#: one partition (a global aggregate), range shuffles (sorts, windows), broadcasts.
PLAN_NODES = {
    "hash_shuffles": r"Exchange hashpartitioning",
    "single_partition": r"Exchange SinglePartition",
    "range_shuffles": r"Exchange rangepartitioning",
    "broadcasts": r"BroadcastExchange",
    "windows": r"\bWindow \[",
}


def own_plan(plan: str) -> str:
    """A physical plan without the plans of the persisted results it reads: Spark prints those
    under each ``InMemoryRelation``, and they were counted where they were built."""
    kept, skip_below = [], None
    for line in plan.splitlines():
        depth = len(line) - len(line.lstrip(" :+-"))
        if skip_below is not None and depth > skip_below:
            continue
        skip_below = depth if "InMemoryRelation" in line else None
        kept.append(line)
    return "\n".join(kept)


def plans(folder: Path) -> dict[str, object]:
    """Shuffles and broadcasts in the physical plans Spark makes for each family's KPIs (a
    fresh connection each): the statements that build the per-ticket facts, then the KPI
    statements that read them."""
    import re

    import supportkpi

    out: dict[str, object] = {}
    for family, (metrics, by) in FAMILY_KPIS.items():
        con = supportkpi.connect(str(folder), engine="pyspark")
        backend, session = con.backend, con.backend.con._session
        seen: list[tuple[str, str]] = []

        def explain(
            kind: str,
            expr: object,
            backend: object = backend,
            session: object = session,
            seen: list[tuple[str, str]] = seen,
        ) -> None:
            backend.con._run_pre_execute_hooks(expr)  # type: ignore[attr-defined]
            sql = backend.con.compile(expr)  # type: ignore[attr-defined]
            plan = session.sql("EXPLAIN " + sql).collect()[0][0]  # type: ignore[attr-defined]
            seen.append((kind, own_plan(plan)))

        run, materialize = backend.execute, backend.materialize
        backend.execute = lambda expr, run=run: (explain("query", expr), run(expr))[1]
        backend.materialize = lambda e, m=materialize: (explain("facts", e), m(e))[1]
        con.kpi(metrics, grain="week", by=by)
        counts = {}
        for kind in ("facts", "query"):
            trees = [tree for k, tree in seen if k == kind]
            counts[kind] = {
                "statements": len(trees),
                **{
                    label: sum(len(re.findall(pattern, tree)) for tree in trees)
                    for label, pattern in PLAN_NODES.items()
                },
            }
        out[family] = counts
        con.close()
    return out


def run_phase(engine: str, folder: Path, env: dict[str, str]) -> dict[str, object]:
    command = [sys.executable, __file__, "--phase", engine, "--dir", str(folder)]
    proc = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, **env}
    )
    if proc.returncode:
        raise SystemExit(f"phase {engine} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["engine"] = engine
    return result


def run_connect(folder: Path) -> dict[str, object]:
    from supportkpi.engine.spark_server import free_port, start_server, stop_server

    port = free_port()
    server = start_server(port, folder / "connect-server.log")
    try:
        result = run_phase("pyspark_connect", folder, {"SPARK_REMOTE": f"sc://127.0.0.1:{port}"})
        result["server_jvm_peak_mb"] = round(_peak_kb(server.pid) / 1024) or _server_peak(
            server.pid
        )
    finally:
        stop_server(server)
    return result


def _server_peak(launcher: int) -> int:
    """The server JVM is a child of spark-submit's shell: the largest peak in its group."""
    peaks = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getpgid(int(proc.name)) == launcher:
                    peaks.append(_peak_kb(int(proc.name)))
            except OSError:
                continue
    return round(max(peaks, default=0) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/supportkpi_bench_spark"))
    parser.add_argument("--phase", choices=ENGINES)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--plans", action="store_true", help="count the shuffles per family")
    args = parser.parse_args()
    if args.plans:
        print(json.dumps(plans(args.dir), indent=1))
        return
    if args.phase:
        import supportkpi.api  # noqa: F401  (imports are not the work being timed)

        start = time.perf_counter()
        info = report(args.dir, args.phase)
        info["seconds"] = round(time.perf_counter() - start, 2)
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent process.
        info["python_peak_mb"] = round(_peak_kb(os.getpid()) / 1024)
        print(json.dumps(info))
        return
    if not (args.dir / "tickets.parquet").exists():
        print(json.dumps({"generated": generate(args.dir, args.tickets)}), flush=True)
    results = {}
    for engine in args.engines.split(","):
        env = {"SPARK_REMOTE": ""} if engine == "pyspark_local" else {}
        results[engine] = (
            run_connect(args.dir)
            if engine == "pyspark_connect"
            else run_phase(engine, args.dir, env)
        )
        print(json.dumps(results[engine]), flush=True)
    base = results.get("duckdb")
    for engine, result in results.items():
        per_million = 1e6 * float(str(result["seconds"])) / args.tickets
        ratio = (
            f" = {float(str(result['seconds'])) / float(str(base['seconds'])):.1f}x DuckDB"
            if base
            else ""
        )
        print(
            f"{engine}: {result['seconds']} s{ratio} ({per_million:.1f} s per million tickets); "
            f"python peak {result['python_peak_mb']} MB"
        )


if __name__ == "__main__":
    main()
