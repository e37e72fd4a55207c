"""The dashboard prepares its views in advance: at start, and again after every load.

A statement is compiled once per shape (which filters are set, not their values), so the
warm-up also opens the overview with one value of each filter: a visitor's first filter then
finds its statements compiled, whatever value it picks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportkpi import demo
from supportkpi.engine.backends import DuckDBBackend
from supportkpi.store import Store
from supportkpi.web import create_app
from supportkpi.web.dashboard import mount_dashboard, router


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("warm") / "demo.duckdb"
    with Store(path) as store:
        demo.generate(store, tickets=600, seed=5)
    return str(path)


@pytest.fixture()
def client(db: str) -> Iterator[TestClient]:
    app = create_app(db)
    mount_dashboard(app)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def _wait_for_warm_up(client: TestClient) -> None:
    deadline = time.monotonic() + 120
    while any(t.name == "warm-dashboard" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the warm-up did not finish"
        time.sleep(0.05)


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    real = DuckDBBackend.compile_tree

    def counting(self: DuckDBBackend, expr: Any) -> Any:
        seen.append(expr)
        return real(self, expr)

    monkeypatch.setattr(DuckDBBackend, "compile_tree", counting)
    return seen


def test_a_first_filter_finds_its_statements_compiled(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _wait_for_warm_up(client)
    compiles = _compiles(monkeypatch)
    # The warm-up opened the overview with the first channel; another value shares its shapes.
    assert client.get("/", params={"channel": "chat"}).status_code == 200
    assert compiles == []
    # Two filters at once are another shape, which nobody prepared: it is compiled. (Not two
    # values of one filter: in about one run in three that shape was already compiled on the
    # pooled reader the request got, by the warm-up of some other page.)
    assert client.get("/", params={"channel": "chat", "priority": "high"}).status_code == 200
    assert compiles


def test_a_load_prepares_the_views_again(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _wait_for_warm_up(client)
    warmed = threading.Event()
    real = router.warm_pages

    def recording(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        warmed.set()

    monkeypatch.setattr(router, "warm_pages", recording)
    upload = tmp_path / "one.csv"
    upload.write_text("ticket_id,created_at,channel\nW1,2025-06-01T10:00:00Z,email\n")
    with upload.open("rb") as fh:
        response = client.post("/api/ingest/tickets", files={"file": ("one.csv", fh)})
    assert response.status_code == 200, response.text
    assert warmed.wait(timeout=120), "no warm-up after the load"


def test_asked_while_warming_it_runs_once_more_after() -> None:
    runs: list[int] = []
    release = threading.Event()

    class FakeState:
        pass

    warmer = router.Warmer(FakeState(), threading.Event())  # type: ignore[arg-type]

    def slow(state: Any, stop: Any) -> None:
        runs.append(len(runs))
        release.wait(timeout=10)

    original = router.warm_pages
    router.warm_pages = slow  # type: ignore[assignment]
    try:
        first = threading.Thread(target=warmer)
        first.start()
        while not runs:
            time.sleep(0.01)
        warmer()  # while running: returns at once, and asks for one more run
        warmer()  # asked twice: still one more run
        release.set()
        first.join(timeout=10)
    finally:
        router.warm_pages = original  # type: ignore[assignment]
    assert runs == [0, 1]
    assert warmer.finished.is_set()
