"""The Data page and ``GET /api/sync`` show each synced source: its last sync, the pages of
that sync and how old its newest data is, after two syncs of the local Zendesk.

By hand, from fake_zendesk.py: the first sync stores two pages per stream; the second, after
ticket 2 is solved, one page per stream, reaching 2024-03-05 09:00 UTC (ticket 2's new
``updated_at``, and the event page's ``end_time`` T3) in both streams.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from fake_zendesk import T3, FakeZendesk, solve_ticket_two
from fastapi.testclient import TestClient

from supportkpi.config import load_settings
from supportkpi.store import Store
from supportkpi.sync import sync_source
from supportkpi.web import create_app
from supportkpi.web.dashboard import mount_dashboard

NEWEST = datetime.fromtimestamp(T3, UTC)  # 2024-03-05 09:00 UTC


def client_of(db: Path, config: Path | None = None) -> TestClient:
    app = create_app(db, config=config)
    mount_dashboard(app)
    return TestClient(app, base_url="http://127.0.0.1")


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The shown cells of each body row of the page's table ``table_id``."""
    found = re.search(rf'id="table-{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert found, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row] for row in cells]


def minutes(*moments: datetime) -> set[str]:
    return {f"{m:%Y-%m-%d %H:%M} UTC" for m in moments}


def age_text(now: datetime) -> str:
    """How the page writes the age of NEWEST at ``now``: whole days and hours."""
    days, rest = divmod(int((now - NEWEST).total_seconds()), 86400)
    return f"{days}d {rest // 3600}h"


@pytest.fixture
def synced(zendesk: FakeZendesk, config: Path, tmp_path: Path) -> tuple[Path, datetime, datetime]:
    """A store synced twice; the instants around the second sync."""
    db = tmp_path / "s.duckdb"
    source = load_settings(config).sources["zd"]
    sync_source(db, source)
    solve_ticket_two(zendesk.pages)
    before = datetime.now(UTC)
    sync_source(db, source)
    return db, before, datetime.now(UTC)


def test_the_data_page_and_the_api_show_the_last_sync_and_the_age_of_the_newest_data(
    synced: tuple[Path, datetime, datetime], config: Path
) -> None:
    db, before, after = synced
    client = client_of(db, config)
    page = client.get("/data")
    shown = datetime.now(UTC)
    assert page.status_code == 200
    rows = table_rows(page.text, "syncs")
    assert [[*row[:3], row[4], row[5]] for row in rows] == [
        ["zd", "zendesk", "ticket_events", "1", "2024-03-05 09:00 UTC"],
        ["zd", "zendesk", "tickets", "1", "2024-03-05 09:00 UTC"],
    ]
    assert {row[3] for row in rows} <= minutes(before, after)  # the second sync's pages
    assert {row[6] for row in rows} <= {age_text(after), age_text(shown)}
    notes = re.sub(r"\s+", " ", unescape(page.text))
    assert re.search(
        r"zd \(zendesk\): last synced \d{4}-\d\d-\d\d \d\d:\d\d UTC; "
        rf"newest data 2024-03-05 09:00 UTC, ({age_text(after)}|{age_text(shown)}) old\.",
        notes,
    )
    # The sync section sits between the tables and the load log.
    assert page.text.index('id="tables"') < page.text.index('id="syncs"')
    assert page.text.index('id="syncs"') < page.text.index('id="loads"')

    answer = client.get("/api/sync")
    assert answer.status_code == 200
    (source,) = answer.json()["sources"]
    assert (source["source"], source["system"]) == ("zd", "zendesk")
    assert source["newest_data"] == "2024-03-05T09:00:00+00:00"
    low, high = (after - NEWEST).total_seconds(), (datetime.now(UTC) - NEWEST).total_seconds()
    assert low <= source["newest_data_age_s"] <= high
    assert [(s["stream"], s["pages"], s["newest_data"]) for s in source["streams"]] == [
        ("ticket_events", 1, "2024-03-05T09:00:00+00:00"),
        ("tickets", 1, "2024-03-05T09:00:00+00:00"),
    ]
    last = [datetime.fromisoformat(s["last_sync"]) for s in source["streams"]]
    assert all(before <= t <= after for t in last)
    assert datetime.fromisoformat(source["last_sync"]) == max(last)
    csv = client.get("/data?download=syncs")
    assert csv.status_code == 200 and csv.text.startswith("source,system,stream,last_sync,")


def test_a_store_that_never_synced_shows_no_sync_section(tmp_path: Path) -> None:
    db = tmp_path / "files.duckdb"
    with Store(db):
        pass
    client = client_of(db)
    page = client.get("/data")
    assert page.status_code == 200
    assert 'id="syncs"' not in page.text and "Live sources" not in page.text
    assert client.get("/api/sync").json() == {"sources": []}


def test_a_store_synced_before_pages_and_reach_were_kept_still_shows_its_sync(
    tmp_path: Path,
) -> None:
    db = tmp_path / "older.duckdb"
    with Store(db) as store:  # the table as the first sync version wrote it
        store.con.execute(
            "CREATE TABLE _sync_state (source VARCHAR, system VARCHAR, stream VARCHAR, "
            "cursor VARCHAR, updated_at TIMESTAMPTZ)"
        )
        store.con.execute(
            "INSERT INTO _sync_state VALUES "
            "('fd', 'freshdesk', 'tickets', 'x', TIMESTAMPTZ '2026-12-01 08:30:00+00')"
        )
    client = client_of(db)
    rows = table_rows(client.get("/data").text, "syncs")
    assert rows == [["fd", "freshdesk", "tickets", "2026-12-01 08:30 UTC", "–", "–", "–"]]
    (source,) = client.get("/api/sync").json()["sources"]
    assert source["newest_data"] is None and source["newest_data_age_s"] is None
