"""``supportkpi sync`` of a Zammad source against the local server (fake_zammad.py).

Pages hold three tickets here (``PER_PAGE`` patched from 100), so four tickets take more
than one page. Expected values are counted by hand from fake_zammad.py's docstring.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli
from fake_zammad import SEARCH, TOKEN, FakeZammad, at, second_desk
from fake_zendesk import serve
from sync_checks import kpis
from sync_checks import stored as stored_rows

from supportkpi.config import load_settings
from supportkpi.config.sources import SourceSettings
from supportkpi.facts import open_store
from supportkpi.ingest.profiles import run_import
from supportkpi.sync import read_cursor, sync_source, zammad
from supportkpi.sync.http import Fetcher

START = "2024-03-04T00:00:00.000Z"
#: The CLI in a child process, with the same three-ticket pages as the tests in this one.
CHILD = "import supportkpi.sync.zammad as z; z.PER_PAGE = 3; from supportkpi.cli.main import main; main()"  # noqa: E501


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeZammad]:
    monkeypatch.setattr(zammad, "PER_PAGE", 3)
    with serve(FakeZammad()) as fake:  # type: ignore[arg-type]  # serve is duck-typed
        yield fake


@pytest.fixture
def config(desk: FakeZammad, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``[sources.zm]`` in three lines and a start: no ``email``, Zammad logs in by token."""
    monkeypatch.setenv("ZM_TEST_TOKEN", TOKEN)
    path = tmp_path / "supportkpi.toml"
    path.write_text(f'[sources.zm]\nsystem = "zammad"\nurl = "{desk.url}"\n'
                    'token_env = "ZM_TEST_TOKEN"\nstart = 2024-03-04\ntimeout_s = 5\n',
                    encoding="utf-8")  # fmt: skip
    return path


def _utc(hour: int, day: int) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, tzinfo=dt.UTC)


def source_of(config: Path) -> SourceSettings:
    return load_settings(config).sources["zm"]


#: Zammad's tickets carry team, priority and the solve and close times too.
ZAMMAD_COLUMNS = (
    "ticket_id, created_at, updated_at, channel, customer_id, assignee_id, team, priority, "
    "status, first_response_at, solved_at, closed_at"
)


def stored(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return stored_rows(db, ZAMMAD_COLUMNS)


def cursor(db: Path) -> str | None:
    with open_store(db) as store:
        return read_cursor(store, "zm", "tickets")


def imported(desk: FakeZammad, folder: Path) -> Path:
    """The desk's tickets as API JSON files (GET /api/v1/tickets?expand=true, the by_ticket
    articles, each ticket_history), loaded by ``supportkpi import zammad``."""
    folder.mkdir()
    files = [folder / "tickets.json", folder / "articles.json"]
    files[0].write_text(json.dumps(list(desk.tickets.values())), encoding="utf-8")
    files[1].write_text(json.dumps([desk.articles[t] for t in desk.tickets]), encoding="utf-8")
    for number in desk.tickets:
        files.append(folder / f"history_{number}.json")
        files[-1].write_text(json.dumps({"history": desk.history[number], "assets": {}}))
    db = folder / "imported.duckdb"
    with open_store(db) as store:
        run_import(store, "zammad", files)
    return db


def test_first_sync_pages_through_a_429_and_a_500_and_matches_an_import(
    desk: FakeZammad, config: Path, tmp_path: Path
) -> None:
    desk.faults = [(SEARCH, 429, {"Retry-After": "1"}), ("/api/v1/ticket_articles/", 500, {})]
    db = tmp_path / "s.duckdb"
    result = sync_source(db, source_of(config), backoff_s=0.2)
    # Each full page's newest time starts the next search; the ticket seen there is skipped.
    assert desk.searches() == [(START, 1), (START, 1), (at(14), 1)]
    assert desk.detailed() == [21, 21, 22, 23, 24]  # 21's articles: a 500, then success
    times = [t for t, path, *_ in desk.seen if path == SEARCH]
    assert times[1] - times[0] >= 1.0  # Retry-After: 1 waited out
    assert {auth for *_, auth in desk.seen} == {f"Token token={TOKEN}"}
    assert (result.pages, result.requests, result.records) == (2, 3 + 5 + 4, {"tickets": 4})
    rows = stored(db)
    assert [(t[0], t[3], t[4], t[5], t[6], t[8]) for t in rows["tickets"]] == [
        ("21", "email", "801", "901", "Users", "closed"),
        ("22", "web", "802", "902", "Users", "open"),
        ("23", "phone", "803", None, "Users", "new"),  # owner 1 is Zammad's nobody
        ("24", "email", "804", "901", "Users", "open"),
    ]
    assert len(rows["ticket_events"]) == 7 + 8  # articles + history entries
    assert kpis(db) == {
        "first_response_time:median": (3600, 3),  # 3600, 7200, 1800
        "unanswered_tickets": (1, 4),
        "resolution_time:median": (7200, 1),
    }
    assert cursor(db) == at(15, 30)
    # The same tickets imported from their API JSON are stored alike, with the same KPIs.
    other = imported(desk, tmp_path / "import")
    assert stored(other) == rows
    assert kpis(other) == kpis(db)


def test_second_sync_fetches_only_what_changed_and_kpis_follow(
    desk: FakeZammad, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    sync_source(db, source_of(config))
    before = len(desk.seen)
    second_desk(desk)
    result = sync_source(db, source_of(config))
    # From five minutes before the mark: late-indexed 25 and the boundary 24 come too.
    assert desk.searches(before) == [(at(15, 25), 1), (at(9, day=5), 1)]
    assert desk.detailed(before) == [25, 24, 22]
    assert result.records == {"tickets": 3}
    ticket_loads = [s for s in result.summaries if s.table == "tickets"]
    assert [sum(getattr(s, k) for s in ticket_loads)
            for k in ("inserted", "updated", "unchanged")] == [1, 1, 1]  # fmt: skip
    rows = stored(db)
    assert [(t[0], t[8], t[10]) for t in rows["tickets"]][1] == ("22", "closed", _utc(9, 5))
    assert kpis(db) == {
        "first_response_time:median": (3600, 3),
        "unanswered_tickets": (2, 5),
        "resolution_time:median": ((7200 + 79200) / 2, 2),  # 22: 11:00 -> 09:00 next day
    }
    assert cursor(db) == at(9, day=5)
    # Two syncs store exactly what one import of the desk's final API JSON stores.
    final = imported(desk, tmp_path / "final")
    assert rows == stored(final)
    assert kpis(db) == kpis(final)


def test_more_tickets_at_one_instant_than_a_page_holds_step_on_by_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeZammad()
    for number in fake.tickets:  # four changes at one instant, pages of three
        fake.tickets[number]["updated_at"] = at(16)
    monkeypatch.setattr(zammad, "PER_PAGE", 3)
    monkeypatch.setenv("ZM_TEST_TOKEN", TOKEN)
    with serve(fake) as desk:  # type: ignore[arg-type]
        source = SourceSettings("zm", "zammad", desk.url, "ZM_TEST_TOKEN", _utc(0, 4))
        with Fetcher(source) as fetcher:  # the paging alone, without a store
            got = [([t["id"] for t in page.records], page.cursor)
                   for page in zammad.pages(fetcher, source, "tickets", None)]  # fmt: skip
    # The range cannot move past 16:00 while a full page ends there: page 2 of it comes next.
    assert fake.searches() == [(START, 1), (at(16), 1), (at(16), 2)]
    assert got == [([21, 22, 23], at(16)), ([], at(16)), ([24], at(16))]
    assert fake.detailed() == [21, 22, 23, 24]


def test_a_refused_token_is_one_line_naming_the_variable_and_the_url(
    desk: FakeZammad, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    desk.faults = [(SEARCH, 401, {})]
    got = run_cli(capsys, "sync", "zm", "--db", str(tmp_path / "s.duckdb"), "--config",
                  str(config))  # fmt: skip
    assert got.code == 2
    assert got.err.count("\n") == 1
    assert "HTTP 401" in got.err and "$ZM_TEST_TOKEN" in got.err and "Token" in got.err
    assert f"{desk.url}{SEARCH}" in got.err
    assert TOKEN not in got.err
    assert len(desk.seen) == 1  # a 401 is not retried


def test_a_sync_killed_between_pages_resumes_to_the_same_records(
    desk: FakeZammad, config: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "whole.duckdb"
    sync_source(reference, source_of(config))
    db = tmp_path / "killed.duckdb"
    desk.gate = at(14)  # the second search waits until the kill
    command = [sys.executable, "-c", CHILD, "sync", "zm", "--db", str(db),
               "--config", str(config)]  # fmt: skip
    proc = subprocess.Popen(command, env=os.environ.copy(), stderr=subprocess.PIPE)
    try:
        assert desk.arrived.wait(30), proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    desk.release.set()
    # The first page was committed with its mark before the second search was sent.
    assert [t[0] for t in stored(db)["tickets"]] == ["21", "22", "23"]
    assert cursor(db) == at(14)
    before = len(desk.seen)
    sync_source(db, source_of(config))
    assert desk.searches(before)[0] == (at(13, 55), 1)  # resumed from the mark, not restarted
    assert stored(db) == stored(reference)
    assert kpis(db) == kpis(reference)
    assert cursor(db) == cursor(reference) == at(15, 30)
