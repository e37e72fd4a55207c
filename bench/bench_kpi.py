"""Benchmark: the full ticket KPI report against a plain DuckDB scan and a pandas version.

Workload (issue 3): demo tickets with their events as Parquet; the report is weekly x channel
first response and resolution time (median and p90), volume and FCR, plus the daily backlog
over the whole range. Each phase runs in its own process so that its peak memory is its own.

    .venv/bin/python bench/bench_kpi.py --tickets 5000000 --dir /tmp/bench_kpi
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPORT = [
    "first_response_time:median",
    "first_response_time:p90",
    "resolution_time:median",
    "resolution_time:p90",
    "ticket_volume",
    "fcr_rate",
]


def generate(folder: Path, tickets: int) -> dict[str, object]:
    import pyarrow.parquet as pq

    from supportkpi.demo.generator import build_tables

    folder.mkdir(parents=True, exist_ok=True)
    tables = build_tables(tickets=tickets, seed=7)
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
    return {"tickets": tables["tickets"].num_rows, "events": tables["ticket_events"].num_rows}


def scan(folder: Path) -> dict[str, object]:
    """The floor: one plain DuckDB pass over the columns the report reads."""
    import duckdb

    con = duckdb.connect()
    t, e = str(folder / "tickets.parquet"), str(folder / "ticket_events.parquet")
    con.execute(
        "SELECT count(*), avg(epoch(created_at)), avg(epoch(first_response_at)), "
        "avg(epoch(solved_at)), count(DISTINCT channel) FROM read_parquet(?)",
        [t],
    ).fetchall()
    con.execute(
        'SELECT count(*), avg(epoch("at")), count(DISTINCT kind), count(DISTINCT actor_type), '
        "count(public), count(status), count(DISTINCT ticket_id) FROM read_parquet(?)",
        [e],
    ).fetchall()
    return {}


def supportkpi_report(folder: Path, engine: str = "duckdb") -> dict[str, object]:
    import supportkpi

    con = supportkpi.connect(str(folder), engine=engine)
    weekly = con.kpi(REPORT, grain="week", by=["channel"])
    backlog = con.kpi(["backlog"], grain="day")
    return {"rows": len(weekly) + len(backlog), "backlog_days": len(backlog)}


def pandas_report(folder: Path) -> dict[str, object]:
    """A straightforward pandas version of the same report (first response, resolution, backlog)."""
    import numpy as np
    import pandas as pd

    t = pd.read_parquet(folder / "tickets.parquet", columns=["ticket_id", "created_at", "channel"])
    e = pd.read_parquet(
        folder / "ticket_events.parquet",
        columns=["ticket_id", "event_id", "at", "kind", "actor_type", "public", "status"],
    )
    e = e.sort_values(["ticket_id", "at", "event_id"])
    msg = e[e.kind == "message"]
    cust = (
        msg[msg.actor_type == "customer"].groupby("ticket_id")["at"].min().rename("first_customer")
    )
    t = t.join(cust, on="ticket_id")
    t["start"] = t.first_customer.fillna(t.created_at)
    replies = msg[(msg.actor_type == "agent") & msg.public.fillna(True)][["ticket_id", "at"]]
    replies = replies.merge(t[["ticket_id", "start"]], on="ticket_id")
    first = (
        replies[replies["at"] > replies.start]
        .groupby("ticket_id")["at"]
        .min()
        .rename("first_response")
    )
    st = e[e.kind == "status"].copy()
    solved_states = st.status.isin(["solved", "closed"])
    prev = solved_states.groupby(st.ticket_id).shift(1, fill_value=False).astype(bool)
    st["is_solve"] = (st.status == "solved") | (solved_states & ~prev)
    last_status = st.groupby("ticket_id").status.last()
    solves = st[st.is_solve].groupby("ticket_id")["at"].agg(["min", "max"])
    t = t.join(first, on="ticket_id").join(solves, on="ticket_id").join(last_status, on="ticket_id")
    t["last_solved"] = t["max"].where(t.status.isin(["solved", "closed"]))
    t["frt"] = (t.first_response - t.start).dt.total_seconds()
    t["res"] = (t.last_solved - t.created_at).dt.total_seconds()
    t["week_frt"] = t.first_response.dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W")
    t["week_res"] = t.last_solved.dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W")
    out = []
    for col, week in (("frt", "week_frt"), ("res", "week_res")):
        g = t[t[col] >= 0].groupby([week, "channel"])[col]
        out.append(g.quantile(0.5))
        out.append(g.quantile(0.9))
    # Daily backlog: +1 at creation, -1/+1 at each solved-state transition, cumulated per day.
    st["delta"] = np.where(solved_states & ~prev, -1, np.where(~solved_states & prev, 1, 0))
    deltas = pd.concat(
        [
            pd.DataFrame({"at": t.created_at, "delta": 1}),
            st.loc[st.delta != 0, ["at", "delta"]],
        ]
    )
    daily = deltas.groupby(deltas["at"].dt.floor("D")).delta.sum().cumsum()
    return {"rows": sum(len(o) for o in out) + len(daily)}


PHASES = {
    "generate": generate,
    "scan": scan,
    "supportkpi": supportkpi_report,
    "pandas": pandas_report,
}


def run_phase(phase: str, folder: Path, tickets: int) -> dict[str, object]:
    """Run one phase in a child process; return its wall time and peak memory."""
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            phase,
            "--dir",
            str(folder),
            "--tickets",
            str(tickets),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"phase {phase} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(phase=phase)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/supportkpi_bench_kpi"))
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument("--skip", default="", help="comma-separated phases to skip")
    args = parser.parse_args()
    if args.phase:
        # Imports are warmed up first: the timing is the work, not the interpreter start.
        import duckdb  # noqa: F401
        import pandas  # noqa: F401

        if args.phase in ("supportkpi", "generate"):
            import supportkpi.api
            import supportkpi.metrics.tickets_outcomes  # noqa: F401
        start = time.perf_counter()
        info = (
            PHASES[args.phase](args.dir, args.tickets)
            if args.phase == "generate"
            else PHASES[args.phase](args.dir)
        )
        info["seconds"] = round(time.perf_counter() - start, 2)
        info["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(info))
        return
    skip = set(args.skip.split(","))
    results = {}
    for phase in ("generate", "scan", "supportkpi", "pandas"):
        if phase in skip:
            continue
        results[phase] = run_phase(phase, args.dir, args.tickets)
        print(json.dumps(results[phase]), flush=True)
    if "scan" in results:
        base = float(results["scan"]["seconds"])
        for phase in ("supportkpi", "pandas"):
            if phase in results:
                ratio = float(results[phase]["seconds"]) / base
                print(
                    f"{phase}: {results[phase]['seconds']} s = {ratio:.1f}x the plain DuckDB scan "
                    f"({base} s); peak {results[phase]['peak_mb']} MB"
                )


if __name__ == "__main__":
    main()
