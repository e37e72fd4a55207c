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
from typing import Any

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


STORE = "store.duckdb"
#: Share of the tickets the incremental load adds or changes (issue 13: 1%).
INCREMENT = 0.01


def _load_store(target: Path, tables: dict[str, Any]) -> None:
    from supportkpi.facts import open_store
    from supportkpi.store import LoadSummary

    with open_store(target) as store, store.transaction():
        for name, table in tables.items():
            inserted, updated, unchanged = store.upsert(name, table)
            summary = LoadSummary(name, table.num_rows, inserted, updated, unchanged)
            store.log_load(store.next_load_id(), summary, "bench")


def store_build(folder: Path) -> dict[str, object]:
    """Every table loaded into a new store in one transaction, with the facts built."""
    import pyarrow.parquet as pq

    from supportkpi.schema import TABLES

    target = folder / STORE
    for leftover in folder.glob(STORE + "*"):
        leftover.unlink()
    _load_store(target, {n: pq.read_table(folder / f"{n}.parquet") for n in TABLES})
    return {"store_mb": round(target.stat().st_size / 2**20)}


def supportkpi_store(folder: Path) -> dict[str, object]:
    """The report on the store, reading its stored facts (a fresh process, as a user runs it)."""
    return supportkpi_report(folder / STORE)


def increment(folder: Path) -> dict[str, object]:
    """1% new and changed tickets with their events, loaded into a copy of the store."""
    import shutil

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from supportkpi.facts import differences, open_store
    from supportkpi.ingest import ingest_file

    copy = folder / "increment.duckdb"
    shutil.copy(folder / STORE, copy)
    # The first write to a freshly bulk-built file pays DuckDB a one-off checkpoint (about 5 s
    # at 1M tickets, measured here as `first_write_seconds`); a store that has lived has paid
    # it, so the load below is timed after it.
    import duckdb

    started = time.perf_counter()
    with duckdb.connect(str(copy)) as con:
        con.execute("CREATE TABLE _bench_touch (a INTEGER); DROP TABLE _bench_touch")
    first_write = time.perf_counter() - started
    tickets = pq.read_table(folder / "tickets.parquet")
    events = pq.read_table(folder / "ticket_events.parquet")
    n = max(1, int(tickets.num_rows * INCREMENT / 2))
    changed = tickets.slice(0, n).set_column(
        tickets.schema.get_field_index("channel"), "channel", pa.array(["email"] * n)
    )
    new = tickets.slice(n, n).set_column(
        0, "ticket_id", pc.binary_join_element_wise(tickets.slice(n, n)["ticket_id"], "-new", "")
    )
    new_ids = set(tickets.slice(n, n)["ticket_id"].to_pylist())
    their_events = events.filter(pc.is_in(events["ticket_id"], pa.array(list(new_ids))))
    their_events = their_events.set_column(
        their_events.schema.get_field_index("ticket_id"), "ticket_id",
        pc.binary_join_element_wise(their_events["ticket_id"], "-new", ""),
    ).set_column(
        their_events.schema.get_field_index("event_id"), "event_id",
        pc.binary_join_element_wise(their_events["event_id"], "-new", ""),
    )  # fmt: skip
    pq.write_table(pa.concat_tables([changed, new]), folder / "inc_tickets.parquet")
    pq.write_table(their_events, folder / "inc_events.parquet")
    start = time.perf_counter()
    with open_store(copy) as store:
        ingest_file(store, "tickets", folder / "inc_tickets.parquet")
        ingest_file(store, "ticket_events", folder / "inc_events.parquet")
    seconds = time.perf_counter() - start
    with open_store(copy) as store:
        equal = set(differences(store).values()) == {0}
    copy.unlink()
    return {
        "load_seconds": round(seconds, 2),
        "first_write_seconds": round(first_write, 2),
        "tickets": 2 * n,
        "facts_equal_rebuild": equal,
    }


def sql_report(folder: Path) -> dict[str, object]:
    """Anchor: the report as hand-written DuckDB SQL on the store's tables."""
    import duckdb

    con = duckdb.connect(str(folder / STORE), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    weekly = con.execute(
        """
        WITH e AS (SELECT ticket_id, epoch("at") AS ts, kind, actor_type,
                          coalesce(public, true) AS public, status, event_id FROM ticket_events),
        first_c AS (SELECT ticket_id, min(ts) AS fc FROM e
                    WHERE kind = 'message' AND actor_type = 'customer' GROUP BY 1),
        t AS (SELECT t.ticket_id, t.channel, epoch(t.created_at) AS created,
                     coalesce(fc, epoch(t.created_at)) AS start
              FROM tickets t LEFT JOIN first_c USING (ticket_id)),
        fr AS (SELECT e.ticket_id, min(e.ts) AS first_response FROM e JOIN t USING (ticket_id)
               WHERE e.kind = 'message' AND e.actor_type = 'agent' AND e.public
                 AND e.ts > t.start GROUP BY 1),
        st AS (SELECT ticket_id, ts, status,
                      status IN ('solved', 'closed') AS now_solved,
                      coalesce(lag(status IN ('solved', 'closed'))
                               OVER (PARTITION BY ticket_id ORDER BY ts, event_id), false)
                        AS prev_solved,
                      row_number() OVER (PARTITION BY ticket_id ORDER BY ts DESC, event_id DESC)
                        AS from_last
               FROM e WHERE kind = 'status'),
        solves AS (SELECT ticket_id, max(ts) FILTER (WHERE status = 'solved' OR
                          (now_solved AND NOT prev_solved)) AS last_solve,
                          bool_or(from_last = 1 AND now_solved) AS solved_now,
                          count(*) FILTER (WHERE status = 'solved' OR
                          (now_solved AND NOT prev_solved)) AS n_solves
                   FROM st GROUP BY 1),
        f AS (SELECT t.*, fr.first_response, CASE WHEN solved_now THEN last_solve END AS solved,
                     coalesce(n_solves, 0) AS n_solves
              FROM t LEFT JOIN fr USING (ticket_id) LEFT JOIN solves USING (ticket_id))
        SELECT 'frt' AS m, date_trunc('week', to_timestamp(first_response)) AS w, channel,
               quantile_cont(first_response - start, 0.5),
               quantile_cont(first_response - start, 0.9), count(*)
        FROM f WHERE first_response IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT 'res', date_trunc('week', to_timestamp(solved)), channel,
               quantile_cont(solved - created, 0.5), quantile_cont(solved - created, 0.9),
               count(*)
        FROM f WHERE solved >= created GROUP BY ALL
        UNION ALL
        SELECT 'volume', date_trunc('week', to_timestamp(created)), channel, count(*), NULL,
               count(*) FROM f GROUP BY ALL
        UNION ALL
        SELECT 'fcr', date_trunc('week', to_timestamp(solved)), channel,
               avg(CASE WHEN n_solves = 1 THEN 1 ELSE 0 END), NULL, count(*)
        FROM f WHERE solved IS NOT NULL GROUP BY ALL
        """
    ).fetchall()
    backlog = con.execute(
        """
        WITH st AS (SELECT ticket_id, "at", status IN ('solved', 'closed') AS s,
                           coalesce(lag(status IN ('solved', 'closed'))
                                    OVER (PARTITION BY ticket_id ORDER BY "at", event_id), false)
                             AS p
                    FROM ticket_events WHERE kind = 'status'),
        d AS (SELECT created_at AS ts, 1 AS delta FROM tickets
              UNION ALL SELECT "at", CASE WHEN s AND NOT p THEN -1 ELSE 1 END FROM st
              WHERE s <> p)
        SELECT day, sum(sum(delta)) OVER (ORDER BY day) FROM
          (SELECT date_trunc('day', ts) AS day, delta FROM d) GROUP BY day ORDER BY day
        """
    ).fetchall()
    return {"rows": len(weekly) + len(backlog)}


def polars_report(folder: Path) -> dict[str, object]:
    """Anchor: the same report in Polars (lazy), from the Parquet files."""
    import polars as pl

    t = pl.scan_parquet(folder / "tickets.parquet").select("ticket_id", "created_at", "channel")
    e = pl.scan_parquet(folder / "ticket_events.parquet").select(
        "ticket_id", "event_id", "at", "kind", "actor_type", "public", "status"
    )
    msg = e.filter(pl.col("kind") == "message")
    first_c = (
        msg.filter(pl.col("actor_type") == "customer")
        .group_by("ticket_id")
        .agg(pl.col("at").min().alias("first_customer"))
    )
    t = t.join(first_c, on="ticket_id", how="left").with_columns(
        start=pl.coalesce("first_customer", "created_at")
    )
    replies = msg.filter((pl.col("actor_type") == "agent") & pl.col("public").fill_null(True)).join(
        t.select("ticket_id", "start"), on="ticket_id"
    )
    first = (
        replies.filter(pl.col("at") > pl.col("start"))
        .group_by("ticket_id")
        .agg(pl.col("at").min().alias("first_response"))
    )
    st = (
        e.filter(pl.col("kind") == "status")
        .sort("ticket_id", "at", "event_id")
        .with_columns(s=pl.col("status").is_in(["solved", "closed"]))
        .with_columns(p=pl.col("s").shift(1).over("ticket_id").fill_null(False))
    )
    solve = (pl.col("status") == "solved") | (pl.col("s") & ~pl.col("p"))
    solves = st.group_by("ticket_id").agg(
        last_solve=pl.col("at").filter(solve).max(),
        n_solves=solve.sum(),
        solved_now=pl.col("s").last(),
    )
    f = t.join(first, on="ticket_id", how="left").join(solves, on="ticket_id", how="left")
    f = f.with_columns(
        solved=pl.when(pl.col("solved_now")).then(pl.col("last_solve")),
        frt=(pl.col("first_response") - pl.col("start")).dt.total_seconds(),
    ).with_columns(res=(pl.col("solved") - pl.col("created_at")).dt.total_seconds())
    outs = []
    for col, at in (("frt", "first_response"), ("res", "solved")):
        outs.append(
            f.filter(pl.col(col) >= 0)
            .group_by(pl.col(at).dt.truncate("1w"), "channel")
            .agg(median=pl.col(col).median(), p90=pl.col(col).quantile(0.9), n=pl.len())
        )
    outs.append(f.group_by(pl.col("created_at").dt.truncate("1w"), "channel").agg(pl.len()))
    outs.append(
        f.filter(pl.col("solved").is_not_null())
        .group_by(pl.col("solved").dt.truncate("1w"), "channel")
        .agg((pl.col("n_solves") == 1).mean())
    )
    deltas = pl.concat(
        [
            t.select(at=pl.col("created_at"), delta=pl.lit(1)),
            st.filter(pl.col("s") != pl.col("p")).select(
                "at", delta=pl.when(pl.col("s")).then(-1).otherwise(1)
            ),
        ]
    )
    daily = (
        deltas.group_by(pl.col("at").dt.truncate("1d")).agg(pl.col("delta").sum()).sort("at")
    ).with_columns(pl.col("delta").cum_sum())
    frames = pl.collect_all([*outs, daily])
    return {"rows": sum(frame.height for frame in frames)}


PHASES = {
    "generate": generate,
    "scan": scan,
    "supportkpi": supportkpi_report,
    "pandas": pandas_report,
    "store_build": store_build,
    "supportkpi_store": supportkpi_store,
    "increment": increment,
    "sql": sql_report,
    "polars": polars_report,
}
ORDER = (
    "generate", "scan", "supportkpi", "pandas", "store_build", "supportkpi_store", "sql",
    "polars", "increment",
)  # fmt: skip


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

        if args.phase in ("supportkpi", "supportkpi_store", "generate"):
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
    for phase in ORDER:
        if phase in skip:
            continue
        results[phase] = run_phase(phase, args.dir, args.tickets)
        print(json.dumps(results[phase]), flush=True)
    if "scan" in results:
        base = float(results["scan"]["seconds"])
        for phase in ("supportkpi", "pandas", "supportkpi_store", "sql", "polars"):
            if phase in results:
                ratio = float(results[phase]["seconds"]) / base
                print(
                    f"{phase}: {results[phase]['seconds']} s = {ratio:.1f}x the plain DuckDB scan "
                    f"({base} s); peak {results[phase]['peak_mb']} MB"
                )
    if "increment" in results and "store_build" in results:
        load = float(results["increment"]["load_seconds"])
        full = float(results["store_build"]["seconds"])
        print(
            f"incremental load of {results['increment']['tickets']} tickets: {load} s = "
            f"{100 * load / full:.1f}% of loading the whole store ({full} s); facts equal a "
            f"rebuild: {results['increment']['facts_equal_rebuild']}"
        )


if __name__ == "__main__":
    main()
