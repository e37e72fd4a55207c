"""`supportkpi kpi` and `metrics`: output formats of SPEC §6 and one-line errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from cli_support import run_cli

from supportkpi.store import Store


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "kpi.duckdb"
    store = Store(path)
    tickets = pa.table(
        {
            "ticket_id": ["t1", "t2", "t3"],
            "created_at": [_t("2024-01-01 09:00"), _t("2024-01-02 09:00"), _t("2024-02-01 09:00")],
            "channel": ["email", "chat", "email"],
            # No events: the fallback columns apply. Responses after 1 h, 3 h and none.
            "first_response_at": [_t("2024-01-01 10:00"), _t("2024-01-02 12:00"), None],
            "solved_at": [_t("2024-01-01 11:00"), None, None],
        }
    )
    with store.transaction():
        store.upsert("tickets", tickets)
    store.close()
    return str(path)


def test_json_output_shape(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys,
        "kpi",
        "first_response_time",
        "escalation_rate",
        "--db",
        db,
        "--from",
        "2024-01-01",
        "--to",
        "2024-02-01",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    rows = json.loads(result.out)["rows"]
    # January: responses of 1 h and 3 h → median 2 h; 2 tickets created, none escalated.
    assert rows[0] == {"metric": "first_response_time:median", "value": 7200.0, "n": 2}
    assert rows[1]["metric"] == "escalation_rate"
    assert rows[1]["value"] == 0.0 and rows[1]["n"] == 2
    assert rows[1]["ci_low"] == 0.0 and 0.6 < rows[1]["ci_high"] < 0.7  # Wilson 0/2: 0.6576


def test_grain_and_by_keys(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys,
        "kpi",
        "ticket_volume",
        "--db",
        db,
        "--grain",
        "month",
        "--by",
        "channel",
        "--format",
        "json",
    )
    rows = json.loads(result.out)["rows"]
    got = {(r["period"], r["channel"]): r["value"] for r in rows}
    assert got == {
        ("2024-01-01", "chat"): 1.0,
        ("2024-01-01", "email"): 1.0,
        ("2024-02-01", "email"): 1.0,
    }


def test_where_filter_and_csv(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys, "kpi", "ticket_volume", "--db", db, "--where", "channel=email", "--format", "csv"
    )
    lines = result.out.strip().splitlines()
    assert lines[0] == "metric,value,n,ci_low,ci_high"
    assert lines[1].startswith("ticket_volume,2.0,2")


def test_empty_result_is_null_with_n_zero(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(
        capsys,
        "kpi",
        "first_response_time:p90",
        "--db",
        db,
        "--from",
        "2030-01-01",
        "--to",
        "2030-02-01",
        "--format",
        "json",
    )
    assert json.loads(result.out)["rows"] == [
        {"metric": "first_response_time:p90", "value": None, "n": 0}
    ]


def test_table_output_is_humanized(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "kpi", "first_response_time", "--db", db, "--to", "2024-02-01")
    assert "2h" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kpi", "nope"], "unknown metric 'nope'"),
        (["kpi", "ticket_volume", "--from", "2024-13-01"], "invalid from date"),
        (["kpi", "ticket_volume", "--grain", "fortnight"], "unknown grain"),
        (["kpi", "ticket_volume", "--by", "colour"], "unknown dimension 'colour'"),
        (["kpi", "tickets_solved_per_hour", "--by", "channel"], "cannot be broken down"),
        (["kpi", "fcr_rate:p90"], "takes no statistic"),
        (["kpi", "first_response_time:p200"], "unknown statistic"),
        (["kpi", "ticket_volume", "--tz", "Mars/Base"], "unknown timezone"),
        (["kpi", "ticket_volume", "--where", "channel"], "invalid filter"),
        (["kpi", "ticket_volume", "--format", "xml"], "unknown format"),
    ],
)
def test_errors_are_one_line(
    db: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_cli(capsys, *args, "--db", db)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_missing_source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "kpi", "ticket_volume", "--db", str(tmp_path / "none.duckdb"))
    assert result.code == 2 and "does not exist" in result.err


def test_metrics_json_lists_definitions(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "metrics", "--json")
    catalogue = {m["id"]: m for m in json.loads(result.out)["metrics"]}
    assert catalogue["first_response_time"]["unit"] == "seconds"
    assert catalogue["fcr_rate"]["options"] == ["fcr"]
    assert "Bot messages" in catalogue["first_response_time"]["definition"]
