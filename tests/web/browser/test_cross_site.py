"""A page of another origin tries to write into the loopback server, as issue 19 found it
could: a ``no-cors`` fetch with a FormData body, and a plain form post. Chromium sends them;
the server must refuse both, and no row may land."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port, start_server
from ticket_stores import ticket_store

pytestmark = pytest.mark.browser

ATTACK = """<!doctype html><html><body>
<form id="f" method="post" enctype="multipart/form-data" action="{target}/api/ingest/tickets">
<input type="hidden" name="format" value="csv"></form>
<script>
const rows = "ticket_id,created_at,channel\\nevil-1,2024-01-05T10:00:00Z,email\\n";
const data = new FormData();
data.append("file", new Blob([rows], {{type: "text/csv"}}), "evil.csv");
fetch("{target}/api/ingest/tickets", {{method: "POST", mode: "no-cors", body: data}})
  .then(() => {{ document.title = "sent"; }}, () => {{ document.title = "failed"; }});
</script></body></html>"""


@pytest.fixture
def store(tmp_path: Path, browser_ready: None) -> str:
    return str(ticket_store(tmp_path / "target.duckdb"))


@pytest.fixture
def target(store: str) -> Iterator[str]:
    process, base = start_server(store, config=None)
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def attacker(target: str) -> Iterator[str]:
    """Another origin (another port) serving the attack page."""
    page = ATTACK.format(target=target).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _volume(target: str) -> Any:
    with urllib.request.urlopen(f"{target}/api/kpi?metric=ticket_volume", timeout=10) as answer:
        return json.load(answer)["rows"][0]["value"]


def test_a_page_of_another_origin_cannot_write(browser: Any, target: str, attacker: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(attacker)
    # The fetch settles either way: its answer is opaque to the page, and the server's
    # Cross-Origin-Resource-Policy makes the browser drop it. It was sent all the same.
    page.wait_for_function("document.title !== ''", timeout=10_000)
    assert posts == [f"{target}/api/ingest/tickets"]
    with page.expect_navigation():
        page.evaluate("document.getElementById('f').submit()")
    assert "cross-site write refused" in page.content()  # a navigation shows the answer
    context.close()
    assert len(posts) == 2
    assert _volume(target) == 1  # only the ticket that was there
