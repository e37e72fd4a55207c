"""One JSON error shape for every failure; validation; injection-shaped parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from supportkpi.errors import InputError
from supportkpi.schema import TABLES
from supportkpi.store import Store
from supportkpi.web import create_app


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("api_errors") / "errors.duckdb"
    created = [datetime(2024, 1, d, 9, tzinfo=UTC) for d in (1, 2, 3)]
    with Store(path) as store, store.transaction():
        store.upsert(
            "tickets",
            pa.table(
                {
                    "ticket_id": ["t1", "t2", "t3"],
                    "created_at": created,
                    "channel": ["email", "chat", "email"],
                }
            ),
        )
    return str(path)


@pytest.fixture(scope="module")
def client(db: str) -> Any:
    with TestClient(create_app(db), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _error(response: Any, status: int, *fragments: str) -> str:
    """Assert the one error shape; return the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"ok", "error", "status"}
    assert body["ok"] is False and body["status"] == status
    message = body["error"]
    assert "\n" not in message and "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize(
    ("query", "status", "fragment"),
    [
        ({"metric": "nope"}, 404, "unknown metric 'nope'"),
        ({"metric": "ticket_volume", "from": "2024-13-01"}, 400, "invalid from date"),
        ({"metric": "ticket_volume", "to": "yesterday"}, 400, "invalid to date"),
        ({"metric": "ticket_volume", "grain": "fortnight"}, 400, "unknown grain"),
        ({"metric": "ticket_volume", "by": "colour"}, 400, "unknown dimension 'colour'"),
        ({"metric": "ticket_volume", "where": "colour=red"}, 400, "unknown dimension 'colour'"),
        ({"metric": "ticket_volume", "where": "channel"}, 400, "invalid filter"),
        ({"metric": "ticket_volume", "tz": "Mars/Base"}, 400, "unknown timezone"),
        ({"metric": "ticket_volume", "cohort": "later"}, 400, "unknown cohort"),
        ({"metric": "fcr_rate:p90"}, 400, "takes no statistic"),
        ({"metric": "ticket_volume", "business_hours": "maybe"}, 400, "'business_hours'"),
        ({}, 400, "'metric'"),
    ],
)
def test_kpi_validation(
    client: TestClient, query: dict[str, str], status: int, fragment: str
) -> None:
    _error(client.get("/api/kpi", params=query), status, fragment)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"metric": "first_response_time", "page": "abc"}, "'page'"),
        ({"metric": "first_response_time", "page": "0"}, "greater than or equal to 1"),
        ({"metric": "first_response_time", "page_size": "5000"}, "less than or equal to 1000"),
        ({"metric": "first_response_time", "period": "2024-01-01"}, "a period needs a grain"),
        ({"metric": "first_response_time", "grain": "month", "period": "Jan"}, "invalid period"),
    ],
)
def test_tickets_validation(client: TestClient, query: dict[str, str], fragment: str) -> None:
    _error(client.get("/api/tickets", params=query), 400, fragment)


def test_staffing_validation(client: TestClient) -> None:
    base = {"calls": 360, "interval_min": 30, "aht_s": 240, "target_sl": 0.8, "target_s": 20}
    _error(client.get("/api/staffing", params={**base, "calls": -1}), 400, "calls must be")
    _error(client.get("/api/staffing", params={**base, "target_sl": 2}), 400, "target_sl")
    _error(client.get("/api/staffing", params={**base, "aht_s": "long"}), 400, "'aht_s'")
    missing = {k: v for k, v in base.items() if k != "target_s"}
    _error(client.get("/api/staffing", params=missing), 400, "'target_s'", "required")


def test_unknown_route_and_method(client: TestClient) -> None:
    _error(client.get("/api/nope"), 404, "no route GET /api/nope")
    _error(client.get("/api/ingest/tickets"), 405, "GET is not allowed", "POST")
    _error(client.post("/api/kpi"), 405, "POST is not allowed")


def test_library_errors_keep_their_status(client: TestClient) -> None:
    # An unknown table is a NotFoundError (404) raised by the loader, before any write.
    files = {"file": ("t.csv", b"ticket_id,created_at,channel\n", "text/csv")}
    _error(client.post("/api/ingest/nope", files=files), 404, "unknown table 'nope'")


def test_a_metric_without_rows_behind_it_is_a_client_error(client: TestClient) -> None:
    # A quotient of two tables has no single list of rows behind it: ask for another metric.
    response = client.get("/api/tickets", params={"metric": "cost_per_resolution"})
    _error(response, 400, "cost_per_resolution", "no row list")


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        create_app(tmp_path / "missing.duckdb")


INJECTIONS = [
    ("/api/kpi", {"metric": "ticket_volume;DROP TABLE tickets"}, 404),
    ("/api/kpi", {"metric": "ticket_volume' OR '1'='1"}, 404),
    ("/api/kpi", {"metric": "ticket_volume", "by": "channel; DROP TABLE tickets"}, 400),
    ("/api/kpi", {"metric": "ticket_volume", "where": "channel;DROP TABLE tickets--=x"}, 400),
    ("/api/kpi", {"metric": "ticket_volume", "from": "2024-01-01' OR 1=1 --"}, 400),
    ("/api/kpi", {"metric": "ticket_volume", "tz": "UTC'; DROP TABLE tickets; --"}, 400),
    ("/api/kpi", {"metric": "ticket_volume", "grain": "day); DROP TABLE tickets; --"}, 400),
    ("/api/tickets", {"metric": "ticket_volume", "page_size": "1; DROP TABLE tickets"}, 400),
]


@pytest.mark.parametrize(("path", "query", "status"), INJECTIONS)
def test_injection_shaped_parameters_are_rejected(
    client: TestClient, db: str, path: str, query: dict[str, str], status: int
) -> None:
    _error(client.get(path, params=query), status)
    _assert_store_intact(client)


def test_injection_shaped_filter_values_are_plain_values(client: TestClient) -> None:
    for value in ("x' OR '1'='1", "email') OR ('1'='1", 'email" OR "1"="1', "%", "*"):
        rows = client.get(
            "/api/kpi", params={"metric": "ticket_volume", "where": f"channel={value}"}
        ).json()["rows"]
        # No ticket has that channel: the value matched nothing instead of everything.
        assert rows == [{"metric": "ticket_volume", "value": None, "n": 0}], value
        page = client.get(
            "/api/tickets", params={"metric": "ticket_volume", "where": f"channel={value}"}
        ).json()
        assert page["total"] == 0 and page["rows"] == []
    _assert_store_intact(client)


def _assert_store_intact(client: TestClient) -> None:
    rows = client.get("/api/kpi", params={"metric": "ticket_volume", "by": "channel"}).json()
    assert {r["channel"]: r["value"] for r in rows["rows"]} == {"chat": 1.0, "email": 2.0}
    db = client.app.state.api.db_path  # type: ignore[attr-defined]
    with Store(db, read_only=True) as store:
        assert store.counts() == {name: 3 if name == "tickets" else 0 for name in TABLES}
