"""Fixtures of the browser tests: a demo store, the dashboard served by uvicorn on a free
loopback port, and Debian's chromium driven by Playwright (no browser download).

Every test page fails on a console error, an uncaught exception, or a request to anything
but 127.0.0.1 (such requests are aborted and recorded).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser_support import ROOT, Watched

CHROMIUM = Path(os.environ.get("SUPPORTKPI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
CONFIG = ROOT / "examples" / "config" / "supportkpi.toml"
DEMO_TICKETS = 5_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real browser (needs /usr/bin/chromium)")


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def browser_ready() -> None:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory, browser_ready: None) -> str:
    from supportkpi import demo
    from supportkpi.store import Store

    path = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    with Store(path) as store:
        demo.generate(store, tickets=DEMO_TICKETS, seed=5)
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: str, config: Path | None = CONFIG) -> tuple[subprocess.Popen[bytes], str]:
    """The dashboard on a free loopback port; returns the process and its base URL."""
    port = free_port()
    script = Path(__file__).with_name("serve_dashboard.py")
    command = [sys.executable, str(script), db, str(port)]
    if config is not None:
        command.append(str(config))
    process = subprocess.Popen(command, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dashboard server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as answer:
                if answer.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the dashboard server did not start within 60 s")


@pytest.fixture(scope="session")
def base_url(demo_db: str) -> Iterator[str]:
    process, base = start_server(demo_db)
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def unconfigured_url(demo_db: str) -> Iterator[str]:
    """The same store served without a config (no SLA policies, no targets, no schedule)."""
    process, base = start_server(demo_db, config=None)
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser(browser_ready: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _watch(context: Any, base: str, width: int) -> Iterator[Watched]:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    watched = Watched(page, base)

    def route(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            watched.outside.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watched.errors.append(f"uncaught: {e}"))
    yield watched
    assert watched.outside == [], f"requests left localhost: {watched.outside}"
    assert watched.errors == [], f"console errors: {watched.errors}"


@pytest.fixture
def web(browser: Any, base_url: str) -> Iterator[Watched]:
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    yield from _watch(context, base_url, 1400)
    context.close()


@pytest.fixture
def bare_web(browser: Any, unconfigured_url: str) -> Iterator[Watched]:
    context = browser.new_context(locale="en-GB")
    yield from _watch(context, unconfigured_url, 1400)
    context.close()


@pytest.fixture
def phone(browser: Any, base_url: str) -> Iterator[Watched]:
    context = browser.new_context(locale="en-GB", is_mobile=True, device_scale_factor=2)
    yield from _watch(context, base_url, 390)
    context.close()
