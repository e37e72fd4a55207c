"""The config examples of docs/reports.md are valid, together, as one config file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from supportkpi.config.settings import parse_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "reports.md"


def test_the_documented_config_parses() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 3  # delivery, a schedule, the alerts
    settings = parse_settings(tomllib.loads("\n".join(blocks)), str(DOC))
    assert settings.delivery.email is not None and settings.delivery.email.port == 587
    assert settings.delivery.email.password_env == "SUPPORTKPI_SMTP_PASSWORD"
    assert settings.delivery.webhooks["ops"].kind == "slack"
    (schedule,) = settings.schedules
    assert (schedule.name, schedule.cron, schedule.timezone) == (
        "weekly-team",
        "0 8 * * MON",
        "Europe/Berlin",
    )
    assert (schedule.report.period, schedule.report.by, schedule.report.format) == (
        "last-week",
        "team",
        "html",
    )
    assert schedule.to == ("email:lead@example.com", "webhook:ops")
    assert [a.rule for a in settings.alerts] == [
        "target_missed",
        "significant_change",
        "sla_at_risk",
        "stale_data",
    ]
