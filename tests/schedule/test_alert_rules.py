"""Alerts with a controlled clock: fire once, stay quiet, recover once; noise never fires.

The store and its hand-computed weeks are described in ``report_stores``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli
from report_stores import Receiver, at, http_receiver, log_load_at, report_store, write_config

from supportkpi.config import load_settings
from supportkpi.schedule.alerts import check_alerts
from supportkpi.schedule.reports import Job
from supportkpi.schedule.state import RunLog

ALERTS = """
[[alert]]
name = "csat-drop"
rule = "significant_change"
kpi = "csat"
period = "last-week"
to = ["webhook:ops"]

[[alert]]
name = "csat-up"
rule = "significant_change"
kpi = "csat"
period = "last-week"
direction = "better"
to = ["webhook:ops"]

[[alert]]
name = "csat-target"
rule = "target_missed"
kpi = "csat"
period = "last-week"
to = ["webhook:ops"]

[[alert]]
name = "sla-risk"
rule = "sla_at_risk"
above = 1
horizon = "2h"
to = ["webhook:ops"]

[[alert]]
name = "feed"
rule = "stale_data"
hours = 6
to = ["webhook:ops"]
"""


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Job, Receiver]]:
    db = report_store(tmp_path / "store")
    with http_receiver() as receiver:
        config = write_config(tmp_path, hook_url=receiver.url, extra=ALERTS)
        yield Job(db, load_settings(config), RunLog(db)), receiver


def _check(job: Job, receiver: Receiver, name: str, now: str) -> list[dict[str, Any]]:
    """Check alert ``name`` at ``now``; the webhook bodies it sent."""
    before = len(receiver.bodies)
    rule = next(a for a in job.settings.alerts if a.name == name)
    check_alerts(job, [rule], at(now))
    return [json.loads(b) for b in receiver.bodies[before:]]


def test_a_significant_drop_fires_once_stays_quiet_and_recovers_once(
    setup: tuple[Job, Receiver],
) -> None:
    job, receiver = setup
    # 13 Mar: week of 4 Mar (CSAT 25%) against week of 26 Feb (75%), z = −4.47.
    (fired,) = _check(job, receiver, "csat-drop", "2024-03-13 09:00")
    assert (fired["state"], fired["alert"], fired["kpi"]) == ("firing", "csat-drop", "csat")
    assert fired["value"] == "25.0% (−50.0 pts)"
    assert fired["reference"] == "75.0% in the previous period"
    assert fired["test"].startswith("proportion test at 95%, p = 0.0000")
    assert fired["link"] == "http://kpi.example/?range=custom&from=2024-03-04&to=2024-03-10"
    assert _check(job, receiver, "csat-drop", "2024-03-13 09:15") == []  # still firing: quiet
    # 20 Mar: week of 11 Mar (30%) against 25%: z = 0.50, noise, so the alert recovers.
    (recovered,) = _check(job, receiver, "csat-drop", "2024-03-20 09:00")
    assert recovered["state"] == "recovered"
    assert _check(job, receiver, "csat-drop", "2024-03-20 09:15") == []
    assert job.log.alert_states()["csat-drop"].state == "ok"


def test_direction_and_noise_do_not_fire(setup: tuple[Job, Receiver]) -> None:
    job, receiver = setup
    assert _check(job, receiver, "csat-up", "2024-03-13 09:00") == []  # a drop is not "better"
    # The +5 points of the week of 11 Mar are not significant: "better" stays quiet too.
    assert _check(job, receiver, "csat-up", "2024-03-20 09:00") == []
    assert job.log.alert_states()["csat-up"].state == "ok"


def test_a_missed_target_fires_once_while_it_stays_missed(setup: tuple[Job, Receiver]) -> None:
    job, receiver = setup
    (fired,) = _check(job, receiver, "csat-target", "2024-03-13 09:00")
    assert (fired["value"], fired["reference"]) == ("25.0%", ">= 50%")
    assert fired["summary"] == "csat 25.0% misses its target >= 50% (04 Mar 2024 – 10 Mar 2024)"
    assert _check(job, receiver, "csat-target", "2024-03-20 09:00") == []  # 30%: still missed


def test_sla_at_risk_above_n(setup: tuple[Job, Receiver]) -> None:
    job, receiver = setup
    # 14 Mar 08:00: S1 and S2 fall due at 09:00 (within 2 h), S3 at 20:00 — 2 > 1.
    (fired,) = _check(job, receiver, "sla-risk", "2024-03-14 08:00")
    assert (fired["value"], fired["reference"]) == ("2", "> 1")
    assert fired["link"].startswith("http://kpi.example/sla?")
    # 10:00: S1 and S2 have breached (no longer at risk); S3 is 10 h away.
    (recovered,) = _check(job, receiver, "sla-risk", "2024-03-14 10:00")
    assert (recovered["state"], recovered["value"]) == ("recovered", "0")


def test_a_stale_feed_fires_after_n_hours(setup: tuple[Job, Receiver]) -> None:
    job, receiver = setup
    log_load_at(job.db, at("2024-03-13 00:00"))
    assert _check(job, receiver, "feed", "2024-03-13 03:00") == []  # 3 h: fine, and silent
    (fired,) = _check(job, receiver, "feed", "2024-03-13 12:00")
    assert (fired["value"], fired["reference"]) == ("12.0 hours", "6 hours")
    assert _check(job, receiver, "feed", "2024-03-13 13:00") == []
    log_load_at(job.db, at("2024-03-13 13:30"))
    (recovered,) = _check(job, receiver, "feed", "2024-03-13 14:00")
    assert recovered["state"] == "recovered"


def test_a_failed_announcement_is_not_recorded_and_is_sent_next_time(
    setup: tuple[Job, Receiver], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    job, receiver = setup
    receiver.script = [500, 500]  # both attempts of the first check fail
    config = str(tmp_path / "reports.toml")
    args = ("schedule", "once", "csat-drop", "--db", job.db, "--config", config,
            "--as-of", "2024-03-13T09:00:00+00:00")  # fmt: skip
    failed = run_cli(capsys, *args)
    assert failed.code == 2 and "Error: webhook ops failed after 2 attempts: HTTP 500" in failed.err
    assert "csat-drop" not in job.log.alert_states()
    sent = run_cli(capsys, *args)
    assert sent.code == 0, sent.err
    assert len(receiver.bodies) == 3 and json.loads(receiver.bodies[-1])["state"] == "firing"
    assert job.log.alert_states()["csat-drop"].state == "firing"
    assert [r["status"] for r in job.log.deliveries("csat-drop")] == ["failed", "sent"]


def test_schedule_check_judges_every_alert(
    setup: tuple[Job, Receiver], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    job, receiver = setup
    result = run_cli(capsys, "schedule", "check", "--db", job.db,
                     "--config", str(tmp_path / "reports.toml"),
                     "--as-of", "2024-03-14T08:00:00+00:00")  # fmt: skip
    assert result.code == 0, result.err
    states = dict(line.split(": ")[:2] for line in result.err.splitlines() if ": sent" not in line)
    # 14 Mar is in the week of 11 Mar: last week (4 Mar) dropped significantly and missed its
    # target; two SLA targets are due within 2 h; no load was ever logged.
    assert states == {"csat-drop": "firing", "csat-up": "ok", "csat-target": "firing",
                      "sla-risk": "firing", "feed": "firing"}  # fmt: skip
    assert len(receiver.bodies) == 4
