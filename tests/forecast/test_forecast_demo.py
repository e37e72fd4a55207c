"""Forecasts on the demo data set: model choice, closed days, the CLI and the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli
from fastapi.testclient import TestClient

from supportkpi import demo
from supportkpi.api import Connection
from supportkpi.forecast import forecast_volume
from supportkpi.store import Store
from supportkpi.web import create_app

#: The demo desk's hours (supportkpi.demo.parameters), closed on German public holidays.
BERLIN = """
timezone = "Europe/Berlin"
[business_hours]
holidays_country = "DE"
[business_hours.week]
mon = ["08:00-20:00"]
tue = ["08:00-20:00"]
wed = ["08:00-20:00"]
thu = ["08:00-20:00"]
fri = ["08:00-20:00"]
sat = ["10:00-16:00"]
"""
ROW_KEYS = {"metric", "at", "value", "lo80", "hi80", "lo95", "hi95"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("forecast-demo") / "demo.duckdb"
    with Store(path) as store:
        demo.generate(store, tickets=3_000, seed=11)
    return str(path)


@pytest.fixture(scope="module")
def berlin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("forecast-config") / "berlin.toml"
    path.write_text(BERLIN, encoding="utf-8")
    return path


def test_the_chosen_model_beats_seasonal_naive_on_the_demo(demo_db: str) -> None:
    with Connection(demo_db) as con:
        result = forecast_volume(con, "ticket_volume", interval="1d", horizon="7d")
    assert result.backtest is not None and result.backtest.folds == 3
    candidate, baseline = result.backtest.candidate, result.backtest.baseline
    assert candidate.model == "auto_ets" and baseline.model == "seasonal_naive"
    assert candidate.mase is not None and baseline.mase is not None
    assert candidate.mase < baseline.mase
    assert result.model == "auto_ets" and not result.notes
    assert candidate.points == baseline.points == 21  # 3 folds × 7 open days (no calendar)


def test_a_holiday_in_the_horizon_is_forecast_closed(demo_db: str, berlin: Path) -> None:
    # 22–28 Dec 2025: Christmas Day and Boxing Day are German holidays, the 28th a Sunday.
    with Connection(demo_db, config=berlin) as con:
        result = forecast_volume(con, "ticket_volume", "60m", "7d", as_of="2025-12-22")
    rows = result.rows
    assert len(rows) == 7 * 24  # every hour of the horizon, closed ones included
    assert rows["at"].iloc[0] == "2025-12-22T00:00:00+01:00"
    day = rows["at"].str[:10]
    values = rows[["value", "lo80", "hi80", "lo95", "hi95"]]
    for closed in ("2025-12-25", "2025-12-26", "2025-12-28"):
        assert (values[day == closed] == 0).all().all()
    monday = rows[day == "2025-12-22"]
    monday = monday.set_index(monday["at"].str[11:16])
    assert (monday.loc["00:00":"07:00", "hi95"] == 0).all()  # before opening
    assert monday.loc["08:00":"19:00", "value"].sum() > 0
    assert any("closed hours" in note for note in result.notes)


def test_cli_json_has_one_row_per_interval_and_series(demo_db: str, capsys) -> None:
    result = run_cli(
        capsys,
        "forecast",
        "calls_offered",
        "--db",
        demo_db,
        "--interval",
        "60m",
        "--horizon",
        "1d",
        "--by",
        "queue",
        "--folds",
        "1",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert body["model"] in {"mstl", "seasonal_naive"}
    queues = {row["queue"] for row in body["rows"]}
    assert len(body["rows"]) == 24 * len(queues) and len(queues) > 1
    for row in body["rows"]:
        assert set(row) == ROW_KEYS | {"queue"}
        assert 0 <= row["lo95"] <= row["lo80"] <= row["value"] <= row["hi80"] <= row["hi95"]
    assert body["rows"][0]["at"] == "2026-11-01T00:00:00+00:00"  # the day after the data


def test_cli_backtest_and_staffing(demo_db: str, capsys) -> None:
    args = ("forecast", "ticket_volume", "--db", demo_db, "--interval", "1d", "--horizon", "7d")
    result = run_cli(capsys, *args, "--backtest", "--format", "json")
    assert result.code == 0, result.err
    scores = json.loads(result.out)["backtest"]["scores"]
    assert [s["model"] for s in scores] == ["auto_ets", "seasonal_naive"]
    assert all(0 <= s["coverage95"] <= 1 for s in scores)
    result = run_cli(
        capsys, *args, "--staffing", "async", "--aht-s", "600", "--agents", "3", "--format", "csv"
    )
    assert result.code == 0, result.err
    header = result.out.splitlines()[0].split(",")
    assert header[:3] == ["metric", "at", "value"]
    assert {"workload_hours", "agents", "agents_with_shrinkage"} <= set(header)
    assert len(result.out.splitlines()) == 1 + 7
    assert "days_to_clear_backlog" in result.err


def test_api_forecast_json_shape(demo_db: str) -> None:
    # Without the app's lifespan (its background fact refresh is not under test here).
    app = create_app(demo_db)
    client = TestClient(app, base_url="http://127.0.0.1")
    query = {"metric": "calls_offered", "interval": "60m", "horizon": "2d", "folds": "1"}
    answer = client.get("/api/forecast", params=query)
    assert answer.status_code == 200
    body = answer.json()
    assert body["model"] in {"mstl", "seasonal_naive"}
    assert len(body["rows"]) == 48 and set(body["rows"][0]) == ROW_KEYS
    assert [s["model"] for s in body["backtest"]["scores"]] == [
        "mstl",
        "seasonal_naive",
    ]
    bad = client.get("/api/forecast", params={"metric": "csat"})
    assert bad.status_code == 400
    assert "not a count" in bad.json()["error"]
    app.state.api.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no_such_metric",), "unknown metric 'no_such_metric'"),
        (("csat",), "is not a count of arrivals"),
        (("ticket_volume", "--interval", "5m"), "unknown interval '5m'"),
        (("ticket_volume", "--horizon", "0d"), "the horizon '0d' is zero"),
        (("ticket_volume", "--horizon", "90m"), "invalid horizon"),
        (("ticket_volume", "--as-of", "2025-05-10"), "too little history"),
        (("ticket_volume", "--by", "queue"), "cannot be broken down by 'queue'"),
    ],
)
def test_bad_input_is_one_clear_line(demo_db: str, capsys, args, message: str) -> None:
    result = run_cli(capsys, "forecast", *args, "--db", demo_db)
    assert result.code == 2
    assert result.err.startswith("Error: ") and message in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_dashboard_forecast_against_actual_and_the_staffing_csv(demo_db: str) -> None:
    app = create_app(demo_db)
    client = TestClient(app, base_url="http://127.0.0.1")
    # The range ends 11 Oct 2026, before the data does: the forecast overlaps actual days.
    volume = client.get("/volume?range=custom&from=2026-09-01&to=2026-10-10")
    assert volume.status_code == 200
    assert 'id="forecast-ticket-volume-chart"' in volume.text
    table = client.get(
        "/volume?range=custom&from=2026-09-01&to=2026-10-10&download=forecast-ticket-volume-table"
    ).text.splitlines()
    assert table[0] == "date,value,lo80,hi80,lo95,hi95,actual"
    assert len(table) == 1 + 14 and table[1].startswith("2026-10-11,")
    assert all(line.split(",")[-1] != "" for line in table[1:])  # actual counts are known
    staffing = client.get("/staffing?download=staffing-hours").text.splitlines()
    assert staffing[0].startswith("date,hour,value,aht_s,agents,agents_with_shrinkage")
    assert len(staffing) == 1 + 7 * 24
    app.state.api.close()
