"""`supportkpi serve --engine pyspark`: the API and the dashboard over a Spark source, on a real
Connect server.

The answers are checked against the same data served from its DuckDB store; the source is
read and never written (a load is a 409), a changed source is seen by the next look, and a
server that cannot reach Spark does not start (one line, exit 2).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_support import run_cli
from fastapi.testclient import TestClient

from supportkpi import demo
from supportkpi.engine.spark_server import free_port
from supportkpi.store import Store
from supportkpi.web import create_app

#: Compared between the two engines: counts, durations, rates and a breakdown.
QUERIES = (
    "metric=ticket_volume&grain=month",
    "metric=first_response_time&by=channel",
    "metric=resolution_rate&grain=quarter",
    "metric=csat",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("served") / "demo.duckdb"
    with Store(path) as handle:
        demo.generate(handle, tickets=600, seed=5)
    return path


@pytest.fixture(scope="module")
def lake(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lake")
    with Store(store, read_only=True) as handle:
        handle.export(folder)
    return folder


def _config(folder: Path, url: str) -> Path:
    config = folder / "supportkpi.toml"
    config.write_text(f'[spark]\nremote = "{url}"\n')
    return config


@pytest.fixture(scope="module")
def on_spark(lake: Path, connect_url: str) -> Iterator[TestClient]:
    app = create_app(lake, config=_config(lake.parent, connect_url), engine="pyspark")
    yield TestClient(app, base_url="http://127.0.0.1")
    app.state.api.close()


@pytest.fixture(scope="module")
def on_duckdb(store: Path) -> Iterator[TestClient]:
    app = create_app(store)
    yield TestClient(app, base_url="http://127.0.0.1")
    app.state.api.close()


@pytest.mark.parametrize("query", QUERIES)
def test_the_api_on_spark_answers_as_on_duckdb(
    on_spark: TestClient, on_duckdb: TestClient, query: str
) -> None:
    spark = on_spark.get(f"/api/kpi?{query}")
    duck = on_duckdb.get(f"/api/kpi?{query}")
    assert spark.status_code == duck.status_code == 200, spark.text
    rows, expected = spark.json()["rows"], duck.json()["rows"]
    assert len(rows) == len(expected) > 0
    for got, want in zip(rows, expected, strict=True):
        assert got.keys() == want.keys()
        for key, value in want.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-9), (query, key)
            else:
                assert got[key] == value, (query, key)


def test_the_pages_render_with_the_sources_filters(on_spark: TestClient, lake: Path) -> None:
    # The speed page: its tiles read the facts the API tests above computed. (The overview
    # runs some 40 Spark jobs, a minute on this server: tests/web covers its content.)
    speed = on_spark.get("/speed")
    assert speed.status_code == 200
    assert 'class="tile"' in speed.text
    # The filter menus come from the source itself (there is no data in the server's store).
    channels = {r["channel"] for r in pq.read_table(lake / "tickets.parquet").to_pylist()}
    for channel in channels - {None}:
        assert f'value="{channel}"' in speed.text
    data = on_spark.get("/data")
    assert data.status_code == 200
    tickets = pq.read_metadata(lake / "tickets.parquet").num_rows
    assert f"{tickets:,}" in data.text


def test_a_load_is_refused_as_the_source_is_not_ours(on_spark: TestClient, lake: Path) -> None:
    answer = on_spark.post(
        "/api/ingest/tickets", files={"file": ("t.csv", b"ticket_id\n1\n", "text/csv")}
    )
    assert answer.status_code == 409
    assert "does not load into it" in answer.json()["error"]


def test_a_changed_source_is_read_again(lake: Path, connect_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    shutil.copytree(lake, folder)
    app = create_app(folder, config=_config(tmp_path, connect_url), engine="pyspark")
    client, state = TestClient(app, base_url="http://127.0.0.1"), app.state.api
    try:
        before = client.get("/api/kpi?metric=ticket_volume").json()["rows"][0]["value"]
        assert state.look_at_source() is False  # the first look only notes the files
        tickets = pq.read_table(folder / "tickets.parquet")
        pq.write_table(tickets.slice(0, tickets.num_rows - 10), folder / "tickets.parquet")
        assert state.look_at_source() is True
        after = client.get("/api/kpi?metric=ticket_volume").json()["rows"][0]["value"]
        assert (before, after) == (tickets.num_rows, tickets.num_rows - 10)
        assert state.look_at_source() is False
    finally:
        state.close()


def test_serve_on_spark_that_is_down_does_not_start(
    lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sc://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SPARK_REMOTE", url)
    result = run_cli(capsys, "serve", "--engine", "pyspark", "--db", str(lake))
    assert result.code == 2
    assert result.err.strip().count("\n") == 0, result.err
    assert url in result.err and "Traceback" not in result.err


def test_serve_store_option_is_for_spark_only(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "serve", "--db", str(store), "--store", str(store))
    assert result.code == 2
    assert "--store is for --engine pyspark" in result.err


def test_serve_on_spark_off_loopback_needs_a_store_with_tokens(
    lake: Path, connect_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = _config(tmp_path, connect_url)
    args = ("serve", "--engine", "pyspark", "--db", str(lake), "--config", str(config))
    result = run_cli(capsys, *args, "--host", "0.0.0.0")
    assert result.code == 2
    assert "needs an API token" in result.err and "--store" in result.err


def test_a_request_over_the_budget_is_cancelled_and_the_next_one_runs(
    lake: Path, connect_url: str, tmp_path: Path
) -> None:
    # A session of its own (another conf): cancelling interrupts every job of the session.
    config = tmp_path / "own-session.toml"
    config.write_text(
        f'[spark]\nremote = "{connect_url}"\nconf = {{"spark.sql.shuffle.partitions" = "3"}}\n'
    )
    # The tables alone, without the exported facts: the request has to compute them.
    folder = tmp_path / "tables"
    folder.mkdir()
    for table in lake.glob("*.parquet"):
        if not table.name.startswith("fact_"):
            shutil.copy(table, folder / table.name)
    app = create_app(folder, config=config, engine="pyspark", budget_s=0.3)
    client, state = TestClient(app, base_url="http://127.0.0.1"), app.state.api
    try:
        started = time.monotonic()
        answer = client.get("/api/kpi?metric=resolution_time&by=channel,priority&grain=week")
        assert answer.status_code == 503, answer.text[:300]
        assert "budget of 0.3 s" in answer.json()["error"]
        assert time.monotonic() - started < 30  # cancelled, not run to its end
        state.budget_s = 600.0
        again = client.get("/api/kpi?metric=ticket_volume")
        assert again.status_code == 200 and again.json()["rows"][0]["value"] > 0
    finally:
        state.close()
