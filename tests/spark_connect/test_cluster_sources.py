"""Sources a cluster has: catalog tables (``--db spark:catalog.schema``, with the canonical
names or a name map) and a folder URI that the server reads; and the one-line errors of a
missing table or a column of the wrong type.

The tables are registered in the Connect server (``saveAsTable`` into its warehouse, or temp
views of the session supportkpi uses), from the costs family's golden data set, so the answers
are that family's hand-computed ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli
from conftest import SERVER_TZ
from connect_support import kpi_test_module, on_connect
from golden import run_golden_on
from kpi_support import make_source

import supportkpi
from supportkpi.engine.spark_session import spark_session
from supportkpi.engine.spark_settings import SparkSettings
from supportkpi.errors import InputError
from supportkpi.schema import TABLES

COSTS = kpi_test_module("test_golden_costs")
#: March: 10,000 over 200 solved tickets; April: 740 over 4 (worked out in the costs family).
CASES = [c for c in COSTS.CASES if c.id in ("cpr-seed", "cpr-straddle")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(make_source(tmp_path_factory.mktemp("lake"), COSTS.costs_data(), "pyspark"))


@pytest.fixture(scope="module")
def session(connect_url: str) -> Any:
    """The Connect session supportkpi itself uses for this URL (its temp views are visible)."""
    return spark_session(SparkSettings(remote=connect_url))


def _save(session: Any, exported: Path, database: str) -> str:
    """The exported tables as catalog tables of ``database`` in the server's warehouse."""
    session.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
    for name in TABLES:
        frame = session.read.parquet(str(exported / f"{name}.parquet"))
        frame.write.mode("overwrite").saveAsTable(f"{database}.{name}")
    return f"spark_catalog.{database}"


@pytest.fixture(scope="module")
def views(session: Any, exported: Path) -> dict[str, str]:
    """Temp views ``zd_<table>`` of the session, and the ``[spark] tables`` map naming them."""
    names = {name: f"zd_{name}" for name in TABLES}
    for name, view in names.items():
        session.read.parquet(str(exported / f"{name}.parquet")).createOrReplaceTempView(view)
    return names


@pytest.fixture(scope="module")
def catalog(session: Any, exported: Path) -> str:
    return _save(session, exported, "kpi_lake")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_catalog_tables_with_the_canonical_names(catalog: str, connect_url: str, case: Any) -> None:
    with supportkpi.connect(f"spark:{catalog}", "pyspark", config=on_connect(connect_url)) as con:
        run_golden_on(con, case, "catalog")


def test_a_name_map_over_temp_views(views: dict[str, str], connect_url: str) -> None:
    settings = on_connect(connect_url, tables=views)
    with supportkpi.connect("spark:", "pyspark", config=settings) as con:
        run_golden_on(con, CASES[0], "temp views")


def test_a_folder_uri_read_by_the_server(exported: Path, connect_url: str) -> None:
    with supportkpi.connect(exported.as_uri(), "pyspark", config=on_connect(connect_url)) as con:
        run_golden_on(con, CASES[0], "file uri")


def test_the_session_reads_instants_in_utc_whatever_the_server_zone(
    connect_url: str, exported: Path
) -> None:
    from pyspark.sql.connect.session import SparkSession

    # The server's own default is New York (conftest): a plain session gets it ...
    plain = SparkSession.builder.remote(connect_url).create()
    assert plain.conf.get("spark.sql.session.timeZone") == SERVER_TZ
    # ... and the engine's session says UTC.
    with supportkpi.connect(str(exported), "pyspark", config=on_connect(connect_url)) as con:
        assert con.backend.con._session.conf.get("spark.sql.session.timeZone") == "UTC"


def test_a_missing_table_is_one_line_naming_it(
    views: dict[str, str], connect_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kpi.toml"
    mapped = ", ".join(f'{k} = "{v}"' for k, v in {**views, "costs": "zd_no_costs"}.items())
    config.write_text(f'[spark]\nremote = "{connect_url}"\ntables = {{ {mapped} }}\n')
    result = run_cli(
        capsys, "kpi", "cost_per_resolution", "--db", "spark:", "--engine", "pyspark",
        "--from", "2024-03-01", "--to", "2024-04-01", "--config", str(config),
    )  # fmt: skip
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert "cannot read 'costs' from catalog table zd_no_costs" in lines[0]


def test_a_column_of_the_wrong_type_names_table_and_column(
    session: Any, views: dict[str, str], connect_url: str
) -> None:
    # created_at as text: a common export mistake; every instant would be misread.
    session.sql(
        "SELECT * EXCEPT (created_at), string(created_at) AS created_at FROM zd_tickets"
    ).createOrReplaceTempView("zd_text_times")
    settings = on_connect(connect_url, tables={**views, "tickets": "zd_text_times"})
    with (
        pytest.raises(InputError, match=r"\(tickets\): column 'created_at' is string, expected"),
        supportkpi.connect("spark:", "pyspark", config=settings) as con,
    ):
        con.kpi(["cost_per_resolution"], start="2024-03-01", end="2024-04-01")
