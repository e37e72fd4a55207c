"""``[[schedule]]`` with ``sync = "NAME"``: its config checks, and ``schedule run`` syncing the
local Zendesk (fake_zendesk.py) on a clock the test moves.

The expected records are counted by hand from fake_zendesk.py's first pages: tickets 1, 2
and 3 in two ticket pages; updates 100, 101, 200 then 200, 201, 300 in two event pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli
from fake_zendesk import TICKETS, FakeZendesk

from supportkpi.config import load_settings
from supportkpi.config.settings import parse_settings
from supportkpi.errors import ConfigError
from supportkpi.facts import open_store
from supportkpi.schedule.reports import Job
from supportkpi.schedule.runner import catch_up, run_forever
from supportkpi.schedule.state import RunLog

EVERY_15 = '[[schedule]]\nname = "zd-every-15-min"\ncron = "*/15 * * * *"\nsync = "zd"\n'
ZD = {"system": "zendesk", "url": "https://acme.zendesk.com", "email": "a@example.com",
      "token_env": "ZENDESK_TOKEN", "start": "2024-01-01"}  # fmt: skip


def with_schedule(config: Path, text: str = EVERY_15) -> Path:
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")
    return config


def stored(db: Path) -> tuple[list[str], int]:
    """The stored ticket ids and how many ticket events there are."""
    with open_store(db, read_only=True) as store:
        tickets = store.con.execute("SELECT ticket_id FROM tickets ORDER BY 1").fetchall()
        events = store.con.execute("SELECT count(*) FROM ticket_events").fetchone()
    return [str(r[0]) for r in tickets], int(events[0]) if events else 0


def test_a_sync_schedule_parses_without_report_or_recipients() -> None:
    every_15 = {"name": "zd-every-15-min", "cron": "*/15 * * * *", "sync": "zd"}
    raw = {"sources": {"zd": ZD}, "schedule": [every_15]}
    (schedule,) = parse_settings(raw).schedules
    assert (schedule.name, schedule.cron, schedule.sync, schedule.to) == (
        "zd-every-15-min", "*/15 * * * *", "zd", ())  # fmt: skip
    assert schedule.timezone == "UTC"


def test_every_problem_of_sync_schedules_is_listed_at_once() -> None:
    report = {"period": "last-week"}
    raw = {
        "sources": {"zd": ZD},
        "schedule": [
            {"name": "both", "cron": "0 * * * *", "sync": "zd", "report": report,
             "to": ["webhook:ops"]},
            {"name": "neither", "cron": "0 * * * *"},
            {"name": "unknown", "cron": "0 * * * *", "sync": "zendesk-eu"},
            {"name": "extras", "cron": "0 * * * *", "sync": "zd", "to": ["webhook:ops"],
             "missed": "skip"},
        ],
    }  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw)
    assert caught.value.problems == [
        "schedule[0]: has both report and sync; a schedule does one of them",
        'schedule[1]: needs report = {period = "last-week"} (a report to send) '
        'or sync = "NAME" (a [sources.NAME] to sync)',
        "schedule[2].sync: no [sources.zendesk-eu] in the config (its sources: zd)",
        "schedule[3].to: a sync sends nothing; leave it out",
        "schedule[3].missed: a sync catches up from its cursor; leave it out",
    ]


def test_a_due_sync_fails_on_a_refused_login_then_syncs_on_its_next_run(
    zendesk: FakeZendesk, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    job = Job(str(db), load_settings(with_schedule(config)), RunLog(db), sleep=lambda s: None)
    zendesk.faults = [(TICKETS, 401, {})]  # the first run's login is refused
    clock = [datetime(2026, 12, 4, 9, 14, 30, tzinfo=UTC)]  # 30 s before 09:15
    slept: list[float] = []
    lines: list[str] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] = datetime.fromtimestamp(clock[0].timestamp() + seconds, UTC)

    run_forever(job, clock=lambda: clock[0], sleep=sleep, stop=lambda: len(lines) == 2,
                echo=lines.append)  # fmt: skip
    # 09:15 fails and the loop goes on: 15 sleeps of a minute to 09:30, which syncs.
    assert slept == [30.0] + [60.0] * 15
    assert lines[0].startswith("zd-every-15-min: Error: sync zd: GET ")
    assert "HTTP 401" in lines[0]
    assert lines[1] == (
        "zd-every-15-min: synced zd: 4 pages, 9 records (tickets 3, ticket_events 6)"
    )
    runs = job.log.deliveries("zd-every-15-min")
    assert [(r["kind"], r["target"], r["status"]) for r in runs] == [
        ("sync", "sources.zd", "failed"), ("sync", "sources.zd", "ok")]  # fmt: skip
    due = [datetime(2026, 12, 4, 9, minute, tzinfo=UTC) for minute in (15, 30)]
    assert [r["due_at"] for r in runs] == due
    assert "HTTP 401" in runs[0]["detail"] and "$ZD_TEST_TOKEN" in runs[0]["detail"]
    assert runs[1]["detail"] == lines[1].split(": ", 2)[2]
    # 5 updates of 2 child events each (update 200 came twice: stored once)
    assert stored(db) == (["1", "2", "3"], 10)


def test_a_missed_sync_is_not_made_up_at_start(
    zendesk: FakeZendesk, config: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    job = Job(str(db), load_settings(with_schedule(config)), RunLog(db), sleep=lambda s: None)
    job.log.record_run("zd-every-15-min", "sync", datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                       "sources.zd", None, "an earlier run, for the test")  # fmt: skip
    lines: list[str] = []
    catch_up(job, datetime(2026, 12, 4, 9, 0, tzinfo=UTC), lines.append)  # three days later
    assert lines == [] and zendesk.seen == []
    assert len(job.log.deliveries("zd-every-15-min")) == 1


def test_schedule_once_runs_a_sync_schedule_and_list_says_what_it_syncs(
    zendesk: FakeZendesk, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_schedule(config)
    db = tmp_path / "s.duckdb"
    listed = run_cli(capsys, "schedule", "list", "--config", str(config), "--count", "1")
    assert listed.out.splitlines()[0] == "zd-every-15-min  (sync zd; cron '*/15 * * * *' in UTC)"
    zendesk.faults = [(TICKETS, 401, {})]  # (the runner test above covers a sync that stores)
    got = run_cli(capsys, "schedule", "once", "zd-every-15-min", "--db", str(db),
                  "--config", str(config))  # fmt: skip
    assert got.code == 2
    assert got.err.count("\n") == 1 and "HTTP 401" in got.err and "Traceback" not in got.err
    (run,) = RunLog(db).deliveries("zd-every-15-min")
    assert (run["kind"], run["target"], run["status"]) == ("sync", "sources.zd", "failed")
