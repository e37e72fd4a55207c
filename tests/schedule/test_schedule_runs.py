"""Schedules: next runs across DST in the schedule's timezone, missed runs, `schedule list`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli
from report_stores import at, http_receiver, report_store, write_config

from supportkpi.config import load_settings
from supportkpi.errors import ConfigError, InputError
from supportkpi.schedule.cron import missed_run, next_runs
from supportkpi.schedule.reports import Job
from supportkpi.schedule.runner import catch_up, run_forever
from supportkpi.schedule.state import RunLog, state_path

MONDAYS = 'cron = "0 8 * * MON"\ntimezone = "Europe/Berlin"\n'


def _utc(moments: list[datetime]) -> list[str]:
    return [m.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for m in moments]


def test_next_runs_keep_local_time_across_the_autumn_change() -> None:
    # Berlin leaves summer time (UTC+2) on Sunday 25 Oct 2026 at 03:00: Monday 08:00 local is
    # 06:00 UTC on 19 Oct and 07:00 UTC from 26 Oct on.
    runs = next_runs("0 8 * * MON", "Europe/Berlin", at("2026-10-14 12:00"), 3)
    assert _utc(runs) == ["2026-10-19 06:00", "2026-10-26 07:00", "2026-11-02 07:00"]
    assert [r.strftime("%H:%M %Z") for r in runs] == ["08:00 CEST", "08:00 CET", "08:00 CET"]


def test_a_time_skipped_by_the_spring_change_runs_right_after_the_gap() -> None:
    # 29 Mar 2026: 02:00–03:00 does not exist in Berlin; the 02:30 run happens at 03:00 CEST.
    runs = next_runs("30 2 * * *", "Europe/Berlin", at("2026-03-27 12:00"), 3)
    assert _utc(runs) == ["2026-03-28 01:30", "2026-03-29 01:00", "2026-03-30 00:30"]


def test_missed_runs_are_counted_from_the_last_recorded_run() -> None:
    last = at("2026-10-19 06:00")  # Monday 19 Oct, 08:00 Berlin
    # Down until Wednesday 4 Nov: 26 Oct and 2 Nov were missed; the latest one is reported.
    latest = missed_run("0 8 * * MON", "Europe/Berlin", last, at("2026-11-04 00:00"))
    assert latest is not None and _utc([latest]) == ["2026-11-02 07:00"]
    assert missed_run("0 8 * * MON", "Europe/Berlin", last, at("2026-10-20 00:00")) is None
    assert missed_run("0 8 * * MON", "Europe/Berlin", None, at("2026-11-04 00:00")) is None


@pytest.mark.parametrize("policy", ["run-once", "skip"])
def test_the_missed_run_policy(tmp_path: Path, policy: str) -> None:
    db = report_store(tmp_path / "store")
    with http_receiver() as receiver:
        extra = (f'[[schedule]]\nname = "weekly"\n{MONDAYS}missed = "{policy}"\n'
                 'report = {period = "last-week", format = "markdown"}\n'
                 'to = ["webhook:ops"]\n')  # fmt: skip
        job = Job(db, load_settings(write_config(tmp_path, hook_url=receiver.url, extra=extra)),
                  RunLog(db))  # fmt: skip
        job.log.record_skip("weekly", at("2024-02-26 07:00"), "an earlier run, for the test")
        lines: list[str] = []
        # Down from 26 Feb to Wednesday 13 Mar: the runs of 4 and 11 Mar were missed.
        catch_up(job, at("2024-03-13 12:00"), lines.append)
    rows = job.log.deliveries("weekly")
    if policy == "run-once":
        assert len(receiver.bodies) == 1  # once, not once per missed run
        assert [(r["status"], r["target"]) for r in rows[1:]] == [("sent", "webhook:ops")]
        assert lines[0].startswith("weekly: sending the run due 2024-03-11T08:00:00+01:00")
    else:
        assert receiver.bodies == []
        assert [r["status"] for r in rows[1:]] == ["skipped"]
        assert lines == ["weekly: skipped the run due 2024-03-11T08:00:00+01:00 (missed = skip)"]
    assert rows[-1]["due_at"] == at("2024-03-11 07:00")


def test_the_loop_runs_what_is_due_and_sleeps_until_the_next(tmp_path: Path) -> None:
    db = report_store(tmp_path / "store")
    with http_receiver() as receiver:
        extra = (f'[[schedule]]\nname = "weekly"\n{MONDAYS}'
                 'report = {period = "last-week", format = "json"}\n'
                 'to = ["webhook:ops"]\n')  # fmt: skip
        job = Job(db, load_settings(write_config(tmp_path, hook_url=receiver.url, extra=extra)),
                  RunLog(db))  # fmt: skip
        clock = [at("2024-03-11 06:59")]  # one minute before Monday 08:00 Berlin (07:00 UTC)
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            clock[0] = datetime.fromtimestamp(clock[0].timestamp() + seconds, UTC)

        run_forever(job, clock=lambda: clock[0], sleep=sleep,
                    stop=lambda: bool(receiver.bodies), echo=lambda line: None)  # fmt: skip
    assert slept == [60.0]
    assert len(receiver.bodies) == 1
    assert job.log.last_due("weekly") == at("2024-03-11 07:00")


def test_schedule_list_shows_next_runs_in_the_schedule_timezone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    extra = (f'[[schedule]]\nname = "weekly-team"\n{MONDAYS}'
             'report = {period = "last-week", by = "team", format = "html"}\nto = ["webhook:ops"]\n'
             '[[alert]]\nname = "feed"\nrule = "stale_data"\nhours = 6\n'
             'to = ["webhook:ops"]\n')  # fmt: skip
    config = write_config(tmp_path, hook_url="http://127.0.0.1:9/hook", extra=extra)
    result = run_cli(capsys, "schedule", "list", "--config", str(config), "--count", "2")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "weekly-team  (report; cron '0 8 * * MON' in Europe/Berlin)"
    runs = lines[1].removeprefix("  next: ").split(", ")
    assert len(runs) == 2 and all(r.startswith("Mon ") and r[-9:-4] == "08:00" for r in runs)
    assert lines[2] == "feed  (alert: stale_data; cron '*/15 * * * *' in UTC)"


def test_schedule_config_problems_are_listed_together(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[schedule]]\nname = "x"\ncron = "every monday"\ntimezone = "Mars/Base"\n'
        'report = {period = "last-year"}\nto = ["webhook:nope", "fax:123"]\nmissed = "maybe"\n'
        '[[alert]]\nname = "a"\nrule = "target_missed"\nkpi = "csat"\nto = ["webhook:nope"]\n'
        '[[alert]]\nname = "b"\nrule = "significant_change"\nkpi = "ticket_volume"\n'
        'to = ["webhook:nope"]\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    problems = caught.value.problems
    assert (
        "schedule[0].cron: 'every monday' is not a cron expression like '0 8 * * MON'" in problems
    )
    assert "schedule[0].timezone: unknown timezone 'Mars/Base'" in problems
    assert any(p.startswith("schedule[0].report.period: 'last-year'") for p in problems)
    assert "schedule[0].to: no [delivery.webhooks.nope] for 'webhook:nope'" in problems
    assert any(p.startswith("schedule[0].to: 'fax:123'") for p in problems)
    assert "schedule[0].missed: 'maybe' is not run-once or skip" in problems
    assert "alert[0].kpi: 'csat' has no entry in [targets]" in problems
    assert any(
        p.startswith("alert[1].kpi: 'ticket_volume' has no significance test") for p in problems
    )


def test_a_parquet_folder_needs_a_state_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"add --state FILE\.duckdb"):
        state_path(tmp_path)
    assert state_path(tmp_path, tmp_path / "history.duckdb") == tmp_path / "history.duckdb"
    assert RunLog(tmp_path / "history.duckdb").deliveries() == []  # never written: empty
