"""Benchmark: a bounded load test of a real `supportkpi serve` (issue 19, item 6).

Workload: a demo store of ``--tickets`` tickets (built once with `supportkpi demo` and kept in
/tmp, as bench_startup does), served by a `supportkpi serve` subprocess on 127.0.0.1. After
/api/health answers and the server's start-up work settles (CPU under 10% for 2 s), asyncio
users, each with its own connection, send requests back to back for ``--seconds`` at each of
``--users`` levels, then for ``--soak-seconds`` at ``--soak-users``. Each request is drawn
from this mix:

- ``kpi_cold`` (55%): ``/api/kpi`` with filters never sent before in the run: 1-5 overview
  metrics, a 7-120 day range anywhere in the data, grain day/week/month (no day grain past
  92 days), by none/channel/team and where none/channel/team/priority, so nearly all miss the
  cache.
- ``kpi_warm`` (30%): a ``kpi_cold`` query already answered, sent again (a cache hit).
- ``overview`` (15%): the dashboard's overview ``/`` with a never-seen custom range, grain
  auto/week/month and, usually, one of channel/team/priority.

``health``: /api/health probed every ``--health-every`` s on a connection of its own, beside
the users, so its latency is the server's under load. The server's RSS (``/proc/PID/status``)
is sampled every ``--sample-every`` s; the peak is the kernel's high-water mark ``VmHWM``.
At the end the server gets SIGTERM and the time it takes to exit is reported.

    .venv/bin/python bench/bench_load.py --quick                 # 20k tickets, 10 s levels
    .venv/bin/python bench/bench_load.py                         # 1M tickets, 60 s, 10 min soak
    .venv/bin/python bench/bench_load.py --db /tmp/demo.duckdb --users 1,4,16 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the dev dependency; the same API as httpx
from bench_api import OVERVIEW

CLI = str(Path(sys.executable).with_name("supportkpi"))
#: The overview tiles that take every ticket filter (bench/ is on the path of a script).
METRICS = OVERVIEW
VALUES = {
    "channel": ("email", "chat", "phone", "web", "social"),
    "team": ("billing", "technical", "general"),
    "priority": ("urgent", "high", "normal", "low"),
}
MIX = {"kpi_cold": 0.55, "kpi_warm": 0.30, "overview": 0.15}
#: ``--api-only``: the API alone, as the issue's baseline measured it.
API_MIX = {"kpi_cold": 0.65, "kpi_warm": 0.35}
KINDS = (*MIX, "health")
PERCENTILE_FIELDS = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
GOALS = {"kpi_cold_p95_ms_16_users": 300.0, "health_p99_ms_under_load": 100.0}
#: A soak is called flat when its second half grows by at most this many MB a minute.
FLAT_MB_PER_MIN = 1.0


class Workload:
    """The requests of a run: every cold one unique across the whole run."""

    def __init__(
        self, first: date, last: date, seed: int, mix: dict[str, float] | None = None
    ) -> None:
        self.mix = mix or MIX
        self.first, self.days = first, max(1, (last - first).days)
        self.rng = random.Random(seed)
        self.seen: set[str] = set()
        self.answered: list[dict[str, Any]] = []  # cold kpi queries that got a 200

    def _new(self, make: Any) -> dict[str, Any]:
        while True:
            params: dict[str, Any] = make()
            key = json.dumps(params, sort_keys=True)
            if key not in self.seen:
                self.seen.add(key)
                return params

    def _range(self) -> tuple[date, int]:
        span = self.rng.randint(7, min(120, self.days))
        return self.first + timedelta(days=self.rng.randrange(self.days - span + 1)), span

    def _kpi(self) -> dict[str, Any]:
        start, span = self._range()
        grain = self.rng.choice(("day", "week", "month") if span <= 92 else ("week", "month"))
        params: dict[str, Any] = {
            "metric": sorted(self.rng.sample(METRICS, self.rng.randint(1, 5))),
            "from": start.isoformat(),
            "to": (start + timedelta(days=span)).isoformat(),
            "grain": grain,
        }
        by = self.rng.choice(("", "channel", "team"))
        if by:
            params["by"] = by
        dim = self.rng.choice(("", *VALUES))
        if dim and dim != by:
            params["where"] = f"{dim}={self.rng.choice(VALUES[dim])}"
        return params

    def _overview(self) -> dict[str, Any]:
        start, span = self._range()
        params: dict[str, Any] = {
            "range": "custom",
            "from": start.isoformat(),
            "to": (start + timedelta(days=span - 1)).isoformat(),  # the dashboard's is inclusive
        }
        grain = self.rng.choice(("auto", "week", "month"))
        if grain != "auto":
            params["grain"] = grain
        dim = self.rng.choice(("", *VALUES))
        if dim:
            params[dim] = self.rng.choice(VALUES[dim])
        return params

    def next(self) -> tuple[str, str, dict[str, Any]]:
        """One request: its kind, path and query parameters."""
        kind = self.rng.choices(list(self.mix), weights=list(self.mix.values()))[0]
        if kind == "kpi_warm" and self.answered:
            return kind, "/api/kpi", self.rng.choice(self.answered)
        if kind == "overview":
            return kind, "/", self._new(self._overview)
        return "kpi_cold", "/api/kpi", self._new(self._kpi)


class Samples:
    """Latencies and failures by request kind."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.errors: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}

    async def get(self, client: httpx.AsyncClient, kind: str, path: str, params: Any) -> bool:
        started = time.perf_counter()
        try:
            response = await client.get(path, params=params)
        except httpx.HTTPError as exc:
            self.errors[kind][type(exc).__name__] += 1
            return False
        self.times[kind].append(time.perf_counter() - started)
        if response.status_code != 200:
            self.errors[kind][str(response.status_code)] += 1
        return response.status_code == 200

    def summary(self, seconds: float) -> dict[str, dict[str, Any]]:
        out = {}
        for kind in KINDS:
            times, errors = self.times[kind], self.errors[kind]
            figures: dict[str, Any] = {
                "requests": len(times) + sum(errors.values()) - _answered_errors(errors),
                "req_per_s": round(len(times) / seconds, 2),
                "errors": dict(errors),
            }
            for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
                figures[f"{name}_ms"] = round(1000 * percentile(times, q), 1) if times else None
            figures["max_ms"] = round(1000 * max(times), 1) if times else None
            out[kind] = figures
        return out


def _answered_errors(errors: Counter[str]) -> int:
    """Non-200 answers are timed too; transport failures are not."""
    return sum(n for name, n in errors.items() if name.isdigit())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_store(db: Path, tickets: int) -> float | None:
    """Make the demo store once; return the seconds it took, or None when it existed."""
    if db.is_file():
        return None
    started = time.perf_counter()
    subprocess.run([CLI, "demo", "--db", str(db), "--tickets", str(tickets)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return round(time.perf_counter() - started, 1)


def data_dates(db: Path) -> tuple[date, date]:
    """The first and last ticket creation dates (read before the server opens the file)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT min(created_at)::DATE, max(created_at)::DATE FROM tickets")
        first, last = row.fetchone() or (None, None)
    if first is None or last is None:
        raise SystemExit(f"{db} has no tickets")
    return first, last


def proc_status(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` (peak) of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024  # kB
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def wait_ready(base: str, server: subprocess.Popen[bytes], settle: float) -> dict[str, float]:
    """Wait for /api/health, then for the start-up work (facts, dashboard warm-up) to quiet."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}")
            try:
                if (await client.get("/api/health")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    health_s = time.perf_counter() - started
    quiet, limit = 0, time.perf_counter() + settle
    while quiet < 2 and time.perf_counter() < limit:
        before = cpu_seconds(server.pid)
        await asyncio.sleep(1)
        quiet = quiet + 1 if cpu_seconds(server.pid) - before < 0.1 else 0
    settled = time.perf_counter() - started - health_s
    return {"to_health_s": round(health_s, 2), "settle_s": round(settled, 1)}


async def sample_memory(pid: int, every: float, into: list[tuple[float, float]]) -> None:
    started = time.perf_counter()
    while True:
        into.append((time.perf_counter() - started, proc_status(pid)["VmRSS"]))
        await asyncio.sleep(every)


def memory_figures(samples: list[tuple[float, float]]) -> dict[str, Any]:
    """Start, middle, end, peak and the least-squares slope (MB/min) of a window of samples."""
    if not samples:
        return {}
    mbs = [mb for _, mb in samples]
    half = samples[len(samples) // 2 :]
    return {
        "start_mb": round(mbs[0]),
        "middle_mb": round(mbs[len(mbs) // 2]),
        "end_mb": round(mbs[-1]),
        "peak_sampled_mb": round(max(mbs)),
        "slope_mb_per_min": slope(samples),
        "second_half_slope_mb_per_min": slope(half),
        "samples": [(round(t, 1), round(mb)) for t, mb in samples],
    }


def slope(samples: list[tuple[float, float]]) -> float | None:
    if len(samples) < 2:
        return None
    n = len(samples)
    mt, mm = sum(t for t, _ in samples) / n, sum(mb for _, mb in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    cov = sum((t - mt) * (mb - mm) for t, mb in samples)
    return round(60 * cov / var, 2) if var else None


async def scenario(base: str, work: Workload, users: int, seconds: float, args: Any,
                   memory: list[tuple[float, float]]) -> dict[str, Any]:  # fmt: skip
    """``users`` users and a health prober for ``seconds``; requests under way finish."""
    samples = Samples()
    deadline = time.perf_counter() + seconds
    timeout = httpx.Timeout(args.timeout)

    async def user() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
            while time.perf_counter() < deadline:
                kind, path, params = work.next()
                ok = await samples.get(client, kind, path, params)
                if ok and kind == "kpi_cold":
                    work.answered.append(params)

    async def prober() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=timeout) as client:
            while time.perf_counter() < deadline:
                await samples.get(client, "health", "/api/health", None)
                await asyncio.sleep(args.health_every)

    first_sample = len(memory)
    started, client_cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(prober(), *(user() for _ in range(users)))
    elapsed = time.perf_counter() - started
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        # This process's CPU share: near 1.0 would mean the client, not the server, is the limit.
        "client_cpu_share": round((time.process_time() - client_cpu) / elapsed, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "kinds": samples.summary(elapsed),
        "memory": memory_figures(memory[first_sample:]),
    }


def stop(server: subprocess.Popen[bytes], wait: float) -> dict[str, Any]:
    """SIGTERM, then wait; SIGKILL only when it does not exit within ``wait`` seconds."""
    started = time.perf_counter()
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=wait)
        killed = False
    except subprocess.TimeoutExpired:
        server.kill()
        code, killed = server.wait(), True
    return {"stop_s": round(time.perf_counter() - started, 2), "exit_code": code, "killed": killed}


async def run(db: Path, args: Any, log: Path) -> dict[str, Any]:
    first, last = data_dates(db)
    work = Workload(first, last, args.seed, API_MIX if args.api_only else MIX)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        server = subprocess.Popen([CLI, "serve", "--db", str(db), "--port", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    figures: dict[str, Any] = {"data": f"{first} to {last}", "server_pid": server.pid}
    memory: list[tuple[float, float]] = []
    sampler = None
    try:
        figures.update(await wait_ready(base, server, args.settle))
        sampler = asyncio.create_task(sample_memory(server.pid, args.sample_every, memory))
        idle = Samples()
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(20):
                await idle.get(client, "health", "/api/health", None)
        figures["health_idle"] = idle.summary(1.0)["health"]
        figures["scenarios"] = {}
        for users in args.users:
            result = await scenario(base, work, users, args.seconds, args, memory)
            figures["scenarios"][f"{users} users"] = result
        if args.soak_seconds > 0:
            soak = await scenario(base, work, args.soak_users, args.soak_seconds, args, memory)
            figures["scenarios"][f"soak {args.soak_users} users"] = soak
        figures["peak_rss_mb"] = round(proc_status(server.pid)["VmHWM"])
    finally:
        if sampler is not None:
            sampler.cancel()
        # uvicorn shuts down gracefully, then re-raises SIGTERM: exit code -15 is a clean stop.
        figures["shutdown"] = stop(server, args.stop_wait)
    figures["memory_over_run"] = [(round(t, 1), round(mb)) for t, mb in memory]
    figures["server_log_tracebacks"] = log.read_text(errors="replace").count("Traceback")
    return figures


def goals(figures: dict[str, Any], args: Any) -> list[str]:
    """The issue's goals next to this run's figures."""
    lines = []
    scenarios = figures.get("scenarios", {})
    loaded = {name: s for name, s in scenarios.items() if s["users"] >= 16}
    for name, s in loaded.items():
        p95 = s["kinds"]["kpi_cold"]["p95_ms"]
        ok = p95 is not None and p95 <= GOALS["kpi_cold_p95_ms_16_users"]
        lines.append(f"cold /api/kpi p95 at {name}: {p95} ms (goal <= 300 ms) {_mark(ok)}")
    for name, s in scenarios.items():
        p99 = s["kinds"]["health"]["p99_ms"]
        ok = p99 is not None and p99 <= GOALS["health_p99_ms_under_load"]
        lines.append(f"health p99 at {name}: {p99} ms (goal <= 100 ms) {_mark(ok)}")
    soak = scenarios.get(f"soak {args.soak_users} users")
    if soak and soak["memory"]:
        m = soak["memory"]
        flat = m["second_half_slope_mb_per_min"]
        ok = flat is not None and flat <= FLAT_MB_PER_MIN
        lines.append(
            f"soak memory: {m['start_mb']} -> {m['middle_mb']} -> {m['end_mb']} MB, slope "
            f"{m['slope_mb_per_min']} MB/min, second half {flat} MB/min "
            f"(goal flat: <= {FLAT_MB_PER_MIN} MB/min) {_mark(ok)}"
        )
    return lines


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def table(figures: dict[str, Any], args: Any) -> str:
    head = f"{'scenario':<16}{'kind':<10}{'n':>7}{'req/s':>8}" + "".join(
        f"{c:>9}" for c in ("p50", "p95", "p99", "max")
    )
    lines = [
        f"store: {figures.get('tickets')} tickets ({figures['data']}); health after "
        f"{figures['to_health_s']} s, settled {figures['settle_s']} s later",
        f"health idle: p50 {figures['health_idle']['p50_ms']} ms, "
        f"p99 {figures['health_idle']['p99_ms']} ms",
        head + "  errors",
    ]
    for name, s in figures["scenarios"].items():
        lines.append(f"{name:<16}client CPU share {s['client_cpu_share']}, "
                     f"load average {s['load_average_1min']}")  # fmt: skip
        name = ""
        for kind, k in s["kinds"].items():
            cells = [k[f] if k[f] is not None else "-" for f in PERCENTILE_FIELDS]
            errors = ", ".join(f"{e}: {n}" for e, n in k["errors"].items()) or "-"
            lines.append(f"{name:<16}{kind:<10}{k['requests']:>7}{k['req_per_s']:>8}"
                         + "".join(f"{c:>9}" for c in cells) + f"  {errors}")  # fmt: skip
            name = ""
        m = s["memory"]
        if m:
            lines.append(f"{'':<16}rss MB: start {m['start_mb']}, middle {m['middle_mb']}, end "
                         f"{m['end_mb']}, peak {m['peak_sampled_mb']}, "
                         f"slope {m['slope_mb_per_min']} MB/min")  # fmt: skip
    shutdown = figures["shutdown"]
    lines.append(f"server log tracebacks: {figures['server_log_tracebacks']}")
    lines.append(f"peak RSS (VmHWM): {figures['peak_rss_mb']} MB; SIGTERM to exit: "
                 f"{shutdown['stop_s']} s (exit {shutdown['exit_code']}, "
                 f"killed: {shutdown['killed']})")  # fmt: skip
    return "\n".join([*lines, "latencies in ms; goals:", *goals(figures, args)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="An existing store (default: a cached demo one).")
    parser.add_argument("--tickets", type=int, help="Demo tickets (default 1,000,000).")
    parser.add_argument("--users", default="1,4,16", help="Concurrent users of each level.")
    parser.add_argument("--seconds", type=float, help="Seconds of each level (default 60).")
    parser.add_argument("--soak-seconds", type=float, help="Seconds of the soak (default 600).")
    parser.add_argument("--soak-users", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="20k tickets, 10 s, 30 s soak.")
    parser.add_argument("--health-every", type=float, default=0.5)
    parser.add_argument("--sample-every", type=float, default=2.0, help="RSS sample interval.")
    parser.add_argument("--timeout", type=float, default=120.0, help="Per request, seconds.")
    parser.add_argument("--settle", type=float, default=180.0, help="Most seconds to wait "
                        "for the server's start-up work to finish.")  # fmt: skip
    parser.add_argument("--stop-wait", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--api-only", action="store_true", help="No dashboard pages: /api/kpi alone."
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/supportkpi_bench_load.json"))
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    args.tickets = args.tickets or (20_000 if args.quick else 1_000_000)
    args.seconds = args.seconds or (10.0 if args.quick else 60.0)
    if args.soak_seconds is None:
        args.soak_seconds = 30.0 if args.quick else 600.0
    args.users = [int(n) for n in args.users.split(",") if n.strip()]
    db = args.db or Path(f"/tmp/supportkpi_bench_load_{args.tickets}.duckdb")
    figures: dict[str, Any] = {"db": str(db)}
    if args.db is None:
        figures["tickets"] = args.tickets
        figures["build_s"] = ensure_store(db, args.tickets)
    figures["mix"] = MIX
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        log = Path(tmp) / "serve.log"
        try:
            figures.update(asyncio.run(run(db, args, log)))
        except BaseException:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise
    figures["goals"] = goals(figures, args)
    args.out.write_text(json.dumps(figures, indent=1))
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    print(table(figures, args))
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
