"""How a ``--db`` source is read on Spark, and the canonical type check (no server needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from supportkpi.engine.spark_session import shown
from supportkpi.engine.spark_settings import valid_remote
from supportkpi.engine.spark_sources import check_columns, spark_location
from supportkpi.errors import InputError

#: The tickets columns as Spark names their types in a `supportkpi export`.
TICKETS = {
    "ticket_id": "string", "created_at": "timestamp", "channel": "string",
    "reopens": "bigint", "escalated": "boolean", "tags": "array<string>",
}  # fmt: skip


def test_sources_are_told_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lake").mkdir()
    # A relative folder is made absolute: a Connect server resolves paths in its own cwd.
    assert spark_location("lake") == spark_location(str(tmp_path / "lake"))
    assert spark_location("lake").where == str(tmp_path / "lake")
    assert spark_location("s3a://bucket/support/").where == "s3a://bucket/support"
    assert spark_location("abfss://c@acct.dfs.core.windows.net/kpi").kind == "uri"
    assert spark_location("spark:spark_catalog.support").where == "spark_catalog.support"
    assert spark_location("spark:").where == ""
    with pytest.raises(InputError, match=r"spark:catalog\.schema"):
        spark_location("spark:a b")
    with pytest.raises(InputError, match="is none of these"):
        spark_location("no_such_folder")


def test_connect_urls() -> None:
    assert valid_remote("sc://127.0.0.1:15002")
    assert valid_remote("sc://spark.internal/;use_ssl=true;token=abc")
    assert not valid_remote("local[2]")  # local mode is no remote at all
    assert not valid_remote("http://spark:15002")
    assert not valid_remote("sc://host:port")
    # Messages name the server, never its token.
    assert shown("sc://spark.internal:443/;token=s3cret;use_ssl=true") == "sc://spark.internal:443"
    assert shown("sc://127.0.0.1:15002") == "sc://127.0.0.1:15002"


def test_the_canonical_types_pass() -> None:
    check_columns(TICKETS, "tickets", "lake/tickets.parquet")
    # An all-null column has no type; integers and decimals are fine where a float is wanted.
    check_columns({**TICKETS, "channel": "void"}, "tickets", "t")
    check_columns(
        {"period_start": "date", "period_end": "date", "amount": "decimal(12,2)"}, "costs", "c"
    )


@pytest.mark.parametrize(
    ("column", "spark_type", "expected"),
    [
        ("created_at", "timestamp_ntz", "timestamp"),  # a wall-clock time is not an instant
        ("created_at", "string", "timestamp"),
        ("reopens", "double", "integer"),
        ("tags", "string", "string_list"),
        ("escalated", "int", "boolean"),
    ],
)
def test_a_wrong_type_names_table_and_column(column: str, spark_type: str, expected: str) -> None:
    message = (
        f"lake/tickets.parquet (tickets): column '{column}' is {spark_type}, expected {expected}"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        check_columns({**TICKETS, column: spark_type}, "tickets", "lake/tickets.parquet")


def test_a_missing_required_column_is_named() -> None:
    without = {k: v for k, v in TICKETS.items() if k != "created_at"}
    with pytest.raises(InputError, match=r"\(tickets\) has no column 'created_at'"):
        check_columns(without, "tickets", "lake/tickets.parquet")
