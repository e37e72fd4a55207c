"""``supportkpi sync`` against a local Zendesk (fake_zendesk.py): pages, faults, resume.

Expected values are counted by hand from the pages in fake_zendesk.py's docstring.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import run_cli
from fake_zendesk import (
    EVENTS,
    START,
    T1,
    T2,
    T3,
    TICKETS,
    TOKEN,
    FakeZendesk,
    solve_ticket_two,
)
from sync_checks import kpis, stored

from supportkpi.config import load_settings
from supportkpi.config.settings import parse_settings
from supportkpi.config.sources import SourceSettings
from supportkpi.errors import ConfigError, InputError
from supportkpi.facts import open_store
from supportkpi.ingest.profiles import run_import
from supportkpi.sync import read_cursor, sync_source

INCLUDE = "include=comment_events"


def source_of(config: Path) -> SourceSettings:
    return load_settings(config).sources["zd"]


def cursors(db: Path) -> tuple[str | None, str | None]:
    with open_store(db) as store:
        return read_cursor(store, "zd", "tickets"), read_cursor(store, "zd", "ticket_events")


def test_first_sync_loads_every_page_through_a_429_and_a_500(
    zendesk: FakeZendesk, config: Path, tmp_path: Path
) -> None:
    zendesk.faults = [(TICKETS, 429, {"Retry-After": "1"}), (EVENTS, 500, {})]
    db = tmp_path / "s.duckdb"
    result = sync_source(db, source_of(config), backoff_s=0.2)
    assert zendesk.queries() == [
        (TICKETS, f"start_time={START}"), (TICKETS, f"start_time={START}"),
        (TICKETS, "cursor=c1"),
        (EVENTS, f"start_time={START}&{INCLUDE}"), (EVENTS, f"start_time={START}&{INCLUDE}"),
        (EVENTS, f"start_time={T1}&{INCLUDE}"),
    ]  # fmt: skip
    times = [t for t, *_ in zendesk.seen]
    assert times[1] - times[0] >= 1.0  # Retry-After: 1 waited out
    assert times[4] - times[3] >= 0.2  # the 500's first backoff
    login = base64.b64encode(f"agent@example.com/token:{TOKEN}".encode()).decode()
    assert {auth for *_, auth in zendesk.seen} == {f"Basic {login}"}
    assert (result.pages, result.requests, result.records) == (
        4, 6, {"tickets": 3, "ticket_events": 6}
    )  # fmt: skip
    rows = stored(db)
    assert [(t[0], t[3], t[4], t[6]) for t in rows["tickets"]] == [
        ("1", "web", "501", "solved"), ("2", "email", "502", "open"), ("3", "web", "503", "new")
    ]  # fmt: skip
    # 5 updates of 2 child events each; event 200 came twice and is stored once
    events = {(e[0], e[3], e[4]) for e in rows["ticket_events"]}
    assert len(rows["ticket_events"]) == 10
    assert ("zendesk:1002", "message", "customer") in events  # requester 501's comment
    assert ("zendesk:1011", "message", "agent") in events  # agent 901's answer
    assert kpis(db) == {
        "first_response_time:median": ((3600 + 7200) / 2, 2),
        "unanswered_tickets": (1, 3),
        "resolution_time:median": (3600, 1),
    }
    assert cursors(db) == ("c2", str(T2))


def test_second_sync_fetches_only_what_changed_and_kpis_follow(
    zendesk: FakeZendesk, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    sync_source(db, source_of(config))
    before = len(zendesk.seen)
    solve_ticket_two(zendesk.pages)
    result = sync_source(db, source_of(config))
    assert zendesk.queries(before) == [
        (TICKETS, "cursor=c2"),
        (EVENTS, f"start_time={T2}&{INCLUDE}"),
    ]
    assert result.records == {"tickets": 1, "ticket_events": 1}
    rows = stored(db)
    assert [(t[0], t[6]) for t in rows["tickets"]] == [
        ("1", "solved"),
        ("2", "solved"),
        ("3", "new"),
    ]
    assert len(rows["ticket_events"]) == 11
    ticket_loads = [s for s in result.summaries if s.table == "tickets"]
    assert [(s.inserted, s.updated) for s in ticket_loads] == [(0, 1)]
    assert kpis(db) == {
        "first_response_time:median": ((3600 + 7200) / 2, 2),
        "unanswered_tickets": (1, 3),
        "resolution_time:median": ((3600 + 75600) / 2, 2),  # ticket 2: 12:00 -> 09:00 next day
    }
    assert cursors(db) == ("c3", str(T3))


def test_a_refused_login_is_one_line_naming_the_variable_and_the_url(
    zendesk: FakeZendesk, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    zendesk.faults = [(TICKETS, 401, {})]
    db = tmp_path / "s.duckdb"
    got = run_cli(capsys, "sync", "zd", "--db", str(db), "--config", str(config))
    assert got.code == 2
    assert got.err.count("\n") == 1
    assert "HTTP 401" in got.err and "$ZD_TEST_TOKEN" in got.err
    assert f"{zendesk.url}{TICKETS}" in got.err
    assert TOKEN not in got.err
    assert len(zendesk.seen) == 1  # a 401 is not retried


def test_a_missing_token_variable_is_one_line(config: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("ZD_TEST_TOKEN")
    with pytest.raises(InputError, match=r"environment variable ZD_TEST_TOKEN .* is not set"):
        sync_source(tmp_path / "s.duckdb", source_of(config))


def test_a_sync_killed_between_pages_resumes_to_the_same_records(
    zendesk: FakeZendesk, config: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "whole.duckdb"
    sync_source(reference, source_of(config))
    db = tmp_path / "killed.duckdb"
    zendesk.gate = (TICKETS, "cursor=c1")  # the second page waits until the kill
    command = [sys.executable, "-m", "supportkpi.cli.main", "sync", "zd",
               "--db", str(db), "--config", str(config)]  # fmt: skip
    proc = subprocess.Popen(command, env=os.environ.copy(), stderr=subprocess.PIPE)
    try:
        assert zendesk.arrived.wait(30), proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    zendesk.release.set()
    # The first page was committed with its cursor before the second was asked for.
    assert [t[0] for t in stored(db)["tickets"]] == ["1", "2"]
    assert cursors(db) == ("c1", None)
    before = len(zendesk.seen)
    sync_source(db, source_of(config))
    assert zendesk.queries(before)[0] == (TICKETS, "cursor=c1")  # resumed, not restarted
    assert stored(db) == stored(reference)
    assert kpis(db) == kpis(reference)
    assert cursors(db) == cursors(reference) == ("c2", str(T2))


def test_sync_and_import_of_the_same_json_give_the_same_kpis(
    zendesk: FakeZendesk, config: Path, tmp_path: Path
) -> None:
    synced = tmp_path / "synced.duckdb"
    sync_source(synced, source_of(config))
    files = []
    for n, ((path, _), page) in enumerate(zendesk.pages.items()):
        if page.get("tickets") or page.get("ticket_events"):
            files.append(tmp_path / f"{'tickets' if path == TICKETS else 'events'}-{n}.json")
            files[-1].write_text(json.dumps(page), encoding="utf-8")
    imported = tmp_path / "imported.duckdb"
    with open_store(imported) as store:
        run_import(store, "zendesk", files)
    assert stored(synced) == stored(imported)
    assert kpis(synced) == kpis(imported)


def test_sources_config_lists_every_problem() -> None:
    raw = {"sources": {"zd": {"system": "zendsk", "url": "acme", "token": "x"},
                       "fd": {"system": "zendesk", "url": "https://a.zendesk.com",
                              "token_env": "T", "start": "yesterday"}}}  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw)
    assert caught.value.problems == [
        "sources.zd.token: unknown setting",
        "sources.zd.system: 'zendsk' is not one of zendesk, freshdesk, zammad, chatwoot",
        "sources.zd.url: 'acme' is not an http(s) URL",
        "sources.zd.token_env: required (the environment variable holding the token)",
        "sources.zd.start: required (the date the first sync starts from)",
        "sources.fd.email: required for zendesk API-token login",
        "sources.fd.start: 'yesterday' is not a date like 2024-01-01",
    ]
