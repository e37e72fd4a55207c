"""Facts on the lake: `supportkpi facts build --engine pyspark` writes the stored facts of a
Spark source through the Connect server, later connections read them while the source tables
are unchanged, and compute them again once a table changed (stale, never wrong).

The data is the outcomes golden data set (February 2024, thirteen tickets), so the resolution
rates by channel are worked out by hand (``tests/kpis/test_golden_tickets_outcomes.py``):
created in February and first solved by 03-01 are all but S10 (email, open), S12 (web, open)
and S13 (email, solved 03-02). First response times are compared with DuckDB computing the
facts itself, on the same tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from cli_support import run_cli
from connect_support import on_connect
from golden_ticket_data import FEB, outcomes_data
from kpi_support import make_source

import supportkpi
from supportkpi.engine.spark_session import spark_session
from supportkpi.engine.spark_settings import SparkSettings, parse_spark
from supportkpi.engine.stored_facts import LAKE_MANIFEST, lake_facts
from supportkpi.facts.lake import build_lake_facts
from supportkpi.metrics import sla, surveys, ticket_facts
from supportkpi.metrics.context import MetricContext
from supportkpi.schema import TABLES

QUERY: dict[str, Any] = {**FEB, "by": ["channel"]}
METRICS = ["resolution_rate", "first_response_time"]
#: (solved by 03-01, created in February) per channel, by hand.
RESOLUTION = {"email": (4, 6), "chat": (3, 3), "phone": (2, 2), "web": (1, 2)}
#: Without S12 (web, open): web is 1 of 1.
RESOLUTION_WITHOUT_S12 = {**RESOLUTION, "web": (1, 1)}
SPECS = (
    ticket_facts.facts_spec,
    ticket_facts.status_events_spec,
    ticket_facts.backlog_deltas_spec,
    surveys.surveys_spec,
)


def stored(backend: Any) -> list[bool]:
    """Whether ``backend`` reads each per-ticket fact from a stored file."""
    ctx = MetricContext(backend=backend)
    return [backend.stored_fact(spec(ctx)) is not None for spec in SPECS]


def answers(con: Any) -> pd.DataFrame:
    frame = con.kpi(METRICS, **QUERY)[["metric", "channel", "value", "n"]]
    return frame.sort_values(["metric", "channel"]).reset_index(drop=True)


def assert_resolution(frame: pd.DataFrame, expected: dict[str, tuple[int, int]]) -> None:
    rates = frame[frame.metric == "resolution_rate"]
    got = {r.channel: (round(r.value * r.n), int(r.n)) for r in rates.itertuples()}
    assert got == expected


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    """The outcomes data as a folder of <table>.parquet (and the DuckDB store beside it)."""
    return Path(make_source(tmp_path, outcomes_data(), "pyspark"))


def test_facts_built_to_a_file_uri_are_read_until_a_table_changes(
    source: Path, connect_url: str
) -> None:
    settings = on_connect(connect_url)
    built = build_lake_facts(str(source), settings, to=source.as_uri())
    assert sorted(row["name"] for row in built.facts) == sorted(
        ["tickets", "status_events", "backlog_deltas", "surveys"]
    )  # no SLA policies: no clocks
    assert built.destination == source.as_uri() and built.duckdb_manifest
    assert built.found_by_queries  # the source's own folder, named by its URI
    assert {row["name"]: row["rows"] for row in built.facts}["tickets"] == 13
    assert (source / LAKE_MANIFEST).is_dir()

    computed = answers(supportkpi.connect(str(source.parent / "kpi.duckdb")))
    assert_resolution(computed, RESOLUTION)
    with supportkpi.connect(str(source), "pyspark", config=settings) as con:
        assert stored(con.backend) == [True] * 4
        pd.testing.assert_frame_equal(answers(con), computed)
    # The DuckDB engine reads the files Spark wrote, through _facts.json.
    with supportkpi.connect(str(source)) as con:
        assert stored(con.backend) == [True] * 4
        pd.testing.assert_frame_equal(answers(con), computed)

    # S12 goes: the tickets table changes, so no fact file is read, on either engine.
    tickets = source / "tickets.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM '{tickets}' WHERE ticket_id <> 'S12') TO '{tickets}.new' "
        "(FORMAT parquet)"
    )
    Path(f"{tickets}.new").replace(tickets)
    with supportkpi.connect(str(source), "pyspark", config=settings) as con:
        assert stored(con.backend) == [False] * 4
        on_spark = answers(con)
    with supportkpi.connect(str(source)) as con:
        assert stored(con.backend) == [False] * 4
        pd.testing.assert_frame_equal(answers(con), on_spark)
    assert_resolution(on_spark, RESOLUTION_WITHOUT_S12)


#: One policy, so the SLA clocks are built too (keyed by its matching rules).
SLA = '[[sla]]\nname = "all"\nfirst_response = "1h"\nresolution = "1d"\n'


def test_catalog_tables_read_their_facts_from_the_configured_location(
    source: Path, connect_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Temp views of the session supportkpi uses, named by a [spark] tables map.
    session = spark_session(SparkSettings(remote=connect_url))
    names = {name: f"lk_{name}" for name in TABLES}
    for name, view in names.items():
        session.read.parquet(str(source / f"{name}.parquet")).createOrReplaceTempView(view)
    facts = (tmp_path / "lake_facts").as_uri()
    config = tmp_path / "kpi.toml"
    mapped = ", ".join(f'{k} = "{v}"' for k, v in names.items())
    config.write_text(
        f'{SLA}[spark]\nremote = "{connect_url}"\nfacts = "{facts}"\ntables = {{ {mapped} }}\n'
    )
    result = run_cli(
        capsys, "facts", "build", "--engine", "pyspark", "--db", "spark:",
        "--config", str(config), "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["destination"] == facts and report["found_by_queries"]
    assert not report["duckdb_manifest"]
    assert sorted(row["name"] for row in report["facts"]) == sorted(
        ["tickets", "status_events", "backlog_deltas", "surveys", "sla_clocks"]
    )

    with supportkpi.connect("spark:", "pyspark", config=config) as con:
        assert stored(con.backend) == [True] * 4
        clocks = sla.clocks_spec(MetricContext(backend=con.backend, sla_policies=con.settings.sla))
        assert clocks is not None and con.backend.stored_fact(clocks) is not None
        assert_resolution(answers(con), RESOLUTION)
        on_spark = con.kpi(["sla_compliance"], **FEB)[["value", "n"]]
    # DuckDB computes the clocks itself from the same tables (it ignores [spark]).
    with supportkpi.connect(str(source.parent / "kpi.duckdb"), config=config) as con:
        pd.testing.assert_frame_equal(con.kpi(["sla_compliance"], **FEB)[["value", "n"]], on_spark)


def test_a_catalog_source_needs_a_destination(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "facts", "build", "--engine", "pyspark", "--db", "spark:kpi")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "give --to URI" in lines[0], result.err


def test_a_duckdb_store_keeps_its_facts_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "facts", "build", "--db", str(tmp_path / "x.duckdb"))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "supportkpi facts rebuild" in lines[0], result.err


def test_a_changed_fingerprint_makes_every_fact_stale() -> None:
    entry = {"name": "tickets", "config_key": "{}", "version": 1, "file": "fact_tickets_x"}
    entries = [{**entry, "sources": json.dumps({"tickets": "a", "ticket_events": "b"})}]
    assert lake_facts(entries, {"tickets": "a", "ticket_events": "b"}) == {
        ("tickets", "{}", 1): "fact_tickets_x"
    }
    assert lake_facts(entries, {"tickets": "a", "ticket_events": "c"}) == {}
    assert lake_facts([{**entry, "sources": "not json"}], {"tickets": "a"}) == {}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("s3a://lake/facts/", None),
        ("/data/facts", None),
        ("facts/", "spark.facts: 'facts/' is not a folder URI"),
        (3, "spark.facts: 3 is not a folder URI"),
    ],
)
def test_the_facts_location_is_a_uri_or_an_absolute_path(value: Any, problem: str | None) -> None:
    problems: list[str] = []
    settings = parse_spark({"facts": value}, problems)
    if problem is None:
        assert problems == [] and settings.facts == str(value).rstrip("/")
    else:
        assert len(problems) == 1 and problems[0].startswith(problem)


def test_a_missing_source_table_is_one_line_naming_it(
    source: Path, connect_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (source / "surveys.parquet").unlink()
    config = tmp_path / "kpi.toml"
    config.write_text(f'[spark]\nremote = "{connect_url}"\n')
    result = run_cli(
        capsys, "facts", "build", "--engine", "pyspark", "--db", str(source),
        "--config", str(config),
    )  # fmt: skip
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "cannot read 'surveys'" in lines[0], result.err
    assert not (source / LAKE_MANIFEST).exists()
