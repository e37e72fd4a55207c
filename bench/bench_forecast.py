"""Benchmark: a year of 30-minute call history for 20 queues, forecast 4 weeks ahead.

Workload (issue 17): ``--days`` (365) of offered calls in ``--series`` (20) queues, Poisson
counts per 30-minute slot around a known daily and weekly pattern (a morning and an
afternoon peak, quiet nights, a slow weekend), each queue its own scale. The library's
``forecast_volume`` (``calls_offered --by queue --interval 30m --horizon 28d``, with its
rolling-origin backtest against seasonal naive) and the staffing plan from the forecast
(Erlang C on the observed AHT) run on a DuckDB store holding those calls. The whole year is
read, and the models learn from its last 8 weeks (``FIT_WEEKS``), so one backtest origin fits
a 4-week horizon.

    .venv/bin/python bench/bench_forecast.py [--series 20] [--days 365] [--json]

Each phase runs in its own process, so its peak RSS is its own:

- ``generate``: the calls built and loaded into a new store (setup, not the workload);
- ``forecast``: the forecast and the plan; the time of each step inside the one library call
  (series extraction, the backtest, the final fit and forecast) is taken by wrapping the step
  functions `supportkpi.forecast.volume` calls, so nothing runs twice; with the ``shifts``
  extra installed, the plan is also covered with shift patterns (`SHIFTS`), timed apart;
- ``anchor``: a plain pandas groupby of the same calls per queue and slot, and last week
  repeated four times (seasonal naive by hand): the floor the forecast's time is a ratio to;
- ``holdout``: the same forecast made 4 weeks before the end of the data and scored on those
  4 weeks (MASE against seasonal naive's in-sample scale, and the coverage of the intervals the
  forecast shows, calibrated ones); skip it with ``--skip holdout`` for a shorter run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

STORE = "forecast.duckdb"
#: The day after the history: a Monday, so the horizon starts with a full week.
AS_OF = date(2026, 1, 5)
HORIZON_DAYS = 28
HOLDOUT = timedelta(days=HORIZON_DAYS)
SLOT_S = 1800
#: Calls per 30-minute slot of a scale-1 queue, per half hour of the day (a morning and an
#: afternoon peak, quiet nights); weekday factors Monday … Sunday.
HALF_HOUR = [0.1] * 14 + [0.4, 0.8, 1.5, 2.5, 3.5, 4.2, 4.5, 4.6, 4.4, 4.0, 3.6, 3.5]
HALF_HOUR += [3.8, 4.2, 4.3, 4.1, 3.6, 3.0, 2.3, 1.6, 1.0, 0.6, 0.4, 0.3] + [0.2] * 10
WEEKDAY = [1.25, 1.1, 1.0, 1.0, 0.9, 0.45, 0.3]
#: Shift patterns for the optional shift-scheduling step (the `shifts` extra).
SHIFTS = "00:00-08:00,07:00-15:00,09:00-17:00,12:00-20:00,16:00-24:00"
PLAN = {"kind": "calls", "target_sl": 0.8, "target_s": 20.0, "max_occupancy": 0.85}


def expected_counts(series: int, days: int) -> Any:
    """The noise-free calls per queue (rows) and slot (columns) from the first day."""
    import numpy as np

    slots = days * 48
    t = np.arange(slots)
    first_weekday = (AS_OF - timedelta(days=days)).weekday()
    weekday = (first_weekday + t // 48) % 7
    shape = np.array(HALF_HOUR)[t % 48] * np.array(WEEKDAY)[weekday]
    scale = np.linspace(0.5, 3.0, series)  # the smallest queue a sixth of the largest
    return scale[:, None] * shape[None, :]


def generate(folder: Path, series: int, days: int) -> dict[str, object]:
    """Seeded calls: Poisson counts per slot, offered uniformly within it, most answered."""
    import numpy as np
    import pyarrow as pa

    from supportkpi.demo.columns import canonical_table, ids, pick, timestamps
    from supportkpi.facts import open_store

    rng = np.random.default_rng(17)
    counts = rng.poisson(expected_counts(series, days))
    queue_of, slot_of = np.nonzero(counts)
    repeats = counts[queue_of, slot_of]
    queue, slot = np.repeat(queue_of, repeats), np.repeat(slot_of, repeats)
    first = AS_OF - timedelta(days=days)
    start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
    offered = start + slot * SLOT_S + rng.uniform(0, SLOT_S, queue.size)
    answered = rng.random(queue.size) < 0.9
    wait = rng.exponential(25.0, queue.size)
    talk = rng.gamma(4.0, 60.0, queue.size)  # mean 240 s
    table = canonical_table(
        "calls",
        {
            "call_id": ids("C", queue.size, width=8),
            "queue": pick([f"queue-{i:02d}" for i in range(series)], queue),
            "direction": pick(["inbound"], np.zeros(queue.size, dtype=int)),
            "offered_at": timestamps(offered),
            "answered_at": timestamps(offered + wait, answered),
            "ended_at": timestamps(offered + wait + np.where(answered, talk, 0.0)),
            "talk_s": pa.array(np.where(answered, talk, np.nan), from_pandas=True),
        },
    )
    target = folder / STORE
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(STORE + "*"):
        leftover.unlink()
    with open_store(target) as store, store.transaction():
        store.upsert("calls", table)
    return {"calls": table.num_rows, "store_mb": round(target.stat().st_size / 2**20)}


def _timed(steps: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            steps[name] = steps.get(name, 0.0) + time.perf_counter() - started

    return run


def forecast(folder: Path) -> dict[str, object]:
    """The library's forecast (with its backtest) and the staffing plan, timed per step."""
    from supportkpi.api import Connection
    from supportkpi.forecast import StaffingInputs, staffing_for_forecast, volume

    steps: dict[str, float] = {}
    for name, attribute in (
        ("series_extraction", "count_history"),
        ("fit_frames", "fit_frames"),
        ("backtest", "run_backtest"),
        ("fit_forecast", "predict"),
    ):
        setattr(volume, attribute, _timed(steps, name, getattr(volume, attribute)))
    with Connection(str(folder / STORE)) as con:
        started = time.perf_counter()
        result = volume.forecast_volume(
            con, "calls_offered", "30m", f"{HORIZON_DAYS}d", by="queue", as_of=AS_OF
        )
        steps["forecast_total"] = time.perf_counter() - started
        started = time.perf_counter()
        plan = staffing_for_forecast(con, result, StaffingInputs(**PLAN))  # type: ignore[arg-type]
        steps["plan"] = time.perf_counter() - started
    shifts = _shifts(plan.rows, steps)
    test = result.backtest
    info: dict[str, object] = {f"{k}_seconds": round(v, 2) for k, v in steps.items()}
    info.update(
        model=result.model,
        rows=len(result.rows),
        plan_rows=len(plan.rows),
        peak_agents=int(plan.rows["agents"].max()),
        notes=result.notes + plan.notes,
        shifts=shifts,
        backtest=test.as_dict() if test else None,
    )
    return info


def _shifts(plan_rows: Any, steps: dict[str, float]) -> dict[str, object] | None:
    """The plan covered with `SHIFTS` when the shifts extra is installed (else None)."""
    import importlib.util

    if importlib.util.find_spec("pyworkforce") is None:
        return None
    from supportkpi.forecast.shifts import parse_shifts, schedule_shifts

    started = time.perf_counter()
    cover = schedule_shifts(plan_rows, SLOT_S // 60, parse_shifts(SHIFTS, SLOT_S // 60))
    steps["shifts"] = time.perf_counter() - started
    rows = cover.rows
    return {
        "patterns": SHIFTS,
        "agent_intervals_required": int(rows["required"].sum()),
        "over": int(rows["over"].sum()),
        "under": int(rows["under"].sum()),
    }


def anchor(folder: Path) -> dict[str, object]:
    """Plain pandas: counts per queue and 30-minute slot, last week repeated four times."""
    import numpy as np

    end = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC).timestamp()
    counts = slot_counts(folder, int(end) // SLOT_S - 1)
    last_week = counts.to_numpy()[:, -7 * 48 :]
    ahead = np.tile(last_week, HORIZON_DAYS // 7)
    return {"series": counts.shape[0], "slots": counts.shape[1], "forecast_cells": ahead.size}


def slot_counts(folder: Path, last_slot: int) -> Any:
    """Calls per queue (rows) and UTC slot number (columns, every slot up to ``last_slot``)."""
    import duckdb

    with duckdb.connect(str(folder / STORE), read_only=True) as con:
        calls = con.execute("SELECT queue, epoch(offered_at) AS t FROM calls").df()
    calls["slot"] = (calls["t"] // SLOT_S).astype("int64")
    counts = calls.groupby(["queue", "slot"]).size().unstack(fill_value=0)
    first = int(counts.columns.min())
    return counts.reindex(columns=range(first, max(last_slot, first) + 1), fill_value=0)


def holdout(folder: Path) -> dict[str, object]:
    """The forecast made 4 weeks before the end, scored on those weeks."""
    import numpy as np
    import pandas as pd

    from supportkpi.api import Connection
    from supportkpi.forecast import forecast_volume

    with Connection(str(folder / STORE)) as con:
        result = forecast_volume(
            con, "calls_offered", "30m", f"{HORIZON_DAYS}d", by="queue", as_of=AS_OF - HOLDOUT
        )
    rows = result.rows
    slot = (pd.to_datetime(rows["at"], utc=True).astype("int64") // 10**9 // SLOT_S).to_numpy()
    counts = slot_counts(folder, int(slot.max()))
    actual = counts.to_numpy()[counts.index.get_indexer(rows["queue"]), slot - counts.columns[0]]
    week = 7 * 48
    # The scale of MASE: seasonal naive's in-sample error over the 8 weeks the model saw.
    before = counts.loc[:, : slot.min() - 1].to_numpy()[:, -8 * week :]
    scale = np.abs(before[:, week:] - before[:, :-week]).mean(axis=1)
    naive = before[:, -week:]
    queue_index = counts.index.get_indexer(rows["queue"])
    offset = (slot - slot.min()) % week
    naive_error = np.abs(naive[queue_index, offset] - actual)
    error = np.abs(rows["value"].to_numpy() - actual)
    denominator = scale[queue_index].sum()
    return {
        "model": result.model,
        "mase": round(float(error.sum() / denominator), 3),
        "seasonal_naive_mase": round(float(naive_error.sum() / denominator), 3),
        "coverage80": round(float(((actual >= rows["lo80"]) & (actual <= rows["hi80"])).mean()), 3),
        "coverage95": round(float(((actual >= rows["lo95"]) & (actual <= rows["hi95"])).mean()), 3),
        "points": len(rows),
    }


PHASES: dict[str, Callable[..., dict[str, object]]] = {
    "generate": generate,
    "forecast": forecast,
    "anchor": anchor,
    "holdout": holdout,
}


def run_phase(phase: str, args: argparse.Namespace) -> dict[str, object]:
    """Run one phase in a child process; return its figures, wall time and peak RSS."""
    command = [sys.executable, __file__, "--phase", phase, "--dir", str(args.dir)]
    command += ["--series", str(args.series), "--days", str(args.days)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"phase {phase} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(phase=phase)
    return result


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/supportkpi_bench_forecast"))
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument("--skip", default="", help="comma-separated phases to skip")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args()
    if args.phase:
        # Imports are warmed up first: the timing is the work, not the interpreter start.
        import pandas  # noqa: F401
        import statsforecast  # noqa: F401

        import supportkpi.api  # noqa: F401

        started = time.perf_counter()
        call = PHASES[args.phase]
        info = (
            call(args.dir, args.series, args.days) if args.phase == "generate" else call(args.dir)
        )
        info["seconds"] = round(time.perf_counter() - started, 2)
        info["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(info))
        return
    results: dict[str, Any] = {"load_before": load_average()}
    for phase in PHASES:
        if phase in args.skip.split(","):
            continue
        results[phase] = run_phase(phase, args)
        if not args.json:
            print(json.dumps(results[phase]), flush=True)
    results["load_after"] = load_average()
    if "forecast" in results and "anchor" in results:
        ratio = float(results["forecast"]["seconds"]) / float(results["anchor"]["seconds"])
        results["forecast_over_pandas_anchor"] = round(ratio, 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"load average before {results['load_before']}, after {results['load_after']}")
    if "forecast_over_pandas_anchor" in results:
        print(
            f"forecast + backtest + plan: {results['forecast']['seconds']} s = "
            f"{results['forecast_over_pandas_anchor']}x the pandas groupby + seasonal naive "
            f"({results['anchor']['seconds']} s); peak RSS {results['forecast']['peak_rss_mb']} MB"
        )


if __name__ == "__main__":
    main()
