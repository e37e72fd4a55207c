"""Issue 19's findings, each as a regression test against the app in process: parameters with
one bound each, bounded work, cross-site writes, Host names, headers, and 500s with an id."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from ticket_stores import ticket_store

from supportkpi.errors import InputError
from supportkpi.query.request import MAX_METRICS, KpiRequest
from supportkpi.store import Store
from supportkpi.web import create_app, create_token, tokens_required
from supportkpi.web.cache import AnswerCache
from supportkpi.web.dashboard.registry import PAGES
from supportkpi.web.limits import BodyTimeout
from supportkpi.web.security import DEFAULT_HEADERS, allowed_hosts, host_name
from supportkpi.web.state import TimeBudgetError, time_budget

LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("hardening") / "hardening.duckdb"
    teams = ["billing", "billing", "x' OR '1'='1"]
    return str(ticket_store(path, ticket_id=["t1", "t2", "t3"], team=teams))


@pytest.fixture(scope="module")
def client(db: str) -> Any:
    with TestClient(create_app(db), base_url=LOCAL) as test_client:
        yield test_client


def _error(response: Any, status: int, *fragments: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"ok", "error", "status"} and body["status"] == status
    for fragment in fragments:
        assert fragment in body["error"], body["error"]
    return str(body["error"])


# -- 1. every parameter has a bound, and a bad one is a 4xx ---------------------------------
@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("/api/kpi?metric=ticket_volume&tz=" + "a" * 256, "tz"),
        ("/api/kpi?metric=ticket_volume&tz=" + "a" * 60, "unknown timezone"),
        ("/api/kpi?metric=ticket_volume&tz=../../etc/passwd", "unknown timezone"),
        ("/api/kpi?metric=ticket_volume&from=0001-01-01", "outside 1970-01-01"),
        ("/api/kpi?metric=ticket_volume&to=9999-12-31", "outside 1970-01-01"),
        (
            "/api/tickets?metric=ticket_volume&grain=month&period=9999-12-31",
            "outside 1970-01-01",
        ),
        (
            "/api/tickets?metric=ticket_volume&grain=month&period=2023-06-01&from=2024-01-01",
            "outside the range",
        ),
        ("/api/tickets?metric=ticket_volume&page=9223372036854775807", "'page'"),
        ("/api/kpi?metric=ticket_volume&where=team%3Dx%00y", "control character"),
        ("/api/kpi?metric=ticket_volume&where=team%3D" + "x" * 201, "at most 200"),
        (
            "/api/kpi?metric=ticket_volume&where=team%3D" + ",".join(["v"] * 101),
            "at most 100",
        ),
        ("/api/kpi?metric=backlog&grain=day&from=2025-01-01&to=2100-12-31", "20,000"),
        ("/api/staffing?calls=1e12&interval_min=30&aht_s=300&target_sl=0.8&target_s=20", "Erlangs"),
        (
            "/api/staffing?calls=9223372036854775807&interval_min=30&aht_s=300"
            "&target_sl=0.8&target_s=20",
            "Erlangs",
        ),
        (
            "/api/staffing?calls=100&interval_min=30&aht_s=300&target_sl=0.8&target_s=20"
            "&patience_s=1e9",
            "patience_s must be at most 86,400",
        ),
        (
            "/api/staffing?calls=100&interval_min=1e9&aht_s=300&target_sl=0.8&target_s=20",
            "interval_min",
        ),
    ],
)
def test_a_bad_parameter_is_one_4xx_sentence_and_fast(client: Any, url: str, fragment: str) -> None:
    started = time.monotonic()
    response = client.get(url)
    assert time.monotonic() - started < 5
    message = _error(response, 400, fragment)
    assert "Traceback" not in message and "\n" not in message


def test_the_dashboard_drill_down_refuses_a_period_out_of_range(client: Any) -> None:
    page = client.get("/tickets?metric=ticket_volume&grain=month&period=9999-12-31")
    assert page.status_code == 400 and "outside 1970-01-01" in page.text


def test_a_repeated_metric_is_computed_once(client: Any) -> None:
    started = time.monotonic()
    response = client.get("/api/kpi", params=[("metric", "ticket_volume")] * 200)
    assert response.status_code == 200 and time.monotonic() - started < 5
    assert [row["metric"] for row in response.json()["rows"]] == ["ticket_volume"]


def test_too_many_metrics_are_refused_by_the_request_model() -> None:
    request = KpiRequest(metrics=[f"m{i}" for i in range(MAX_METRICS + 1)])
    with pytest.raises(InputError, match=f"at most {MAX_METRICS}"):
        request.validate()


def test_sql_shaped_filter_values_are_data(client: Any) -> None:
    def volume(where: str) -> Any:
        rows = client.get("/api/kpi", params={"metric": "ticket_volume", "where": where})
        assert rows.status_code == 200, rows.text
        return rows.json()["rows"][0]["value"]

    assert volume("team=billing") == 2
    assert volume("team=x' OR '1'='1") == 1  # the one ticket whose team is that text
    assert volume("team=nobody') OR ('1'='1") in (None, 0)


# -- 2. bounded work ---------------------------------------------------------------------------
def test_a_request_over_its_time_budget_is_cancelled_with_a_503(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(reader: Any, request: Any) -> Any:
        raw = reader.con.backend.con.con
        raw.execute("SELECT count(*) FROM range(1000000000000) a").fetchall()
        raise AssertionError("the query should have been cancelled")

    with TestClient(create_app(db, budget_s=0.5), base_url=LOCAL) as client:
        state = client.app.state.api  # type: ignore[attr-defined]
        monkeypatch.setattr(state, "kpi", slow)
        started = time.monotonic()
        response = client.get("/api/kpi?metric=ticket_volume")
        assert time.monotonic() - started < 10
        _error(response, 503, "budget of 0.5 s")
        # The pooled connection was only interrupted: the next request is served.
        monkeypatch.undo()
        assert client.get("/api/kpi?metric=ticket_volume").status_code == 200


def test_an_idle_connection_is_not_hurt_by_a_late_interrupt(db: str) -> None:
    with TestClient(create_app(db), base_url=LOCAL) as client:
        state = client.app.state.api  # type: ignore[attr-defined]
        with state.reading() as reader, time_budget(reader, 0.01):
            time.sleep(0.1)  # the timer fires while nothing runs
        with (
            pytest.raises(TimeBudgetError),
            state.reading() as reader,
            time_budget(reader, 0.2),
        ):
            reader.store.con.execute("SELECT count(*) FROM range(1000000000000)").fetchall()
        assert client.get("/api/kpi?metric=ticket_volume").status_code == 200


def test_a_budget_spent_between_two_queries_refuses_the_next_one(db: str) -> None:
    # A KPI runs several queries: an engine interrupt that lands between two of them is
    # lost, so the backend itself refuses every query after it until the next request.
    with TestClient(create_app(db), base_url=LOCAL) as client:
        state = client.app.state.api  # type: ignore[attr-defined]
        with state.reading() as reader:
            backend = reader.con.backend
            first = backend.table("tickets").limit(1)
            with (
                pytest.raises(TimeBudgetError, match=r"budget of 0\.05 s"),
                time_budget(reader, 0.05),
            ):
                assert len(backend.execute(first)) == 1
                time.sleep(0.3)  # the budget runs out while nothing runs
                backend.execute(first)
                raise AssertionError("the second query should have been refused")
        assert client.get("/api/kpi?metric=ticket_volume,first_response_time").status_code == 200


def test_a_stalled_body_gets_a_408() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    sent: list[Any] = []

    async def stalling_receive() -> Any:
        if not sent:
            sent.append("first")
            return {"type": "http.request", "body": b"part", "more_body": True}
        await asyncio.sleep(60)
        raise AssertionError("never reached")

    async def send(message: Any) -> None:
        sent.append(message)

    async def run() -> None:
        scope = {"type": "http", "method": "POST", "path": "/api/ingest/tickets", "headers": []}
        await BodyTimeout(app, seconds=0.1)(scope, stalling_receive, send)

    from starlette.exceptions import HTTPException

    raised: list[BaseException] = []

    def in_own_loop() -> None:  # the browser tests' Playwright may hold this thread's loop
        try:
            asyncio.run(asyncio.wait_for(run(), 5))
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=in_own_loop)
    worker.start()
    worker.join(10)
    assert len(raised) == 1 and isinstance(raised[0], HTTPException)
    assert raised[0].status_code == 408


def test_a_bug_answers_500_with_an_id_and_logs_it_once(
    db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(create_app(db), base_url=LOCAL, raise_server_exceptions=False) as client:
        state = client.app.state.api  # type: ignore[attr-defined]

        def broken(reader: Any, request: Any) -> Any:
            raise RuntimeError("secret detail /tmp/private/path")

        monkeypatch.setattr(state, "kpi", broken)
        with caplog.at_level(logging.ERROR):
            response = client.get("/api/kpi?metric=ticket_volume")
    message = _error(response, 500, "internal error")
    assert "secret" not in message and "RuntimeError" not in message
    error_id = message.split()[2].rstrip(";")
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert all("Exception in ASGI application" not in r.getMessage() for r in caplog.records)


# -- 3. cross-site protection, Host names and headers -----------------------------------------
def _upload(client: Any, headers: dict[str, str]) -> Any:
    body = "ticket_id,created_at,channel\nx1,2024-01-05T10:00:00Z,email\n"
    return client.post(
        "/api/ingest/tickets",
        files={"file": ("t.csv", body.encode(), "text/csv")},
        headers=headers,
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1"},
    ],
)
def test_a_cross_site_write_is_refused(tmp_path: Path, db: str, headers: dict[str, str]) -> None:
    with TestClient(create_app(db), base_url=LOCAL) as client:
        _error(_upload(client, headers), 403, "cross-site write refused")
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM tickets").fetchone() == (3,)


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl and scripts send neither header
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1"},
        {"Origin": "http://127.0.0.1"},
        {"Authorization": "Bearer anything", "Origin": "https://evil.example"},
    ],
)
def test_same_origin_and_non_browser_writes_pass(
    tmp_path: Path, db: str, headers: dict[str, str]
) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(db).read_bytes())
    with TestClient(create_app(copy), base_url=LOCAL) as client:
        answer = _upload(client, headers)
    assert answer.status_code == 200, answer.text


def test_the_login_form_needs_its_form_token(tmp_path: Path) -> None:
    db = tmp_path / "guarded.duckdb"
    with Store(db) as store:
        token = create_token(store, "viewer")
    with TestClient(create_app(db, host="0.0.0.0"), base_url=LOCAL) as client:
        refused = client.post("/login", data={"token": token, "next": "/"})
        assert refused.status_code == 403 and "expired" in refused.text


def test_the_login_form_is_held_back_by_the_token_backoff(tmp_path: Path) -> None:
    db = tmp_path / "guarded.duckdb"
    with Store(db) as store:
        create_token(store, "viewer")
    app = create_app(db, host="0.0.0.0")
    with TestClient(app, base_url=LOCAL, follow_redirects=False) as client:
        statuses = []
        for _ in range(12):
            form = client.get("/login").text
            token = form.split('name="form" value="')[1].split('"')[0]
            answer = client.post("/login", data={"token": "skpi_x_y", "form": token})
            statuses.append(answer.status_code)
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    assert "try again in" in answer.text and answer.headers["retry-after"]


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1", 200),
        ("127.0.0.1:8000", 200),
        ("localhost:8000", 200),
        ("[::1]:8000", 200),
        ("evil.example", 400),
        ("127.0.0.1.evil.example", 400),
        ("", 400),
    ],
)
def test_a_loopback_server_answers_only_its_own_host_names(
    client: Any, host: str, status: int
) -> None:
    answer = client.get("/api/health", headers={"Host": host})
    assert answer.status_code == status, answer.text


def test_host_names_of_binds_and_allowed_names() -> None:
    assert allowed_hosts("0.0.0.0") is None
    assert allowed_hosts("0.0.0.0", ["kpi.example.com"]) == {
        "kpi.example.com",
        "localhost",
        "127.0.0.1",
        "::1",
    }
    assert "10.1.2.3" in (allowed_hosts("10.1.2.3") or ())
    assert host_name("KPI.Example.com:443") == "kpi.example.com"
    assert host_name("[::1]:8000") == "::1"
    assert tokens_required("127.0.0.1") is False
    assert tokens_required("127.0.0.1", ["kpi.example.com"]) is True
    assert tokens_required("127.0.0.1", always=True) is True
    assert tokens_required("0.0.0.0") is True


def test_a_loopback_server_behind_a_proxy_requires_tokens(db: str) -> None:
    app = create_app(db, allowed_host_names=["kpi.example.com"])
    with TestClient(app, base_url="http://kpi.example.com") as client:
        _error(client.get("/api/kpi?metric=ticket_volume"), 401, "Bearer")
        assert client.get("/api/health").status_code == 200


def _routes(client: Any) -> list[str]:
    """Every GET route of the API's schema and every dashboard page, plus the other kinds of
    answer: a static file, a CSV download, the docs, and the 404s."""
    spec = client.get("/openapi.json").json()
    api = [path for path, item in spec["paths"].items() if "get" in item and "{" not in path]
    pages = [page.path for page in PAGES]
    extra = ["/static/dashboard.css", "/docs", "/openapi.json", "/login", "/nope", "/api/nope"]
    drill = ["/tickets?metric=ticket_volume", "/volume?download=nope"]
    return [*api, *pages, *extra, *drill]


def test_every_response_carries_the_security_headers(client: Any) -> None:
    checked = 0
    for path in _routes(client):
        answer = client.get(path)
        for name in DEFAULT_HEADERS:
            assert name.lower() in answer.headers, (path, name)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        checked += 1
    assert checked >= 20
    refused = client.get("/api/health", headers={"Host": "evil.example"})
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_requests_in_flight_are_interrupted_when_the_server_stops(db: str) -> None:
    app = create_app(db)
    failures: list[BaseException] = []
    with TestClient(app, base_url=LOCAL):
        state = app.state.api

        def long_read() -> None:
            try:
                with state.reading() as reader:
                    reader.store.con.execute("SELECT count(*) FROM range(1000000000000)").fetchall()
            except BaseException as exc:
                failures.append(exc)

        worker = threading.Thread(target=long_read)
        worker.start()
        time.sleep(0.3)
        started = time.monotonic()
    worker.join(timeout=10)
    assert not worker.is_alive() and time.monotonic() - started < 10
    assert failures and isinstance(failures[0], TimeBudgetError)


def test_the_answer_cache_is_bounded_in_bytes_entries_and_age() -> None:
    now = [0.0]
    cache = AnswerCache(max_entries=3, max_bytes=200_000, ttl_s=10, clock=lambda: now[0])
    frame = pd.DataFrame({"x": range(10_000)})  # 80 KB
    computed: list[int] = []

    def answer(i: int) -> Any:
        computed.append(i)
        return frame.copy()

    for i in range(5):
        cache.get(i, lambda i=i: answer(i))
    assert len(cache) == 2 and cache.size_bytes <= 200_000  # bytes bound before entries
    cache.get(4, lambda: answer(99))
    assert 99 not in computed  # a hit
    now[0] = 11
    cache.get(4, lambda: answer(100))
    assert 100 in computed  # expired
    huge = pd.DataFrame({"x": range(100_000)})  # 800 KB: answered, never kept
    assert cache.get("huge", lambda: huge) is huge and "huge" not in cache._entries
    small = AnswerCache(max_entries=2)
    for i in range(5):
        small.get(i, lambda i=i: i)
    assert len(small) == 2


def test_the_same_question_at_once_is_computed_once() -> None:
    cache = AnswerCache()
    calls: list[int] = []
    gate = threading.Event()

    def slow() -> int:
        calls.append(1)
        gate.wait(5)
        return 42

    results: list[int] = []
    workers = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.2)
    gate.set()
    for worker in workers:
        worker.join(5)
    assert results == [42] * 4 and calls == [1]
