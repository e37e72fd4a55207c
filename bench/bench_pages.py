"""Benchmark: how long the dashboard's overview takes to be ready in a real browser.

Workload (issue 7): the dashboard served by uvicorn on 127.0.0.1 over a demo store, Debian's
chromium driven by Playwright (no browser download). "Ready" is the moment every chart of the
page has drawn its SVG, measured in the page from the start of the navigation
(``performance.now()``); the server's share is the navigation's ``responseEnd``.

- ``first_default``: the default overview (last 30 days, no filter) as its first visitor sees
  it, ``--warm-wait`` seconds after the server started (the server computes the default view
  of every page in the background when it starts).
- ``cold``: the first view of 4 filter sets (channel = email, chat, phone, web): the server
  computes every tile, change and sparkline.
- ``cached``: all 5 views again, 3 times each: the answers come from the app's cache (valid
  until the next load) and the browser keeps the Vega bundle.

    .venv/bin/python bench/bench_pages.py                        # builds a 1M-ticket store
    .venv/bin/python bench/bench_pages.py --db /tmp/demo.duckdb  # an existing store
    .venv/bin/python bench/bench_pages.py --tickets 100000 --json
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWS = ("", "&channel=email", "&channel=chat", "&channel=phone", "&channel=web")
SERVE = (
    "import sys, uvicorn\n"
    "from supportkpi.web import create_app\n"
    "from supportkpi.web.dashboard import mount_dashboard\n"
    "app = mount_dashboard(create_app(sys.argv[1], config=sys.argv[3]))\n"
    "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')\n"
)
READY = """() => {
  const boxes = Array.from(document.querySelectorAll('.vega[data-spec]'));
  return boxes.length > 0 && boxes.every(b => b.querySelector('svg'));
}"""


def build(db: Path, tickets: int, seed: int) -> float:
    """Generate and load the demo store; return the seconds it took."""
    from supportkpi import demo
    from supportkpi.facts import open_store

    started = time.perf_counter()
    with open_store(db) as store:  # as `supportkpi demo`: with stored facts
        demo.load_demo(store, tickets, seed)
    return time.perf_counter() - started


def serve(db: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start the server; return it, its URL and the seconds until it answered."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = ROOT / "examples" / "config" / "supportkpi.toml"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(db), str(port), str(config)])
    base = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < 120:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                return process, base, time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the server did not start within 120 s")


def load(page: Any, url: str) -> dict[str, float]:
    """Open ``url``; the page's own clock when the HTML arrived and when the charts were drawn."""
    page.goto(url, wait_until="domcontentloaded", timeout=300_000)
    page.wait_for_function(READY, timeout=300_000, polling=20)
    ready = page.evaluate("performance.now()")
    server = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
    return {"ready_ms": float(ready), "html_ms": float(server)}


def summary(samples: list[dict[str, float]]) -> dict[str, float]:
    ready = sorted(s["ready_ms"] for s in samples)
    html = sorted(s["html_ms"] for s in samples)
    return {
        "ready_p50_ms": round(statistics.median(ready)),
        "ready_max_ms": round(ready[-1]),
        "html_p50_ms": round(statistics.median(html)),
        "html_max_ms": round(html[-1]),
    }


def run(db: Path, warm_wait_s: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    process, base, start_s = serve(db)
    figures: dict[str, Any] = {"server_start_s": round(start_s, 1)}
    try:
        time.sleep(warm_wait_s)  # the server prepares the default overview in the background
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            urls = [f"{base}/?range=last30{view}" for view in VIEWS]
            figures["first_default"] = summary([load(page, urls[0])])
            figures["cold"] = summary([load(page, url) for url in urls[1:]])
            figures["cached"] = summary([load(page, url) for _ in range(3) for url in urls])
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="An existing store (skips generation).")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--warm-wait", type=float, default=30.0, help="Seconds to wait after the server starts."
    )
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp:
        db = args.db
        figures: dict[str, Any] = {}
        if db is None:
            db = Path(tmp) / "demo.duckdb"
            figures["build_s"] = round(build(db, args.tickets, args.seed), 1)
            figures["tickets"] = args.tickets
        figures.update(run(db, args.warm_wait))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:>15}: {value}")


if __name__ == "__main__":
    main()
