"""A server whose options need other facts than the default stores them once, at start."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_stored_facts import event_rows, ticket_rows, write_csv

import supportkpi
from supportkpi.engine.stored_facts import current_facts
from supportkpi.facts import differences, open_store
from supportkpi.ingest import ingest_file
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.sla import clocks_spec
from supportkpi.store import Store
from supportkpi.web import create_app


def _store(tmp_path: Path, keep_facts: bool) -> Path:
    db = tmp_path / "store.duckdb"
    opener = open_store if keep_facts else Store
    with opener(db) as store:
        ingest_file(store, "tickets", write_csv(tmp_path / "t.csv", ticket_rows(0, 6)))
        events = event_rows(1, 3, ["customer", "agent", "solved"], 0)
        ingest_file(store, "ticket_events", write_csv(tmp_path / "e.csv", events))
    return db


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "supportkpi.toml"
    config.write_text("[options]\ninclude_bots = true\n", encoding="utf-8")
    return config


def test_the_facts_of_the_servers_options_are_stored_once(tmp_path: Path) -> None:
    db = _store(tmp_path, keep_facts=True)
    state = create_app(str(db), config=_config(tmp_path)).state.api
    try:
        assert state.store_missing_facts() == 1
        assert state.store_missing_facts() == 0  # kept, not built again
    finally:
        state.close()
    with Store(db, read_only=True) as store:
        keys = {(name, key) for name, key, _ in current_facts(store.con)}
    assert ("tickets", '{"include_bots": true}') in keys
    options = {"include_bots": True}
    with supportkpi.connect(str(db), options=options) as con:
        got = con.kpi(["first_response_time:median", "fcr_rate"])
    folder = tmp_path / "parquet"
    with Store(db, read_only=True) as store:
        store.export(folder)
    (folder / "_facts.json").unlink()  # computed on the fly
    with supportkpi.connect(str(folder), options=options) as con:
        want = con.kpi(["first_response_time:median", "fcr_rate"])
    pd.testing.assert_frame_equal(got, want)


def test_a_store_that_keeps_no_facts_is_left_alone(tmp_path: Path) -> None:
    db = _store(tmp_path, keep_facts=False)
    state = create_app(str(db), config=_config(tmp_path)).state.api
    try:
        assert state.store_missing_facts() == 0
    finally:
        state.close()
    with Store(db, read_only=True) as store:
        assert current_facts(store.con) == {}


SLA_CONFIG = """
[[sla]]
name = "email"
channel = ["email"]
first_response = "2h"
resolution = "1d"

[[sla]]
name = "other"
first_response = "30m"
"""


def test_the_sla_clocks_of_the_servers_policies_are_stored_and_kept_current(
    tmp_path: Path,
) -> None:
    db = _store(tmp_path, keep_facts=True)
    config = tmp_path / "sla.toml"
    config.write_text(SLA_CONFIG, encoding="utf-8")
    state = create_app(str(db), config=config).state.api
    try:
        assert state.store_missing_facts() == 1
        assert state.store_missing_facts() == 0
    finally:
        state.close()
    with Store(db, read_only=True) as store:
        assert "sla_clocks" in {name for name, _, _ in current_facts(store.con)}
    request = {"metrics": ["sla_compliance"], "by": ["sla_target"], "end": "2024-04-01"}
    with supportkpi.connect(str(db), config=config) as con:
        ctx = MetricContext(backend=con.backend, sla_policies=tuple(con.settings.sla))
        spec = clocks_spec(ctx)
        assert spec is not None and con.backend.stored_fact(spec) is not None  # read, not built
        got = con.kpi(**request)
    with Store(db, read_only=True) as store:
        folder = tmp_path / "parquet"
        store.export(folder)
    (folder / "_facts.json").unlink()  # computed on the fly
    with supportkpi.connect(str(folder), config=config) as con:
        want = con.kpi(**request)
    pd.testing.assert_frame_equal(got, want)
    assert got["n"].sum() > 0
    # A later load keeps them current: a late reply, on a ticket of each policy.
    with open_store(db) as store:
        late = event_rows(1, 4, ["customer", "agent"], 50) + event_rows(2, 4, ["agent"], 60)
        ingest_file(store, "ticket_events", write_csv(tmp_path / "late.csv", late))
        found = differences(store)
    assert any(name.startswith("sla_clocks") for name in found)
    assert set(found.values()) == {0}
