"""The real Telco churn sample through examples/telco_churn (skipped without ../shared/data).

The share of Churn = Yes in the file was counted independently with the csv module: 1,869 of
7,043 customers. The mapping dates every customer at or before the snapshot (2024-01-31) and
every churn in February 2024, so February's churn rate is exactly that share.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportkpi.cli.main import app
from supportkpi.errors import ConfigError
from supportkpi.ingest.loader import ingest_file
from supportkpi.store import Store

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "telco_customer_churn.csv"
MAPPING = ROOT / "examples" / "telco_churn" / "mapping.toml"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not available")


def _kpi(db: Path, *args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["kpi", *args, "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def telco(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("telco") / "telco.duckdb"
    result = CliRunner().invoke(
        app,
        ["ingest", "customers", str(DATA), "--db", str(db), "--map", str(MAPPING), "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "table": "customers", "rows_in": 7043, "inserted": 7043, "updated": 0,
        "unchanged": 0, "rejected": 0,
    }  # fmt: skip
    return db


@needs_data
def test_churn_rate_is_the_share_of_churn_yes(telco: Path) -> None:
    with DATA.open(newline="") as fh:
        flags = [r["Churn"] for r in csv.DictReader(fh)]
    share = flags.count("Yes") / len(flags)
    assert (flags.count("Yes"), len(flags)) == (1869, 7043)
    (row,) = _kpi(telco, "customer_churn_rate", "--from", "2024-02-01", "--to", "2024-03-01")
    assert row["n"] == 7043
    assert row["value"] == pytest.approx(share, rel=1e-12)
    (kept,) = _kpi(telco, "customer_retention_rate", "--from", "2024-02-01", "--to", "2024-03-01")
    assert kept["value"] == pytest.approx(1 - share, rel=1e-12)


@needs_data
def test_churn_by_contract(telco: Path) -> None:
    with DATA.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows_by = {
        r["segment"]: r
        for r in _kpi(telco, "customer_churn_rate", "--from", "2024-02-01", "--to", "2024-03-01",
                      "--by", "segment")
    }  # fmt: skip
    for contract in ("Month-to-month", "One year", "Two year"):
        group = [r["Churn"] for r in rows if r["Contract"] == contract]
        got = rows_by[contract.lower()]
        assert got["n"] == len(group)
        assert got["value"] == pytest.approx(group.count("Yes") / len(group), rel=1e-12)


@needs_data
def test_tenure_dates_joining(telco: Path) -> None:
    with Store(telco, read_only=True) as store:
        got = store.con.execute(
            "SELECT CAST(created_at AS DATE)::VARCHAR, CAST(churned_at AS DATE)::VARCHAR "
            "FROM customers WHERE customer_id IN ('7590-VHVEG', '3668-QPYBK') ORDER BY 1"
        ).fetchall()
    # 3668-QPYBK: tenure 2, Churn Yes; 7590-VHVEG: tenure 1, Churn No.
    assert got == [("2023-11-30", "2024-02-29"), ("2023-12-31", None)]


def test_months_before_and_emptying_values(tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_text("id,months,left\na,0,No\nb,1,Yes\nc,13,No\nd,x,No\n")
    mapping = {
        "columns": {"customer_id": "id", "churned_at": "left"},
        "months_before": {"created_at": {"column": "months", "reference": "2024-03-31"}},
        "values": {"churned_at": {"Yes": "2024-04-15", "No": ""}},
    }
    with Store(tmp_path / "s.duckdb") as store:
        summary = ingest_file(store, "customers", source, mapping)
        got = store.con.execute(
            "SELECT customer_id, CAST(created_at AS DATE)::VARCHAR, "
            "CAST(churned_at AS DATE)::VARCHAR FROM customers ORDER BY 1"
        ).fetchall()
        (reject,) = store.rejects().to_pylist()
    assert summary.rejected == 1
    # March 31 minus 1 month is February 29 (clipped to the month's end); minus 13, 2023-02-28.
    assert got == [("a", "2024-03-31", None), ("b", "2024-02-29", "2024-04-15"),
                   ("c", "2023-02-28", None)]  # fmt: skip
    assert reject["rule"] == "timestamp" and reject["value"] == "x"
    assert "column 'created_at' (from 'months')" in reject["message"]


def test_months_before_is_checked(tmp_path: Path) -> None:
    source = tmp_path / "c.csv"
    source.write_text("id,months\na,1\n")
    bad = {
        "months_before": {
            "created_at": {"column": "months", "reference": "soon"},
            "segment": {"column": "months", "reference": "2024-01-01"},
        }
    }
    with Store(tmp_path / "s.duckdb") as store, pytest.raises(ConfigError) as err:
        ingest_file(store, "customers", source, bad)
    text = str(err.value) + " ".join(getattr(err.value, "problems", []) or [])
    assert "reference 'soon' is not a date" in text
    assert "segment: not a timestamp or date column" in text
