"""Statements compiled once per shape: the parameters found, the shapes refused, and the
answers of shared statements against statements compiled afresh, for every metric."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from supportkpi import demo
from supportkpi.engine.backends import DuckDBBackend
from supportkpi.engine.templates import template_of
from supportkpi.facts import open_store
from supportkpi.metrics import all_metrics, get_metric
from supportkpi.query.runner import missing_basis, run_kpi_partial
from supportkpi.query.session import Session
from supportkpi.query.shapes import Values, run_shaped, shape_cache
from supportkpi.store import Store

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "config" / "supportkpi.toml"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("shapes") / "t.duckdb"
    frame = pd.DataFrame({"x": [1, 5, 7, 9], "y": [5, 5, 6, 7], "s": ["a", "b", "a", "c"]})
    with Store(path) as store:
        store.con.register("frame", frame)
        store.con.execute("CREATE TABLE t AS SELECT * FROM frame")
    b = DuckDBBackend(str(path))
    yield b
    b.close()


def _count(rows: Any) -> Any:
    return rows.aggregate(n=rows.count())


def _template(backend: Any, build: Any, a: dict[str, Any], b: dict[str, Any]) -> Any:
    return template_of(backend.compile_tree, build(a), build(b), a, b)


def test_values_become_parameters_and_equal_constants_stay(backend: Any) -> None:
    t = backend.con.table("t")

    def build(v: dict[str, Any]) -> Any:
        # lo equals the constant 5 in the first build: the two must still be told apart.
        return _count(t.filter((t.x >= v["lo"]) & (t.y >= 5) & t.s.isin([v["w0_0"]])))

    template = _template(backend, build, {"lo": 5, "w0_0": "a"}, {"lo": 6, "w0_0": "a\x1f"})
    assert template is not None
    assert template.names == {"lo", "w0_0"}
    assert "$lo" in template.sql and "$w0_0" in template.sql
    assert ">= 5" in template.sql  # the constant
    assert "'a'" not in template.sql  # the filter value is bound, never SQL text
    got = backend.run_template(template, {"lo": 6, "w0_0": "a"})
    assert got["n"].tolist() == [1]  # only x = 7
    assert got["n"].tolist() == backend.execute(build({"lo": 6, "w0_0": "a"}))["n"].tolist()


def test_a_literal_computed_from_a_value_refuses_the_shape(backend: Any) -> None:
    t = backend.con.table("t")

    def build(v: dict[str, Any]) -> Any:
        return _count(t.filter(t.x < v["hi"] - 1))

    assert _template(backend, build, {"hi": 9}, {"hi": 11}) is None


def test_a_table_built_per_request_refuses_the_shape(backend: Any) -> None:
    t = backend.con.table("t")

    def build(v: dict[str, Any]) -> Any:
        bounds = ibis.memtable(pd.DataFrame({"lo": [v["lo"]]}))
        joined = t.cross_join(bounds)
        return _count(joined.filter(joined.x >= joined.lo))

    assert _template(backend, build, {"lo": 5}, {"lo": 6}) is None


def test_values_that_cannot_be_told_apart_refuse_the_shape(backend: Any) -> None:
    t = backend.con.table("t")

    def build(v: dict[str, Any]) -> Any:
        return _count(t.filter((t.x >= v["lo"]) & (t.y < v["hi"])))

    # Two values moved the same way from the same start: no way to say which is which.
    assert _template(backend, build, {"lo": 5, "hi": 5}, {"lo": 6, "hi": 6}) is None
    assert _template(backend, build, {"lo": 5, "hi": 9}, {"lo": 5, "hi": 10}) is None


def test_run_shaped_compiles_once_and_answers_each_request(backend: Any) -> None:
    t = backend.con.table("t")
    builds: list[bool] = []

    def build(v: Values, as_literals: bool) -> Any:
        builds.append(as_literals)
        return _count(t.filter(t.x >= v.lo))

    answers = [
        int(run_shaped(backend, "one-shape", Values(lo, None, None, {}), build)["n"].iloc[0])
        for lo in (1, 6, 8, 10)
    ]
    assert answers == [4, 2, 1, 0]
    assert builds == [True, True]  # the first request's pair; the others bind values


def test_perturbed_values_differ_from_the_originals() -> None:
    values = Values(100, 200, 200, {"team": ["a", "a"], "n": [3]})
    moved = values.perturbed()
    assert moved is not None
    a, b = values.named(), moved.named()
    assert a.keys() == b.keys() == {"lo", "hi", "as_of", "w0_0", "w0_1", "w1_0"}
    assert all(a[k] != b[k] for k in a)
    assert len({(a[k], b[k]) for k in a}) == len(a)  # every pair names one value
    assert Values(1, 2, 3, {"d": [date(2024, 1, 1)]}).perturbed() is None


# -- every metric: shared statements against statements compiled afresh -------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("shapes-demo") / "demo.duckdb"
    with open_store(path) as store:  # with stored facts, as `supportkpi demo` makes it
        demo.generate(store, tickets=1_500, seed=11)
    return str(path)


#: Metrics whose statements read a fact computed per connection (not stored): the SLA
#: clocks depend on the configured policies.
PER_CONNECTION = {"sla_compliance"}


def _requests(metric: str, dims: tuple[str, ...], seed: int) -> list[list[dict[str, Any]]]:
    """Two rounds of one metric's requests: the second has the first one's shapes (grain,
    filters, which bounds are given) with other values (ranges, filter values)."""
    rng = random.Random(seed)
    rounds: list[list[dict[str, Any]]] = [[], []]
    for grain in (None, "week"):
        span = timedelta(days=rng.choice((14, 31)))
        teams = rng.sample(("billing", "tech", "general", "none"), 2)
        for requests, team in zip(rounds, teams, strict=True):
            start = date(2025, 9, 1) + timedelta(days=rng.randrange(0, 300))
            request: dict[str, Any] = {
                "metrics": [metric],
                "start": start,
                "end": start + span,
                "grain": grain,
            }
            if "team" in dims:
                request["where"] = {"team": [team]}
            requests.append(request)
    for requests, start in zip(rounds, (date(2026, 9, 1), date(2026, 8, 1)), strict=True):
        # No end: "now" is a value too.
        requests.append({"metrics": [metric], "start": start})
    return rounds


def _answer(session: Session, request: dict[str, Any]) -> pd.DataFrame:
    rows = run_kpi_partial(session.backend, session.query(**request)).rows
    # Rows without a period or dimension to order by (age bands) come in any order.
    keys = [c for c in rows.columns if c not in ("value", "n", "ci_low", "ci_high", "note")]
    return rows.sort_values(keys, na_position="last").reset_index(drop=True)


@pytest.mark.parametrize("metric", sorted(m.id for m in all_metrics()))
def test_shared_statements_answer_as_fresh_ones(demo_db: str, metric: str) -> None:
    first = Session(demo_db, config=CONFIG)
    # The second round runs on another connection, as a pooled reader or the connection
    # opened after a load would: it finds the shapes the first compiled.
    later = Session(demo_db, config=CONFIG)
    fresh = Session(demo_db, config=CONFIG)
    fresh.backend.supports_templates = False  # type: ignore[misc]
    rounds = _requests(metric, get_metric(metric).dimensions, seed=len(metric))
    try:
        for session, requests in zip((first, later), rounds, strict=True):
            for request in requests:  # the second round binds new values to the shapes
                got, want = _answer(session, request), _answer(fresh, request)
                pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=str(request))
    finally:
        first.close()
        later.close()
        fresh.close()
    if missing_basis(later.backend, get_metric(metric)) is None:
        # The second round reused the shapes, unless they read a table of one connection.
        assert (shape_cache(later.backend).hits > 0) is (metric not in PER_CONNECTION)


def test_statements_are_shared_only_where_every_connection_can_run_them(
    tmp_path: Path,
) -> None:
    kept, plain = tmp_path / "kept.duckdb", tmp_path / "plain.duckdb"
    with open_store(kept) as store:
        demo.generate(store, tickets=200, seed=3)
    with Store(plain) as store:  # no stored facts: each connection computes its own
        demo.generate(store, tickets=200, seed=3)
    request = {"metrics": ["reopen_rate"], "start": date(2025, 9, 1), "end": date(2025, 10, 1)}
    moved = {**request, "start": date(2025, 8, 1)}
    for path, shared in ((kept, True), (plain, False)):
        one, two = Session(str(path)), Session(str(path))
        try:
            want = _answer(one, moved)
            _answer(one, request)
            before = shape_cache(two.backend).hits
            pd.testing.assert_frame_equal(_answer(two, moved), want)
            assert (shape_cache(two.backend).hits > before) is shared, path.name
        finally:
            one.close()
            two.close()
