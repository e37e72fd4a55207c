"""``_sync_state`` in the store layer: an older table gains its columns, and ``reached`` only
moves forward (a page that cannot say how far it reaches keeps what an earlier one said)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from supportkpi.store import Store
from supportkpi.store.sync_state import create_table, read_cursor, sync_status, write_cursor

MARCH_4 = datetime(2024, 3, 4, 15, tzinfo=UTC)


def test_an_older_table_gains_pages_and_reached_and_keeps_its_rows(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        store.con.execute(
            "CREATE TABLE _sync_state (source VARCHAR, system VARCHAR, stream VARCHAR, "
            "cursor VARCHAR, updated_at TIMESTAMPTZ)"
        )
        store.con.execute(
            "INSERT INTO _sync_state VALUES ('zd', 'zendesk', 'tickets', 'c1', now())"
        )
        create_table(store.con)
        create_table(store.con)  # a second time changes nothing
        names = [d[0] for d in store.con.execute("SELECT * FROM _sync_state").description]
        assert names == ["source", "system", "stream", "cursor", "updated_at", "pages", "reached"]
        assert read_cursor(store.con, "zd", "tickets") == "c1"
        write_cursor(store.con, "zd", "zendesk", "tickets", "c2", 3, MARCH_4.timestamp())
        (source,) = sync_status(store.con)
        (stream,) = source.streams
        assert (stream.stream, stream.pages, stream.newest_data) == ("tickets", 3, MARCH_4)


def test_reached_only_moves_forward(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        create_table(store.con)
        write_cursor(store.con, "zd", "zendesk", "tickets", "c1", 1, MARCH_4.timestamp())
        write_cursor(store.con, "zd", "zendesk", "tickets", "c2", 2, None)  # an empty page
        write_cursor(store.con, "zd", "zendesk", "tickets", "c3", 1, MARCH_4.timestamp() - 60)
        (source,) = sync_status(store.con)
        assert read_cursor(store.con, "zd", "tickets") == "c3"
        assert [(s.pages, s.newest_data) for s in source.streams] == [(1, MARCH_4)]


def test_a_store_that_never_synced_has_no_status(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        assert sync_status(store.con) == []
        assert read_cursor(store.con, "zd", "tickets") is None
