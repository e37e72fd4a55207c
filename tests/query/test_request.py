"""The one request model: parsed once, refused where a flag would be ignored, the same from
the Python API and the CLI (whose source and request options are declared once)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from cli_support import run_cli
from kpi_support import make_source, ticket, tickets_frame

import supportkpi
from supportkpi.errors import InputError
from supportkpi.query.request import business_hours_apply

CONFIG = """timezone = "UTC"
[business_hours]
timezone = "UTC"
[business_hours.week]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
"""


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    rows = [
        ticket("T1", "2024-01-31 23:30:00", solved_at="2024-02-01 08:00:00", status="solved"),
        ticket("T2", "2024-02-02 10:00:00", solved_at="2024-02-02 11:00:00", status="solved"),
        ticket("T3", "2024-03-04 10:00:00"),
    ]
    return make_source(
        tmp_path_factory.mktemp("request"), {"tickets": tickets_frame(rows)}, "duckdb"
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "supportkpi.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_business_hours_are_refused_where_no_metric_honours_them(source: str, config: Path) -> None:
    with supportkpi.connect(source, config=config) as con:
        with pytest.raises(InputError, match="ticket_volume would ignore them"):
            con.query(["ticket_volume"], business_hours=True)
        # A mix takes them for the durations and leaves the others as they are.
        mixed = con.kpi(["ticket_volume", "resolution_time"], business_hours=True)
        assert mixed.set_index("metric").loc["ticket_volume", "value"] == 3
    assert business_hours_apply(["resolution_time:p90"])
    assert not business_hours_apply(["ticket_volume", "fcr_rate"])


def test_kpi_arrow_is_the_same_table_as_kpi(source: str) -> None:
    with supportkpi.connect(source) as con:
        frame = con.kpi(["ticket_volume"], grain="month")
        table = con.kpi_arrow(["ticket_volume"], grain="month")
    assert isinstance(table, pa.Table)
    assert table.to_pandas()[["metric", "value", "n", "period"]].equals(
        frame[["metric", "value", "n", "period"]].reset_index(drop=True)
    )


def test_cli_refuses_business_hours_for_a_count(
    capsys: pytest.CaptureFixture[str], source: str, config: Path
) -> None:
    result = run_cli(
        capsys, "kpi", "ticket_volume", "--db", source, "--config", str(config), "--business-hours"
    )
    assert result.code == 2
    assert "would ignore them" in result.err and "Traceback" not in result.err


def test_report_honours_tz_and_config(
    capsys: pytest.CaptureFixture[str], source: str, config: Path
) -> None:
    # T1 is created on 31 January in UTC and on 1 February in Tokyo: the months move with --tz.
    utc = run_cli(capsys, "report", "--db", source, "--config", str(config))
    tokyo = run_cli(capsys, "report", "--db", source, "--config", str(config), "--tz", "Asia/Tokyo")
    assert utc.code == 0 and tokyo.code == 0, utc.err + tokyo.err
    assert "February 2024" in utc.out and "February 2024" in tokyo.out
    assert utc.out != tokyo.out
