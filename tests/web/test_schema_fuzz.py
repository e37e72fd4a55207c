"""Schemathesis fuzzes the API from its own OpenAPI document (issue 19, item 6a).

Every operation but the write route (``POST /api/ingest/{table}``) gets generated requests,
valid and invalid, against an in-process app over a small demo store and the example config;
every answer must be no 5xx, of the declared content type and schema, and every error the one
JSON shape ``{"ok": false, "error": "…", "status": N}``. The runs are seeded and bounded so CI
is reproducible and fast; a failure prints the request to replay with curl.

Random text almost never names a metric, so the generated values are mixed with real ones
(the catalogue's selectors, dimensions, grains, dates in the demo window, zones, durations):
most of the time a parameter gets one of these, so the requests reach the KPI code.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from supportkpi import demo
from supportkpi.engine.periods import GRAINS
from supportkpi.metrics.registry import all_metrics
from supportkpi.query.request import KNOWN_DIMENSIONS
from supportkpi.schema import TABLES
from supportkpi.store import Store
from supportkpi.web import create_app

CONFIG = Path(__file__).parents[2] / "examples" / "config" / "supportkpi.toml"
# The app answers loopback Host names only; Schemathesis' default Host is "testserver".
BASE_URL = "http://127.0.0.1"
#: Generated requests per operation in the fuzzing phase; the examples and coverage phases
#: add their own few, deterministic cases.
MAX_EXAMPLES = 25
#: A fixed seed: a CI failure replays the same requests locally.
SEED = 19
#: Text that gives away a traceback or internals in an error message.
LEAKS = ("Traceback", 'File "', "site-packages", "duckdb.", "Error:")

METRICS = all_metrics()
#: Every metric, and some statistics of each distribution (the durations).
SELECTORS = [m.id for m in METRICS] + [
    f"{m.id}:{stat}"
    for m in METRICS
    if m.default_stat is not None
    for stat in ("mean", "p50", "p90", "p99", "count", "sum")
]
DIMENSIONS = [*KNOWN_DIMENSIONS, "channel,team"]
FILTERS = [
    "channel=email",
    "channel=email,chat",
    "team=billing",
    "priority=urgent",
    "segment=enterprise",
]
#: Real values for the scalar parameters (Schemathesis dictionaries), by parameter name.
REAL_VALUES: dict[str, list[Any]] = {
    "grain": list(GRAINS),
    "cohort": ["event", "created"],
    "tz": ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati"],
    "from": ["2025-05-01", "2026-10-01", "2026-03-29", "1970-01-01", "0001-01-01", "2026-02-30"],
    "to": ["2026-11-01", "2026-10-02", "2026-10-25", "9999-12-31", "2026-10-01"],
    "period": ["2026-10-01", "2026-09-28", "2026-07-01", "2026-01-01", "2031-01-01"],
    "horizon": ["4h", "90m", "1h30m", "2d", "0s", "100000000000000000000d"],
    "as_of": ["2026-10-15T09:00:00+00:00", "2026-10-15T09:00:00Z", "9999-12-31T23:59:59+00:00"],
    "table": sorted(TABLES),
    "limit": [1, 5, 100_000],
    "load": [1, 3, 0],
    "calls": [100, 1, 0.5, 1_000_000],
    "interval_min": [15, 30, 60, 1_440],
    "aht_s": [180, 300, 3_600, 1],
    "target_sl": [0.8, 0.95, 1.0, 0.0],
    "target_s": [20, 0, 86_400],
    "max_occupancy": [0.85, 1.0, 0.5, 0.01],
    "shrinkage": [0.0, 0.3, 0.99],
    "patience_s": [60, 0.1, 3_600],
}
#: How often a scalar parameter gets one of its real values instead of a generated one.
REAL_SHARE = 0.875
#: Real values for the parameters that name metrics and dimensions; drawn by a hook, since
#: dictionaries hold scalars only and ``metric`` is a list on /api/kpi, a string elsewhere.
REAL_LISTS: dict[str, list[str]] = {"metric": SELECTORS, "by": DIMENSIONS, "where": FILTERS}


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, read at import so that pytest collects one test per
    operation (a lazy ``schemathesis.pytest.from_fixture`` schema fails on pytest 9.2: it
    renames nodes through the removed ``Node._nodeid``). The document does not depend on the
    data, and ``create_app`` opens the store only for a request, so an empty file will do."""
    with tempfile.TemporaryDirectory(prefix="supportkpi-openapi-") as folder:
        placeholder = Path(folder) / "empty.duckdb"
        placeholder.touch()
        return create_app(placeholder).openapi()


def schemathesis_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # The fuzzed server is the default, loopback one, which needs no token (tokens and
            # their errors are tested in test_tokens.py): no generated Authorization header.
            "generation": {"with-security-parameters": False},
            "dictionaries": {name: {"values": values} for name, values in REAL_VALUES.items()},
            "parameters": {
                f"query.{name}": {"dictionary": name, "probability": REAL_SHARE}
                for name in REAL_VALUES
            },
        }
    )


OPENAPI = openapi_document()
# The one write route is left out: it changes the store every other operation reads.
schema = schemathesis.openapi.from_dict(OPENAPI, config=schemathesis_config()).exclude(
    method="POST", path="/api/ingest/{table}"
)


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: Any) -> st.SearchStrategy[Any]:
    """Mostly real values in ``metric``, ``by`` and ``where``. Only a string or a list of
    strings is replaced, and any such value is valid there, so an invalid case stays invalid."""
    if not isinstance(query, dict):
        return st.just(query)
    drawn: dict[str, st.SearchStrategy[Any]] = {}
    for name, real in REAL_LISTS.items():
        value = query.get(name)
        if isinstance(value, str):
            drawn[name] = _mostly(st.sampled_from(real), value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            drawn[name] = _mostly(st.lists(st.sampled_from(real), min_size=1, max_size=2), value)
    if not drawn:
        return st.just(query)
    return st.fixed_dictionaries(drawn).map(lambda real: {**query, **real})


def _mostly(real: st.SearchStrategy[Any], generated: Any) -> st.SearchStrategy[Any]:
    """``real`` seven times in eight (``REAL_SHARE``), else the generated value."""
    return st.integers(0, 7).flatmap(lambda pick: real if pick else st.just(generated))


def error_shape(
    ctx: CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """Every 4xx/5xx is JSON ``{"ok": false, "error": str, "status": <the status>}``."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        shown = response.text[:200]
        raise AssertionError(f"{response.status_code} is not JSON: {shown!r}") from None
    assert isinstance(body, dict), f"the error is not an object: {body!r}"
    assert set(body) == {"ok", "error", "status"}, f"the error has keys {sorted(body)}"
    assert body["ok"] is False, f"ok is {body['ok']!r}"
    assert body["status"] == response.status_code, f"status {body['status']!r} in the body"
    assert isinstance(body["error"], str) and body["error"].strip(), "empty error message"
    leaked = [text for text in LEAKS if text in body["error"]]
    assert not leaked, f"the error shows internals ({leaked}): {body['error'][:300]!r}"


CHECKS: list[Any] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    error_shape,
]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    path = tmp_path_factory.mktemp("fuzz") / "demo.duckdb"
    with Store(path) as store:
        demo.generate(store, tickets=2_000, seed=SEED)
    yield create_app(path, config=CONFIG)
    # Schemathesis' ASGI transport keeps the app's lifespan running: end it, freeing the store.
    asgi.shutdown_lifespans()


def test_the_fuzzed_document_is_the_served_one(fuzz_app: FastAPI) -> None:
    response = TestClient(fuzz_app, base_url=BASE_URL).get("/openapi.json")
    assert response.status_code == 200, response.text
    assert response.json() == OPENAPI


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_answer_is_documented_json(case: schemathesis.Case, fuzz_app: FastAPI) -> None:
    case.call_and_validate(base_url=BASE_URL, app=fuzz_app, checks=CHECKS)


# Regression tests of what the fuzzer found: plain requests, and the answer they should get.


def _client_error(response: Any) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert body == {"ok": False, "error": body["error"], "status": response.status_code}
    return str(body["error"])


def test_drill_down_of_a_metric_without_rows_is_a_client_error(fuzz_app: FastAPI) -> None:
    # It was a 501 (UnsupportedError): a 5xx for a request the client must change.
    response = TestClient(fuzz_app, base_url=BASE_URL).get(
        "/api/tickets", params={"metric": "occupancy"}
    )
    assert "occupancy" in _client_error(response)


def _error_schemas(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """The declared error responses of an operation, ``$ref`` resolved: status → schema."""
    found = {}
    for status, response in operation["responses"].items():
        if status[0] in "45" or status == "default":
            shown = response.get("content", {}).get("application/json", {}).get("schema", {})
            ref = shown.get("$ref", "")
            found[status] = document["components"]["schemas"][ref.split("/")[-1]] if ref else shown
    return found


def test_the_document_declares_the_error_shape_the_api_sends(fuzz_app: FastAPI) -> None:
    # It documented FastAPI's 422 {"detail": [...]}, never sent, and none of the real errors,
    # so `status_code_conformance` failed on every 400.
    served = TestClient(fuzz_app, base_url=BASE_URL).get("/openapi.json").json()
    for path, item in served["paths"].items():
        for method, operation in item.items():
            errors = _error_schemas(served, operation)
            assert "422" not in errors, f"{method.upper()} {path} documents a 422"
            if operation.get("parameters") or "requestBody" in operation:
                assert errors, f"{method.upper()} {path} documents no error response"
            for status, shape in errors.items():
                assert set(shape.get("properties", {})) == {"ok", "error", "status"}, (
                    f"{method.upper()} {path} {status}: {shape}"
                )


#: An hour of one-hour calls; with ``calls`` and ``max_occupancy`` a staffing request.
STAFFING = {"interval_min": 60, "aht_s": 3_600, "target_sl": 0.8, "target_s": 20}


@pytest.mark.parametrize(
    ("calls", "max_occupancy"),
    [
        # 10,000 Erlangs at max_occupancy=0.01 was 1,000,000 agents and 3 s of CPU (30 s at
        # calls=100000); 1e-300 overflowed the int64 cast and answered agents=1.
        pytest.param(10_000, 0.01, id="a million agents"),
        pytest.param(1, 1e-300, id="an overflowing occupancy"),
    ],
)
def test_staffing_refuses_a_tiny_max_occupancy(
    fuzz_app: FastAPI, calls: int, max_occupancy: float
) -> None:
    params = {**STAFFING, "calls": calls, "max_occupancy": max_occupancy}
    started = time.monotonic()
    response = TestClient(fuzz_app, base_url=BASE_URL).get("/api/staffing", params=params)
    assert "max_occupancy" in _client_error(response)
    assert time.monotonic() - started < 2


def test_staffing_inputs_past_the_erlang_a_limits_are_a_client_error(fuzz_app: FastAPI) -> None:
    # Was 501 "Erlang A would need over 5,000,000 queue states": nanosecond handle times
    # against an hour of patience. Handle times and intervals now start at a second and a
    # minute, and the queue-state limit itself is a 4xx.
    params = {
        "calls": 100,
        "interval_min": 1e-9,
        "aht_s": 1e-9,
        "target_sl": 0.95,
        "target_s": 86_400,
        "patience_s": 3_600,
    }
    response = TestClient(fuzz_app, base_url=BASE_URL).get("/api/staffing", params=params)
    assert "interval_min must be at least 1 minute" in _client_error(response)
