"""The read routes of the HTTP API: answers equal the CLI's and hand-computed values.

The store holds four hand-made tickets (no events, so the ticket columns are the source):

    t1  2024-01-01 09:00  email  billing    first response after 1 h, solved
    t2  2024-01-02 09:00  chat   technical  first response after 3 h
    t3  2024-01-15 09:00  email  technical  first response after 30 min
    t4  2024-02-01 09:00  email  billing    no response
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from cli_support import run_cli
from fastapi.testclient import TestClient

import supportkpi
from supportkpi.report.rows import plain
from supportkpi.store import Store
from supportkpi.web import create_app


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def build_store(path: Path) -> str:
    tickets = pa.table(
        {
            "ticket_id": ["t1", "t2", "t3", "t4"],
            "created_at": [
                _t("2024-01-01 09:00"),
                _t("2024-01-02 09:00"),
                _t("2024-01-15 09:00"),
                _t("2024-02-01 09:00"),
            ],
            "channel": ["email", "chat", "email", "email"],
            "customer_id": ["c1", "c1", "c2", None],
            "team": ["billing", "technical", "technical", "billing"],
            "first_response_at": [
                _t("2024-01-01 10:00"),
                _t("2024-01-02 12:00"),
                _t("2024-01-15 09:30"),
                None,
            ],
            "solved_at": [_t("2024-01-01 11:00"), None, None, None],
        }
    )
    # 300 of costs over January (period_end is inclusive) and one order of c1.
    costs = {"period_start": [date(2024, 1, 1)], "period_end": [date(2024, 1, 31)]}
    orders = {"order_id": ["o1"], "customer_id": ["c1"], "ordered_at": [_t("2024-01-10 12:00")]}
    with Store(path) as store, store.transaction():
        store.upsert("tickets", tickets)
        store.upsert("costs", pa.table({**costs, "amount": [300.0], "category": ["tooling"]}))
        store.upsert("orders", pa.table({**orders, "amount": [1000.0]}))
    return str(path)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("api") / "api.duckdb")


@pytest.fixture(scope="module")
def client(db: str) -> Any:
    with TestClient(create_app(db), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


# -- health and catalogue ----------------------------------------------------------------------
def test_health(client: TestClient) -> None:
    assert _ok(client.get("/api/health")) == {"ok": True, "version": supportkpi.__version__}


def test_metrics_equal_the_cli_catalogue(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = run_cli(capsys, "metrics", "--json")
    assert cli.code == 0, cli.err
    api = _ok(client.get("/api/metrics"))
    assert api == json.loads(cli.out)
    assert "first_response_time" in {m["id"] for m in api["metrics"]}


# -- /api/kpi ----------------------------------------------------------------------------------
def test_kpi_hand_computed(client: TestClient) -> None:
    params = {"metric": ["ticket_volume", "first_response_time"], "grain": "month"}
    rows = _ok(client.get("/api/kpi", params={**params, "by": "channel"}))["rows"]
    volume = {
        (r["period"], r["channel"]): r["value"] for r in rows if r["metric"] == "ticket_volume"
    }
    assert volume == {
        ("2024-01-01", "chat"): 1.0,
        ("2024-01-01", "email"): 2.0,
        ("2024-02-01", "email"): 1.0,
    }
    rows = _ok(client.get("/api/kpi", params={**params, "to": "2024-02-01"}))["rows"]
    # January's first responses: 1 h, 3 h, 30 min → median 1 h over 3 tickets.
    frt = [r for r in rows if r["metric"] == "first_response_time:median"]
    assert frt == [
        {"metric": "first_response_time:median", "value": 3600.0, "n": 3, "period": "2024-01-01"}
    ]


CLI_QUERIES = [
    (
        ["ticket_volume", "first_response_time"],
        {"grain": "month", "by": "channel"},
        ["--grain", "month", "--by", "channel"],
    ),
    (
        ["first_response_time:p90", "escalation_rate"],
        {"from": "2024-01-01", "to": "2024-02-01", "where": "channel=email"},
        ["--from", "2024-01-01", "--to", "2024-02-01", "--where", "channel=email"],
    ),
    (
        ["ticket_volume"],
        {"by": ["team", "channel"], "where": ["channel=email,chat", "team=billing"]},
        ["--by", "team,channel", "--where", "channel=email,chat", "--where", "team=billing"],
    ),
    (
        ["backlog", "tickets_solved"],
        {"grain": "week", "tz": "Europe/Berlin", "to": "2024-02-15", "cohort": "created"},
        ["--grain", "week", "--tz", "Europe/Berlin", "--to", "2024-02-15", "--cohort", "created"],
    ),
]


@pytest.mark.parametrize(("metrics", "params", "cli_args"), CLI_QUERIES)
def test_kpi_equals_the_cli_json(
    client: TestClient,
    db: str,
    capsys: pytest.CaptureFixture[str],
    metrics: list[str],
    params: dict[str, Any],
    cli_args: list[str],
) -> None:
    cli = run_cli(capsys, "kpi", *metrics, "--db", db, *cli_args, "--format", "json")
    assert cli.code == 0, cli.err
    api = _ok(client.get("/api/kpi", params={"metric": metrics, **params}))
    assert api == json.loads(cli.out)
    assert api["rows"], "the query should have rows"


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every KPI computation the server runs for a request (cache misses)."""
    from supportkpi.web import state

    seen: list[Any] = []
    real = state.run_kpi_partial

    def counting(*args: Any, **kwargs: Any) -> Any:
        # The dashboard's start-up warm-up computes its default views in its own thread.
        if threading.current_thread().name != "warm-dashboard":
            seen.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(state, "run_kpi_partial", counting)
    return seen


def test_kpi_repeated_query_is_served_from_the_cache(
    client: TestClient, calls: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {"metric": "ticket_volume", "grain": "day", "from": "2024-01-01"}
    first = _ok(client.get("/api/kpi", params=params))
    second = _ok(client.get("/api/kpi", params=params))
    assert first == second and len(calls) == 1
    _ok(client.get("/api/kpi", params={**params, "from": "2024-01-02"}))
    assert len(calls) == 2
    cache = client.app.state.api.cache  # type: ignore[attr-defined]
    monkeypatch.setattr(cache, "ttl_s", 0.0)  # answers age with the clock
    _ok(client.get("/api/kpi", params={**params, "from": "2024-01-03"}))
    _ok(client.get("/api/kpi", params={**params, "from": "2024-01-03"}))
    assert len(calls) == 4


def test_the_api_and_the_dashboard_share_one_cache_entry(
    client: TestClient, calls: list[Any]
) -> None:
    """The API parses strings, the dashboard passes dates: both build the library's
    ``KpiRequest``, whose key is the cache's, so one question is computed once."""
    from supportkpi.web import state

    params = {"metric": "first_response_time", "grain": "week", "from": "2024-01-01"}
    api = _ok(client.get("/api/kpi", params={**params, "to": "2024-02-01", "by": "channel"}))
    api_state: state.ApiState = client.app.state.api
    with api_state.reading() as reader:
        # What a dashboard tile asks (see DashboardContext.kpi): dates, lists, no timezone.
        request = reader.con.query(
            ["first_response_time"],
            start=date(2024, 1, 1),
            end=date(2024, 2, 1),
            grain="week",
            by=["channel"],
            where={},
            business_hours=False,
        )
        tile = api_state.kpi(reader, request)
    assert len(calls) == 1
    assert len(tile.rows) == len(api["rows"]) > 0


# -- /api/tickets ------------------------------------------------------------------------------
def test_tickets_behind_a_value_page_by_page(client: TestClient) -> None:
    params = {"metric": "first_response_time", "grain": "month", "period": "2024-01-01"}
    first = _ok(client.get("/api/tickets", params={**params, "page_size": 2}))
    assert (first["total"], first["page"], first["page_size"]) == (3, 1, 2)
    # Newest first: t3 answered on 15 January, t2 on 2 January, t1 on 1 January.
    assert [(r["ticket_id"], r["value"]) for r in first["rows"]] == [
        ("t3", 1800.0),
        ("t2", 10800.0),
    ]
    second = _ok(client.get("/api/tickets", params={**params, "page_size": 2, "page": 2}))
    assert [r["ticket_id"] for r in second["rows"]] == ["t1"]
    datetime.fromisoformat(second["rows"][0]["at"])  # instants are ISO 8601
    email = _ok(client.get("/api/tickets", params={**params, "where": "channel=email"}))
    assert sorted(r["ticket_id"] for r in email["rows"]) == ["t1", "t3"]


# -- operations --------------------------------------------------------------------------------
def test_staffing_equals_the_cli_json(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    args = {"calls": 360, "interval_min": 30, "aht_s": 240, "target_sl": 0.8, "target_s": 20}
    cli_args = [f"--{k.replace('_', '-')}={v}" for k, v in args.items()]
    cli = run_cli(capsys, "staffing", *cli_args, "--shrinkage", "0.3", "--json")
    assert cli.code == 0, cli.err
    api = _ok(client.get("/api/staffing", params={**args, "shrinkage": 0.3}))
    assert api == json.loads(cli.out)
    # The textbook case: 48 Erlangs at 80/20 need 54 agents; 54 / 0.7 → 78 scheduled.
    assert (api["agents"], api["agents_with_shrinkage"]) == (54, 78)


def test_plain_turns_infinity_and_numpy_into_json() -> None:
    import numpy as np

    assert plain({"a": float("inf"), "b": np.int64(3), "c": [np.float64("nan")]}) == {
        "a": None,
        "b": 3,
        "c": [None],
    }


def test_sla_at_risk_equals_the_cli_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sla.duckdb"
    with Store(path) as store, store.transaction():
        store.upsert(
            "tickets",
            pa.table(
                {
                    "ticket_id": ["open1"],
                    "created_at": [_t("2024-01-01 09:00")],
                    "channel": ["email"],
                    "status": ["open"],
                }
            ),
        )
    config = tmp_path / "sla.toml"
    config.write_text('[[sla]]\nname = "all"\nfirst_response = "4h"\nresolution = "48h"\n')
    as_of = "2024-01-01T10:00:00+00:00"
    with TestClient(create_app(path, config=config), base_url="http://127.0.0.1") as sla_client:
        body = _ok(sla_client.get("/api/sla/at-risk", params={"horizon": "4h", "as_of": as_of}))
        # First response falls due at 13:00, 3 h after as_of; resolution in 47 h (outside).
        assert [(r["ticket_id"], r["sla_target"], r["remaining_s"]) for r in body["rows"]] == [
            ("open1", "first_response", 10800.0)
        ]
        assert body["rows"][0]["due_at"] == "2024-01-01T13:00:00+00:00"
        shorter = sla_client.get("/api/sla/at-risk", params={"horizon": "2h", "as_of": as_of})
        assert _ok(shorter)["rows"] == []
        for bad in ({"horizon": "soon"}, {"as_of": "2024-01-01T10:00:00"}):
            assert sla_client.get("/api/sla/at-risk", params=bad).status_code == 400
    cli = run_cli(
        capsys, "sla", "at-risk", "--db", str(path), "--config", str(config),
        "--horizon", "4h", "--as-of", as_of, "--format", "json",
    )  # fmt: skip
    assert cli.code == 0, cli.err
    assert body == json.loads(cli.out)


def test_customers_equal_the_cli_json(
    client: TestClient, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    query = {"from": "2024-01-01", "to": "2024-02-01"}
    body = _ok(client.get("/api/customers", params=query))
    # January: 3 contacts share 300 of costs (100 each); c1 has 2 tickets and 1000 of orders.
    got = {r["customer_id"]: (r["tickets"], r["support_cost"], r["revenue"]) for r in body["rows"]}
    assert got == {"c1": (2, 200.0, 1000.0), "c2": (1, 100.0, 0.0)}
    assert [r["cost_to_revenue"] for r in body["rows"]] == [0.2, None]
    cli = run_cli(capsys, "customers", "--db", db, "--from", "2024-01-01", "--to", "2024-02-01",
                  "--format", "json")  # fmt: skip
    assert cli.code == 0, cli.err
    assert body == json.loads(cli.out)
    top = _ok(client.get("/api/customers", params={**query, "limit": 1}))
    assert [r["customer_id"] for r in top["rows"]] == ["c1"]  # the highest support cost


# -- data --------------------------------------------------------------------------------------
def test_rejects_and_loads_on_a_clean_store(client: TestClient) -> None:
    assert _ok(client.get("/api/rejects")) == {"rows": []}
    assert _ok(client.get("/api/loads")) == {"rows": []}  # rows were upserted, not loaded


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/api/kpi" in page.text and "/api/ingest/{table}" in page.text
    assert "cdn" not in page.text.lower() and "<script" not in page.text
    spec = _ok(client.get("/openapi.json"))
    assert {"/api/kpi", "/api/tickets", "/api/staffing", "/api/customers"} <= set(spec["paths"])
