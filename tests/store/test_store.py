"""The store: schema upgrades and the empty-table fast path keep their counts right."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from supportkpi.schema import get_table
from supportkpi.store import Store


def test_an_older_store_gains_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE ticket_events (ticket_id VARCHAR, body VARCHAR)")
    con.execute("INSERT INTO ticket_events VALUES ('t1', 'hello')")
    con.close()
    store = Store(path)
    columns = [
        r[0]
        for r in store.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'ticket_events'"
        ).fetchall()
    ]
    assert set(columns) == set(get_table("ticket_events").column_names)
    assert store.count("ticket_events") == 1  # the old row is kept
    store.close()


def test_upsert_counts_on_empty_and_filled_tables(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    at = datetime(2024, 1, 1, tzinfo=UTC)
    first = pa.table({"ticket_id": ["a", "b"], "created_at": [at, at], "channel": ["email"] * 2})
    with store.transaction():
        assert store.upsert("tickets", first) == (2, 0, 0)  # empty table: straight insert
    second = pa.table(
        {"ticket_id": ["a", "b", "c"], "created_at": [at] * 3, "channel": ["chat", "email", "web"]}
    )
    with store.transaction():
        assert store.upsert("tickets", second) == (1, 1, 1)  # c new, a changed, b same
    assert store.count("tickets") == 3
    with store.transaction():
        store.clear("tickets")
    assert store.count("tickets") == 0
    store.close()


def test_duckdb_memory_limit_is_checked(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from supportkpi.engine.backends import DuckDBBackend
    from supportkpi.errors import InputError

    Store(tmp_path / "m.duckdb").close()
    monkeypatch.setenv("SUPPORTKPI_DUCKDB_MEMORY", "512MB")
    backend = DuckDBBackend(str(tmp_path / "m.duckdb"))
    limit = backend.con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit.replace(" ", "") in ("488.2MiB", "512.0MB", "488.3MiB")
    backend.close()
    monkeypatch.setenv("SUPPORTKPI_DUCKDB_MEMORY", "2GB'; DROP TABLE tickets; --")
    with pytest.raises(InputError, match="not a size"):
        DuckDBBackend(str(tmp_path / "m.duckdb"))
