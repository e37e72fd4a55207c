"""A view never fails because one KPI cannot be computed (issue 11, defect 1).

`supportkpi serve --db STORE` without a config is the README's own-data path: SLA compliance
cannot be computed (no ``[[sla]]`` policies), yet every page answers 200, the tiles and pages
that need the config say what to add, and ``/api/kpi`` with several metrics computes the
others and reports the one it could not. The server is a real process on a free loopback
port, started as a user would start it.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from supportkpi import demo
from supportkpi.store import Store
from supportkpi.web.dashboard.registry import PAGES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command() -> list[str]:
    """The installed `supportkpi` script next to this interpreter, else the module."""
    script = shutil.which("supportkpi", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "supportkpi.cli.main"]


def _get(base: str, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=120) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`supportkpi serve --db demo.duckdb` (no --config) on a free port; its base URL."""
    db = tmp_path_factory.mktemp("no-config") / "demo.duckdb"
    with Store(db) as store:
        demo.generate(store, tickets=400, seed=3)
    port = _free_port()
    log = (db.parent / "serve.log").open("wb")
    process = subprocess.Popen(
        [*_command(), "serve", "--db", str(db), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {(db.parent / 'serve.log').read_text()}")
            try:
                if _get(base, "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the server did not start within 90 s")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _alerts(html: str) -> list[str]:
    found = re.findall(r'role="alert">(.*?)</div>', html, re.DOTALL)
    return [unescape(re.sub(r"<[^>]+>", "", a)).strip() for a in found]


def _tile(html: str, selector: str) -> str:
    """The HTML of the tile of ``selector``."""
    found = re.search(rf'<article[^>]*data-kpi="{re.escape(selector)}".*?</article>', html, re.S)
    assert found, f"no tile {selector}"
    return found.group(0)


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("page", PAGES, ids=[p.slug for p in PAGES])
def test_every_page_answers_200_without_a_config(server: str, page: Any) -> None:
    status, html = _get(server, page.path)
    assert status == 200, html[:2000]
    assert _alerts(html) == []
    assert f"<h1>{page.title}</h1>" in html


def test_the_overview_shows_its_charts_and_says_what_the_sla_tile_needs(server: str) -> None:
    status, html = _get(server, "/")
    assert status == 200
    assert 'class="vega"' in html, "the other tiles keep their sparklines"
    sla = _text(_tile(html, "sla_compliance"))
    assert "[[sla]]" in sla and "--config FILE" in sla
    assert re.search(r"data-value[^>]*>\s*[\d,.]+", _tile(html, "ticket_volume"))


def test_the_sla_page_is_an_empty_state_naming_the_policies(server: str) -> None:
    status, html = _get(server, "/sla")
    assert status == 200
    empty = re.search(r'<div class="empty" role="status">(.*?)</div>', html, re.S)
    assert empty, "the SLA page shows an empty state"
    text = _text(empty.group(1))
    assert "[[sla]]" in text and "--config FILE" in text


def test_the_rows_behind_sla_compliance_say_what_to_add(server: str) -> None:
    status, html = _get(server, "/tickets?metric=sla_compliance")
    assert status == 200
    assert "[[sla]]" in unescape(html) and _alerts(html) == []


def test_api_kpi_computes_the_others_and_reports_sla_compliance(server: str) -> None:
    status, text = _get(
        server, "/api/kpi?metric=ticket_volume&metric=sla_compliance&metric=csat&grain=month"
    )
    assert status == 200, text
    body = json.loads(text)
    assert {r["metric"] for r in body["rows"]} == {"ticket_volume", "csat"}
    assert all(r["n"] > 0 for r in body["rows"] if r["metric"] == "ticket_volume")
    (error,) = body["errors"]
    assert error["metric"] == "sla_compliance" and error["status"] == 400
    assert "[[sla]]" in error["error"]


def test_api_kpi_with_only_metrics_that_cannot_be_computed_is_an_error(server: str) -> None:
    status, text = _get(server, "/api/kpi?metric=sla_compliance")
    assert status == 400
    body = json.loads(text)
    assert body["ok"] is False and body["status"] == 400 and "[[sla]]" in body["error"]


def test_the_openapi_description_documents_the_errors_list(server: str) -> None:
    status, text = _get(server, "/openapi.json")
    assert status == 200
    description = json.loads(text)["paths"]["/api/kpi"]["get"]["description"]
    assert '"errors"' in description and "`note`" in description
